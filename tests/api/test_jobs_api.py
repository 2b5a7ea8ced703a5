"""Background jobs over the API: a large batch's approval answers 202 with a job to poll, the job ends with
the batch fully issued or, refused, not at all, and a failed job sent again finishes the work once."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlmodel import select

from registry.jobs.runner import run_job
from registry.models import Batch, Body, Candidate, CandidatePhoto, Certificate, Job
from registry.services import batches as batch_service
from registry.services import jobs as job_service
from tests import factories as f
from tests.api.credentials import auth_headers
from tests.integration.test_photo_import import jpeg, make_zip


@pytest.fixture
def staff(session):
    f.publish_catalogue(session)
    body = f.body(session)
    other = f.body(session)
    return {
        "body": body,
        "assessor": f.staff(session, body, "assessor"),
        "supervisor": f.staff(session, body, "supervisor"),
        "other": f.staff(session, other, "supervisor"),
        "regulator": f.regulator(session),
    }


def _certificates(session, batch_id: int) -> int:
    session.expire_all()
    return len(session.exec(select(Certificate).where(Certificate.batch_id == batch_id)).all())


def test_a_large_batch_is_issued_by_a_job_that_the_approver_can_follow(app, client, session, staff):
    app.config["JOBS_INLINE_MAX"] = 3
    batch = f.submitted_batch(session, staff["body"], staff["assessor"], count=6, failing={2})
    headers = auth_headers(session, staff["supervisor"], write=True)

    answer = client.post(f"/api/v1/batches/{batch.id}/approve", headers=headers)

    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()
    assert answer.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert job["kind"] == "issue" and job["batch_id"] == batch.id
    polled = client.get(answer.headers["Location"], headers=auth_headers(session, staff["supervisor"])).get_json()
    assert polled["status"] == "succeeded"
    assert polled["progress"] == {"done": 5, "total": 5, "percent": 100}
    assert polled["result"] == {"certificates": 5}
    assert polled["attempts"] == 1
    assert _certificates(session, batch.id) == 5
    # Approving again answers the certificates, as for a small batch.
    again = client.post(f"/api/v1/batches/{batch.id}/approve", headers=headers)
    assert again.status_code == 200
    assert len(again.get_json()["certificates"]) == 5


def test_a_refused_approver_is_told_at_once_and_no_job_is_queued(app, client, session, staff):
    app.config["JOBS_INLINE_MAX"] = 0
    batch = f.submitted_batch(session, staff["body"], staff["assessor"], count=2)

    answer = client.post(f"/api/v1/batches/{batch.id}/approve",
                         headers=auth_headers(session, staff["assessor"], write=True))

    assert answer.status_code == 403
    assert answer.get_json()["reason"] == "role-required"
    assert session.exec(select(Job).where(Job.batch_id == batch.id)).first() is None


def test_a_job_refused_while_running_changes_nothing_and_finishes_when_sent_again(app, client, session, staff):
    batch_id = f.submitted_batch(session, staff["body"], staff["assessor"], count=4).id
    job, new = job_service.queue_issuance(session, batch_id=batch_id, actor=staff["supervisor"],
                                          now=datetime.now(UTC))
    job_id, body_id = job.id, staff["body"].id
    assert new
    # The body is suspended between the approval and the worker taking the job.
    session.get(Body, body_id).status = "suspended"
    session.commit()

    run_job(app, job_id)  # as a worker would, with its own session

    shown = client.get(f"/api/v1/jobs/{job_id}", headers={**auth_headers(session, staff["supervisor"]),
                                                           "Accept-Language": "en"}).get_json()
    assert shown["status"] == "failed"
    assert shown["error"]["reason"] == "body-not-active"
    assert "suspended" in shown["error"]["message"].lower()
    assert _certificates(session, batch_id) == 0
    assert session.get(Batch, batch_id).status == "submitted"

    session.get(Body, body_id).status = "active"
    session.commit()
    retried = client.post(f"/api/v1/jobs/{job_id}/retry", headers=auth_headers(session, staff["supervisor"],
                                                                                   write=True))
    assert retried.status_code == 202, retried.get_json()
    assert retried.get_json()["status"] == "succeeded"
    assert retried.get_json()["attempts"] == 2
    assert _certificates(session, batch_id) == 4
    # A finished job is not sent again.
    refused = client.post(f"/api/v1/jobs/{job_id}/retry", headers=auth_headers(session, staff["supervisor"],
                                                                                   write=True))
    assert refused.status_code == 409
    assert refused.get_json()["reason"] == "job-not-retryable"


def test_only_the_jobs_body_and_the_regulator_see_it(app, client, session, staff):
    app.config["JOBS_INLINE_MAX"] = 0
    batch = f.submitted_batch(session, staff["body"], staff["assessor"], count=1)
    job_id = client.post(f"/api/v1/batches/{batch.id}/approve",
                         headers=auth_headers(session, staff["supervisor"], write=True)).get_json()["id"]

    other = client.get(f"/api/v1/jobs/{job_id}", headers=auth_headers(session, staff["other"]))
    assert other.status_code == 404
    assert other.get_json()["reason"] == "job-not-found"
    assert "batch_id" not in other.get_json() and "progress" not in other.get_json()
    assert client.get(f"/api/v1/jobs/{job_id}", headers=auth_headers(session, staff["regulator"])).status_code == 200
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 401


def _csv(rows: list[tuple[str, str, str, int, int]]) -> bytes:
    lines = ["姓名,证件类型,证件号码,理论知识考试,技能考核"] + [",".join(map(str, row)) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def test_a_large_file_is_imported_by_a_job_and_a_refused_one_keeps_its_errors(app, client, session, staff):
    app.config["JOBS_IMPORT_INLINE_BYTES"] = 10
    batch_id = f.open_batch(session, staff["body"], staff["assessor"]).id
    headers = auth_headers(session, staff["assessor"], write=True)
    good = [(c.name, "居民身份证", c.id_number, 80, 75) for c in f.candidate_inputs(30)]
    bad = [("王芳", "居民身份证", "110105194912310021", 80, 80),
           ("李强", "居民身份证", "11010519491231002X", 80, "九十")]

    refused = client.post(f"/api/v1/batches/{batch_id}/import", headers={**headers, "Accept-Language": "en"},
                          data={"file": (io.BytesIO(_csv(bad)), "bad.csv")}, content_type="multipart/form-data")

    assert refused.status_code == 202, refused.get_json()
    # Each reader gets the refused cells, and their report, in their own language, whoever uploaded.
    english = client.get(refused.headers["Location"], headers={**headers, "Accept-Language": "en"}).get_json()
    job = client.get(refused.headers["Location"], headers={**headers, "Accept-Language": "zh"}).get_json()
    assert job["kind"] == "import" and job["status"] == "failed"
    assert job["error"]["reason"] == "pasted-rows-invalid"
    assert {(e["row"], e["column_name"]) for e in english["result"]["errors"]} == {
        (2, "ID number"), (3, "Practical skills assessment")}
    assert {(e["row"], e["column_name"]) for e in job["result"]["errors"]} == {(2, "证件号码"), (3, "技能考核")}
    assert all(set(e) == {"row", "column", "column_name", "message"} for e in job["result"]["errors"])
    for lang, header in (("zh", ["行", "列", "列名", "问题"]), ("en", ["Row", "Column", "Column name", "Problem"])):
        report = client.get(job["links"]["file"], headers={**headers, "Accept-Language": lang})
        assert report.status_code == 200 and report.mimetype.endswith("spreadsheetml.sheet")
        rows = list(openpyxl.load_workbook(io.BytesIO(report.data)).worksheets[0].iter_rows(values_only=True))
        assert list(rows[0]) == header and len(rows) == 3  # a header and a row per error
    assert session.exec(select(Candidate).where(Candidate.batch_id == batch_id)).first() is None

    imported = client.post(f"/api/v1/batches/{batch_id}/import", headers=headers,
                           data={"file": (io.BytesIO(_csv(good)), "good.csv")}, content_type="multipart/form-data")
    assert imported.status_code == 202
    done = client.get(imported.headers["Location"], headers=headers).get_json()
    assert done["status"] == "succeeded", done
    assert done["result"] == {"added": 30, "passed": 30}
    assert done["progress"] == {"done": 30, "total": 30, "percent": 100}
    session.expire_all()
    assert len(session.exec(select(Candidate).where(Candidate.batch_id == batch_id)).all()) == 30


def test_a_large_photo_zip_is_imported_by_a_job_and_refused_files_are_named(app, client, session, staff):
    app.config["JOBS_PHOTOS_INLINE_BYTES"] = 10
    batch_id = f.open_batch(session, staff["body"], staff["assessor"]).id
    people = f.candidate_inputs(2)
    batch_service.add_candidates(session, batch_id=batch_id, candidates=people, actor=staff["assessor"], now=f.NOW)
    headers = auth_headers(session, staff["assessor"], write=True)
    photos = {f"{p.id_number}.jpg": jpeg() for p in people}

    refused = client.post(f"/api/v1/batches/{batch_id}/photos", headers=headers, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(make_zip({**photos, "x.png": b"text"})), "p.zip")})
    assert refused.status_code == 202
    failed = client.get(refused.headers["Location"], headers=headers).get_json()
    assert failed["status"] == "failed" and failed["error"]["reason"] == "photos-rejected"
    assert [e["file"] for e in failed["result"]["errors"]] == ["x.png"]
    assert session.exec(select(CandidatePhoto)).first() is None

    queued = client.post(f"/api/v1/batches/{batch_id}/photos", headers=headers, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(make_zip(photos)), "p.zip")})
    done = client.get(queued.headers["Location"], headers=headers).get_json()
    assert done["kind"] == "photos" and done["status"] == "succeeded"
    assert done["result"]["stored"] == 2


def test_a_file_over_its_limit_is_refused_at_once_not_by_a_job(app, client, session, staff):
    """A file between its limit and the request's framing allowance would pass the request cap: it is refused when
    it arrives, with the limit named, instead of answered 202 and failed by a worker later."""
    app.config.update(JOBS_IMPORT_INLINE_BYTES=10, JOBS_PHOTOS_INLINE_BYTES=10, IMPORT_MAX_BYTES=100,
                      PHOTOS_MAX_BYTES=100)
    batch_id = f.open_batch(session, staff["body"], staff["assessor"]).id
    headers = {**auth_headers(session, staff["assessor"], write=True), "Accept-Language": "en"}
    rows = [(c.name, "居民身份证", c.id_number, 80, 75) for c in f.candidate_inputs(5)]
    sheet = client.post(f"/api/v1/batches/{batch_id}/import", headers=headers, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(_csv(rows)), "big.csv")})
    photos = client.post(f"/api/v1/batches/{batch_id}/photos", headers=headers, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(make_zip({"11010519491231002X.jpg": jpeg()})), "p.zip")})
    for answer in (sheet, photos):
        assert answer.status_code == 422, answer.get_json()
        assert answer.get_json()["reason"] == "file-too-large"
        assert answer.get_json()["message"] == "The file is larger than the 100 B limit."
    assert session.exec(select(Job).where(Job.batch_id == batch_id)).first() is None
