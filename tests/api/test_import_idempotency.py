"""Idempotency-Key on the spreadsheet import: a file upload is the same request when its file is the same, whatever
multipart boundary the client chose; a refused file's answer is replayed like any other."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from sqlmodel import func, select

from certificates import make_resident_id
from registry.models import Candidate, IdempotentRequest
from tests import factories as f
from tests.api.credentials import auth_headers

HEADER = "姓名,证件类型,证件号码,理论知识考试,技能考核"


def rows(count: int, *, start: int = 0, skill: int = 75) -> bytes:
    lines = [f"{f.SURNAMES[i % 25]}{f.GIVEN[i % 18]},居民身份证,"
             f"{make_resident_id('440106', date(1985, 1, 1) + timedelta(days=i), i % 1000)},80,{skill}"
             for i in range(start, start + count)]
    return "\n".join([HEADER, *lines]).encode()


@pytest.fixture
def batch(session):
    f.publish_catalogue(session)
    body = f.body(session)
    assessor = f.staff(session, body, "assessor")
    return f.open_batch(session, body, assessor), assessor


def candidates(session, batch_id: int) -> int:
    return session.exec(select(func.count()).select_from(Candidate).where(Candidate.batch_id == batch_id)).one()


def upload(client, batch_id: int, data: bytes, headers: dict[str, str], *, name: str = "考生.csv", query: str = ""):
    return client.post(f"/api/v1/batches/{batch_id}/import{query}", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def multipart(data: bytes, boundary: str, name: str = "考生.csv") -> bytes:
    """The body a client such as curl sends: each client picks its own boundary, on every request."""
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()


def test_the_same_file_again_is_one_import_and_the_first_answer(client, session, batch):
    opened, assessor = batch
    headers = {**auth_headers(session, assessor), "Idempotency-Key": "import-2026-05-10"}
    first = upload(client, opened.id, rows(3), headers)
    assert first.status_code == 201 and first.get_json() == {"added": 3, "passed": 3}
    assert "Idempotent-Replayed" not in first.headers

    # A retry with another boundary between the parts (the test client draws a new one for every request, and so
    # do browsers, curl and requests): the same file, so the same request
    for boundary in ("----retry-a", "----retry-b"):
        again = client.post(f"/api/v1/batches/{opened.id}/import", headers=headers, data=multipart(rows(3), boundary),
                            content_type=f"multipart/form-data; boundary={boundary}")
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.get_json() == first.get_json()
    assert candidates(session, opened.id) == 3

    # The same key with another file, or the same bytes under another name, is another request
    for data, name in ((rows(2, start=10), "考生.csv"), (rows(3), "other.csv")):
        other = upload(client, opened.id, data, {**headers, "Accept-Language": "en"}, name=name)
        assert other.status_code == 422, name
        assert other.get_json()["reason"] == "idempotency-key-reused" and other.get_json()["field"] == "Idempotency-Key"
    assert candidates(session, opened.id) == 3

    # A new key is new work: these rows are in the batch already, so the file is refused by its rows
    fresh = upload(client, opened.id, rows(3), {**headers, "Idempotency-Key": "import-2"})
    assert fresh.status_code == 422 and fresh.get_json()["errors"][0]["column"] == 3
    assert candidates(session, opened.id) == 3


def test_a_refused_file_is_answered_again_not_checked_again(client, session, batch):
    """The 422 naming the bad cells is the answer to that request: nothing was written, and a retry of the same
    file under the key gets it again. A corrected file is a different request, so it needs a new key."""
    opened, assessor = batch
    headers = {**auth_headers(session, assessor), "Idempotency-Key": "bad-scores"}
    bad = rows(2, skill=101)
    first = upload(client, opened.id, bad, headers)
    assert first.status_code == 422 and first.get_json()["reason"] == "pasted-rows-invalid"
    assert [(e["row"], e["column"]) for e in first.get_json()["errors"]] == [(2, 5), (3, 5)]
    again = upload(client, opened.id, bad, headers)
    assert again.status_code == 422 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()

    corrected = upload(client, opened.id, rows(2), headers)
    assert corrected.status_code == 422 and corrected.get_json()["reason"] == "idempotency-key-reused"
    assert candidates(session, opened.id) == 0
    assert upload(client, opened.id, rows(2), {**headers, "Idempotency-Key": "bad-scores-fixed"}).status_code == 201
    assert candidates(session, opened.id) == 2


def test_the_xlsx_error_report_is_replayed_as_a_download(client, session, batch):
    opened, assessor = batch
    headers = {**auth_headers(session, assessor), "Idempotency-Key": "report"}
    first = upload(client, opened.id, rows(1, skill=101), headers, query="?errors=xlsx")
    again = upload(client, opened.id, rows(1, skill=101), headers, query="?errors=xlsx")
    assert first.status_code == again.status_code == 422 and again.headers["Idempotent-Replayed"] == "true"
    assert again.data == first.data
    assert again.headers["Content-Disposition"] == first.headers["Content-Disposition"]
    assert again.mimetype == first.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    report = openpyxl.load_workbook(io.BytesIO(again.data))
    assert list(report.active.iter_rows(min_row=2, values_only=True))[0][:3] == (2, 5, "技能考核")

    # The query is part of the request: the JSON answer under the same key is another request
    as_json = upload(client, opened.id, rows(1, skill=101), headers)
    assert as_json.status_code == 422 and as_json.get_json()["reason"] == "idempotency-key-reused"


def test_an_oversized_upload_claims_no_key(client, session, batch, app):
    opened, assessor = batch
    app.config.update(IMPORT_MAX_BYTES=1024, MAX_CONTENT_LENGTH=2048)
    headers = {**auth_headers(session, assessor), "Idempotency-Key": "too-big"}
    refused = upload(client, opened.id, rows(60), headers)
    assert refused.status_code == 413 and refused.get_json()["reason"] == "too-large"
    assert session.exec(select(func.count()).select_from(IdempotentRequest)).one() == 0
    app.config.update(IMPORT_MAX_BYTES=20 * 1024 * 1024, MAX_CONTENT_LENGTH=21 * 1024 * 1024)
    assert upload(client, opened.id, rows(60), headers).status_code == 201  # the key is free for the retry
    assert candidates(session, opened.id) == 60
