"""Background jobs in the body console: a large batch's approval and print bundle open the job's page, which
shows the progress and then the outcome; a failed job is retried from its page; another body sees nothing."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from PIL import Image
from pypdf import PdfReader
from sqlmodel import select

from registry.jobs.runner import run_job
from registry.models import Body, CandidatePhoto, Certificate, Job
from registry.services import batches as batch_service
from registry.services import jobs as job_service
from tests import factories as f
from tests.integration.test_photo_import import jpeg, make_zip
from tests.web.test_console import post, switch_to, text
from tests.web.test_staff import sign_in, username


def _world(session):
    f.publish_catalogue(session)
    body = f.body(session)
    return body, f.staff(session, body, "assessor"), f.staff(session, body, "supervisor")


def test_a_large_approval_and_its_print_bundle_run_as_jobs_with_their_own_page(app, client, session):
    app.config["JOBS_INLINE_MAX"] = 2
    body, assessor, supervisor = _world(session)
    batch_id = f.submitted_batch(session, body, assessor, count=3).id
    assert sign_in(client, username(supervisor)).status_code == 302

    approved = post(client, f"/console/batches/{batch_id}/approve")

    assert approved.status_code == 302
    job_url = approved.headers["Location"]
    assert job_url.startswith("/console/jobs/")
    page = text(client.get(job_url))
    assert "批准并签发" in page and "已完成" in page and "已签发 3 本证书" in page
    assert len(session.exec(select(Certificate).where(Certificate.batch_id == batch_id)).all()) == 3
    progress = client.get(job_url + "/progress.json").get_json()
    assert progress["status"] == "succeeded" and progress["progress"]["percent"] == 100

    bundle = client.get(f"/console/batches/{batch_id}/bundle.pdf")
    assert bundle.status_code == 302 and bundle.headers["Location"].startswith("/console/jobs/")
    print_page = text(client.get(bundle.headers["Location"]))
    assert "生成打印文件" in print_page and "已完成" in print_page
    download = client.get(bundle.headers["Location"] + "/file")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(download.data)).pages) == 3


def test_a_failed_job_says_why_in_the_readers_language_and_is_retried_from_its_page(app, client, session):
    body, assessor, supervisor = _world(session)
    batch_id = f.submitted_batch(session, body, assessor, count=2).id
    job, _ = job_service.queue_issuance(session, batch_id=batch_id, actor=supervisor, now=datetime.now(UTC))
    job_id, body_id = job.id, body.id
    session.get(Body, body_id).status = "suspended"
    session.commit()
    run_job(app, job_id)
    assert sign_in(client, username(supervisor)).status_code == 302

    failed = text(client.get(f"/console/jobs/{job_id}"))
    assert "任务未完成" in failed and "评价机构已被暂停" in failed and "重试" in failed
    english = text(client.get(f"/console/jobs/{job_id}", query_string={"lang": "en"}))
    assert "The evaluation body is suspended" in english
    client.get("/console", query_string={"lang": "zh"})
    batch_page = text(client.get(f"/console/batches/{batch_id}"))
    assert f"/console/jobs/{job_id}" in batch_page and "未完成" in batch_page
    refused = post(client, f"/console/jobs/{job_id}/retry")
    assert refused.status_code == 302  # retried, and refused again by the worker: the body is still suspended
    assert session.get(Job, job_id).status == "failed" and session.get(Job, job_id).attempts == 2

    session.get(Body, body_id).status = "active"
    session.commit()
    retried = post(client, f"/console/jobs/{job_id}/retry", follow_redirects=True)
    assert "已完成" in text(retried) and "已签发 2 本证书" in text(retried)
    session.expire_all()
    assert session.get(Job, job_id).attempts == 3
    again = post(client, f"/console/jobs/{job_id}/retry")
    assert again.status_code == 409 and "无需重试" in text(again)
    english = text(client.get(f"/console/jobs/{job_id}", query_string={"lang": "en"}))
    assert "Approval and issuance" in english and "Finished" in english and "2 certificates issued" in english


def test_another_bodys_staff_get_404_for_a_job(app, client, session):
    app.config["JOBS_INLINE_MAX"] = 0
    body, assessor, supervisor = _world(session)
    batch_id = f.submitted_batch(session, body, assessor, count=1).id
    assert sign_in(client, username(supervisor)).status_code == 302
    job_url = post(client, f"/console/batches/{batch_id}/approve").headers["Location"]
    other = f.staff(session, f.body(session), "supervisor")
    switch_to(client, other)
    for suffix in ("", "/progress.json", "/file"):
        assert client.get(job_url + suffix).status_code == 404
    assert post(client, job_url + "/retry").status_code == 404


def test_a_large_file_refused_in_the_background_lists_its_errors_on_the_jobs_page(app, client, session):
    app.config["JOBS_IMPORT_INLINE_BYTES"] = 10
    body, assessor, _ = _world(session)
    batch_id = f.open_batch(session, body, assessor).id
    assert sign_in(client, username(assessor)).status_code == 302
    bad = "姓名,证件类型,证件号码,理论知识考试,技能考核\n王芳,居民身份证,110105194912310021,80,80\n".encode()

    answer = post(client, f"/console/batches/{batch_id}/import", prefix="import",
                  data={"file": (io.BytesIO(bad), "bad.csv")}, content_type="multipart/form-data")

    assert answer.status_code == 302 and answer.headers["Location"].startswith("/console/jobs/")
    page = text(client.get(answer.headers["Location"]))
    assert "导入考生" in page and "任务未完成" in page and "文件中的错误" in page and "证件号码" in page
    report = client.get(answer.headers["Location"] + "/file")
    assert report.status_code == 200 and report.mimetype.endswith("spreadsheetml.sheet")
    assert f"/console/batches/{batch_id}" in page


def test_photos_are_uploaded_from_the_batch_page_at_once_or_as_a_job(app, client, session):
    body, assessor, _ = _world(session)
    batch_id = f.open_batch(session, body, assessor).id
    people = f.candidate_inputs(2)
    batch_service.add_candidates(session, batch_id=batch_id, candidates=people, actor=assessor, now=f.NOW)
    assert sign_in(client, username(assessor)).status_code == 302
    assert "上传考生照片" in text(client.get(f"/console/batches/{batch_id}"))
    good = make_zip({f"{p.id_number}.jpg": jpeg() for p in people})

    stored = post(client, f"/console/batches/{batch_id}/photos", prefix="photos",
                  data={"file": (io.BytesIO(good), "photos.zip")}, content_type="multipart/form-data",
                  follow_redirects=True)
    assert stored.status_code == 200 and "已保存 2 张照片" in text(stored)
    assert len(session.exec(select(CandidatePhoto)).all()) >= 2

    refused = post(client, f"/console/batches/{batch_id}/photos", prefix="photos",
                   data={"file": (io.BytesIO(make_zip({"notes.jpg": b"not an image"})), "bad.zip")},
                   content_type="multipart/form-data")
    assert refused.status_code == 422 and "notes.jpg" in text(refused) and "未保存任何照片" in text(refused)

    app.config["JOBS_PHOTOS_INLINE_BYTES"] = 10
    queued = post(client, f"/console/batches/{batch_id}/photos", prefix="photos",
                  data={"file": (io.BytesIO(good), "photos.zip")}, content_type="multipart/form-data")
    assert queued.status_code == 302 and queued.headers["Location"].startswith("/console/jobs/")
    page = text(client.get(queued.headers["Location"]))
    assert "上传考生照片" in page and "已完成" in page and "已保存" in page


def test_a_photo_zip_may_be_as_large_as_the_photo_limit_not_the_spreadsheets(app, client, session):
    """Photo ZIPs run to hundreds of MB where a spreadsheet is a few: the console's photo upload has the
    photo limit as its own cap, states it, and a request past it gets a page naming that limit."""
    body, assessor, _ = _world(session)
    batch_id = f.open_batch(session, body, assessor).id
    person = f.candidate_inputs(1)
    batch_service.add_candidates(session, batch_id=batch_id, candidates=person, actor=assessor, now=f.NOW)
    assert sign_in(client, username(assessor)).status_code == 302
    app.config.update(MAX_CONTENT_LENGTH=20_000, PHOTOS_MAX_BYTES=3 * 1024 * 1024)  # spreadsheets: 20 KB
    assert "ZIP 文件，不超过 3 MB。" in text(client.get(f"/console/batches/{batch_id}"))
    big = io.BytesIO()
    Image.effect_noise((600, 840), 64).convert("RGB").save(big, "JPEG", quality=95)
    data = make_zip({f"{person[0].id_number}.jpg": big.getvalue()})
    assert 20_000 < len(data) < 1024 * 1024

    stored = post(client, f"/console/batches/{batch_id}/photos", prefix="photos",
                  data={"file": (io.BytesIO(data), "photos.zip")}, content_type="multipart/form-data",
                  follow_redirects=True)
    assert stored.status_code == 200 and "已保存 1 张照片" in text(stored)

    app.config.update(PHOTOS_MAX_BYTES=10_000)  # over the limit, within the request's framing allowance
    over = post(client, f"/console/batches/{batch_id}/photos", prefix="photos",
                data={"file": (io.BytesIO(data), "photos.zip")}, content_type="multipart/form-data")
    assert over.status_code == 422 and "文件超过 9.7 KB 的上限" in text(over)
    # Past the limit and the 1 MB allowed for the framing: refused from its length, before anything reads it.
    huge = make_zip({f"{person[0].id_number}.jpg": bytes(1100 * 1024)}, method=zipfile.ZIP_STORED)
    refused = client.post(f"/console/batches/{batch_id}/photos", data=huge,
                          content_type="multipart/form-data; boundary=x")
    assert refused.status_code == 413
    assert "上传的文件过大" in text(refused) and "不能超过 9.7 KB" in text(refused)
