"""POST /api/v1/batches/<id>/photos (a ZIP of images named by 证件号码) and GET .../candidates/<id>/photo: counts or
each refused file named, the batch rules as for every change (409 once submitted, 404 for another body's), and the
stored photo read back as printed."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from PIL import Image

from registry.services import batches as batch_service
from tests import factories
from tests.api.credentials import auth_headers
from tests.integration.test_photo_import import jpeg, make_zip, png_with_alpha, zeros_zip


@pytest.fixture
def entry(session):
    factories.publish_catalogue(session)
    filed = factories.body(session)
    assessor = factories.staff(session, filed, "assessor")
    batch = factories.open_batch(session, filed, assessor)
    added = batch_service.add_candidates(session, batch_id=batch.id, candidates=factories.candidate_inputs(2),
                                         actor=assessor, now=factories.NOW)
    return batch, assessor, added


def _post(client, batch_id: int, data: bytes, headers: dict[str, str], name: str = "照片.zip"):
    return client.post(f"/api/v1/batches/{batch_id}/photos", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_upload_then_read_a_photo_back(client, session, entry):
    batch, assessor, (first, second) = entry
    headers = auth_headers(session, assessor)
    data = make_zip({f"{first.id_number}.jpg": jpeg((900, 1200), exif=True),
                     f"{second.id_number}.png": png_with_alpha(), "__MACOSX/._x.jpg": b"x"})
    answer = _post(client, batch.id, data, headers)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json() == {"stored": 2, "replaced": 0, "ignored": 1}
    assert answer.headers["Cache-Control"] == "private, no-store"
    again = _post(client, batch.id, make_zip({f"{first.id_number}.jpg": jpeg()}), headers)
    assert again.status_code == 201 and again.get_json() == {"stored": 1, "replaced": 1, "ignored": 0}

    photo = client.get(f"/api/v1/batches/{batch.id}/candidates/{first.id}/photo", headers=headers)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "private, no-store" and photo.headers["ETag"].startswith('"')
    image = Image.open(io.BytesIO(photo.data))
    assert image.size == (295, 413) and not image.getexif()
    regulator = client.get(f"/api/v1/batches/{batch.id}/candidates/{second.id}/photo",
                           headers=auth_headers(session, factories.regulator(session), write=False))
    assert regulator.status_code == 200 and regulator.data.startswith(b"\xff\xd8\xff")


def test_a_candidate_without_a_photo_is_404(client, session, entry):
    batch, assessor, (first, _) = entry
    answer = client.get(f"/api/v1/batches/{batch.id}/candidates/{first.id}/photo",
                        headers=auth_headers(session, assessor) | {"Accept-Language": "en"})
    assert answer.status_code == 404
    assert answer.get_json() | {"message": ""} == {"code": 404, "status": "Not Found", "message": "",
                                                   "reason": "photo-not-found", "field": "candidate_id"}
    assert answer.get_json()["message"] == "This candidate has no photo yet."


def test_refused_files_are_each_named_in_the_readers_language(client, session, entry):
    batch, assessor, (first, second) = entry
    data = make_zip({f"{first.id_number}.jpg": b"plain text, renamed", f"{second.id_number}.jpg": jpeg(),
                     "11010519491231002X.png": jpeg()})
    answer = _post(client, batch.id, data, auth_headers(session, assessor) | {"Accept-Language": "en"})
    assert answer.status_code == 422
    body = answer.get_json()
    assert (body["reason"], body["field"], body["omitted"]) == ("photos-rejected", "file", 0)
    assert body["message"].startswith("2 file(s) in the archive were refused; no photo was stored")
    assert [(e["file"], e["reason"]) for e in body["errors"]] == [
        ("11010519491231002X.png", "photo-id-unknown"), (f"{first.id_number}.jpg", "photo-not-image")]
    assert "not an image" in body["errors"][1]["message"]
    zh = _post(client, batch.id, data, auth_headers(session, assessor)).get_json()
    assert "不是图像" in zh["errors"][1]["message"] and "未保存任何照片" in zh["message"]
    stored = client.get(f"/api/v1/batches/{batch.id}/candidates/{second.id}/photo",
                        headers=auth_headers(session, assessor))
    assert stored.status_code == 404, "nothing is stored when any file is refused"


def test_a_hostile_archive_is_refused_as_a_whole(client, session, entry):
    batch, assessor, (first, _) = entry
    headers = auth_headers(session, assessor)
    bomb = _post(client, batch.id, zeros_zip(f"{first.id_number}.jpg", 100), headers)
    assert bomb.status_code == 422
    assert (bomb.get_json()["reason"], bomb.get_json()["field"]) == ("zip-too-large-unzipped", "file")
    climbing = _post(client, batch.id, make_zip({f"../{first.id_number}.jpg": jpeg()}), headers)
    assert climbing.status_code == 422 and climbing.get_json()["reason"] == "zip-unsafe-path"
    not_zip = _post(client, batch.id, jpeg(), headers, name="photo.jpg")
    assert not_zip.status_code == 422 and not_zip.get_json()["reason"] == "file-not-zip"


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(app, client, session, entry):
    batch, assessor, (first, _) = entry
    app.config["PHOTOS_MAX_BYTES"] = 1000
    # Over the limit and the 1 MB allowed for the framing. Sent as raw bytes: only its length is looked at.
    large = make_zip({f"{first.id_number}.jpg": os.urandom(1100 * 1024)}, method=zipfile.ZIP_STORED)
    answer = client.post(f"/api/v1/batches/{batch.id}/photos", headers=auth_headers(session, assessor), data=large,
                         content_type="multipart/form-data; boundary=x")
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["reason"] == "file-too-large" and "1000 B" in answer.get_json()["message"]


def test_a_file_over_the_photo_limit_within_the_request_cap_is_refused_by_the_import(app, client, session, entry):
    batch, assessor, (first, _) = entry
    app.config["PHOTOS_MAX_BYTES"] = 100
    data = make_zip({f"{first.id_number}.jpg": jpeg()})
    assert len(data) > 100
    answer = _post(client, batch.id, data, {**auth_headers(session, assessor), "Accept-Language": "en"})
    assert answer.status_code == 422
    assert answer.get_json()["reason"] == "file-too-large"
    assert answer.get_json()["message"] == "The file is larger than the 100 B limit."


def test_photo_zips_may_be_larger_than_the_applications_other_uploads(app, client, session, entry):
    batch, assessor, (first, _) = entry
    app.config["MAX_CONTENT_LENGTH"] = 50_000  # what the application's other uploads are held to
    out = io.BytesIO()
    Image.effect_noise((300, 420), 64).convert("RGB").save(out, "JPEG", quality=95)
    data = make_zip({f"{first.id_number}.jpg": out.getvalue()})
    assert 50_000 < len(data) < 500_000  # over the cap, and under what the test client spools to a file
    answer = _post(client, batch.id, data, auth_headers(session, assessor))
    assert answer.status_code == 201, answer.get_json()


def test_who_may_upload(client, session, entry):
    batch, assessor, (first, _) = entry
    data = make_zip({f"{first.id_number}.jpg": jpeg()})
    anonymous = _post(client, batch.id, data, {})
    assert anonymous.status_code == 401 and anonymous.get_json()["reason"] == "login-required"
    read_only = _post(client, batch.id, data, auth_headers(session, assessor, write=False))
    assert read_only.status_code == 403 and read_only.get_json()["reason"] == "token-read-only"
    regulator = _post(client, batch.id, data, auth_headers(session, factories.regulator(session)))
    assert regulator.status_code == 403 and regulator.get_json()["reason"] == "other-body"
    other = factories.staff(session, factories.body(session), "body_admin")
    hidden = _post(client, batch.id, data, auth_headers(session, other))
    assert hidden.status_code == 404 and hidden.get_json()["reason"] == "batch-not-found"
    peek = client.get(f"/api/v1/batches/{batch.id}/candidates/{first.id}/photo", headers=auth_headers(session, other))
    assert peek.status_code == 404 and peek.get_json()["reason"] == "batch-not-found"


def test_a_submitted_batch_takes_no_more_photos(client, session, entry):
    batch, assessor, (first, _) = entry
    batch_service.submit_batch(session, batch_id=batch.id, actor=assessor, now=factories.NOW)
    answer = _post(client, batch.id, make_zip({f"{first.id_number}.jpg": jpeg()}), auth_headers(session, assessor))
    assert answer.status_code == 409 and answer.get_json()["reason"] == "batch-not-editable"


def test_the_operations_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    upload = spec["paths"]["/api/v1/batches/{batch_id}/photos"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(upload["responses"])
    read = spec["paths"]["/api/v1/batches/{batch_id}/candidates/{candidate_id}/photo"]["get"]
    assert "image/jpeg" in read["responses"]["200"]["content"]
