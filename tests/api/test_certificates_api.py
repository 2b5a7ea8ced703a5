"""/api/v1/certificates…: a body's own certificates and the regulator's every one; revocation and reissue as a
verifier then sees them; another body's certificate is not found and stays as it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from registry.models import Certificate, Revocation
from registry.services import issuance
from tests import factories as f
from tests.api.credentials import auth_headers

JUNE = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)


@pytest.fixture
def world(session, vault):
    """Body A: three certificates (四级, issued 2026-05-20) and two (三级, issued 2026-06-15); body B: two."""
    issued = f.issued_batch(session, count=3)
    a = issued.body
    june = f.submitted_batch(session, a, issued.assessor, count=2, level=3, start=40)
    later = issuance.approve_batch(session, batch_id=june.id, approved_by=issued.supervisor, vault=vault, now=JUNE)
    b = f.body(session, province="11")
    b_assessor, b_supervisor = f.staff(session, b, "assessor"), f.staff(session, b, "supervisor")
    b_batch = f.submitted_batch(session, b, b_assessor, count=2, start=80)
    b_certs = issuance.approve_batch(session, batch_id=b_batch.id, approved_by=b_supervisor, vault=vault, now=f.NOW)
    return {
        "a": a, "b": b, "a_certs": issued.certificates + later, "b_certs": b_certs, "june_batch": june.id,
        "regulator": f.regulator(session), "a_supervisor": issued.supervisor, "a_assessor": issued.assessor,
        "a_admin": f.staff(session, a, "body_admin"), "b_admin": f.staff(session, b, "body_admin"),
    }


def stored(session, number):
    return session.exec(select(Certificate).where(Certificate.number == number)).one()


def numbers(response):
    assert response.status_code == 200, response.get_json()
    return [item["number"] for item in response.get_json()["items"]]


def test_body_staff_list_only_their_bodys_certificates_newest_first(client, session, world):
    staff = auth_headers(session, world["a_assessor"], write=False)
    listing = client.get("/api/v1/certificates", headers=staff)
    expected = [c.number for c in sorted(world["a_certs"], key=lambda c: c.id, reverse=True)]
    assert numbers(listing) == expected
    body = listing.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 50, 5)
    first = body["items"][0]
    cert = stored(session, first["number"])
    assert first["id_number"] == cert.id_number and first["id_number_masked"].count("*") == 8
    assert (first["level"], first["level_label"], first["level_label_en"]) == (3, "三级/高级工",
                                                                             "Level 3 / Senior Worker")
    assert (first["issued_on"], first["issued_at"]) == ("2026-06-15", "2026-06-15T03:00:00+00:00")
    assert first["body_id"] == world["a"].id and first["standard"] == "6-31-01-03@2018"
    # Asking for another body's certificates finds none of them.
    assert numbers(client.get(f"/api/v1/certificates?body_id={world['b'].id}", headers=staff)) == []


def test_the_regulator_lists_every_body_and_narrows_by_body(client, session, world):
    regulator = auth_headers(session, world["regulator"], write=False)
    everything = client.get("/api/v1/certificates?per_page=100", headers=regulator)
    assert set(numbers(everything)) >= {c.number for c in world["a_certs"] + world["b_certs"]}
    only_b = numbers(client.get(f"/api/v1/certificates?body_id={world['b'].id}", headers=regulator))
    assert sorted(only_b) == sorted(c.number for c in world["b_certs"])
    assert client.get("/api/v1/certificates", headers=regulator).get_json()["items"][0]["id_number"]


def test_filters_narrow_the_listing(client, session, world):
    staff = auth_headers(session, world["a_admin"], write=False)
    a_certs = world["a_certs"]
    target = a_certs[1]

    def listed(query):
        return sorted(numbers(client.get(f"/api/v1/certificates?{query}", headers=staff)))

    may, june = sorted(c.number for c in a_certs[:3]), sorted(c.number for c in a_certs[3:])
    assert listed(f"number={target.number[-7:]}") == [target.number]
    assert listed(f"number={target.number.lower()}") == [target.number]
    assert listed(f"holder_name={target.holder_name}") == [target.number]
    assert listed(f"id_number={target.id_number.lower()}") == [target.number]
    assert listed(f"id_number={target.id_number[:10]}") == []  # the whole number, not a part
    assert listed("issued_from=2026-06-01") == june
    assert listed("issued_to=2026-05-31") == may
    assert listed("issued_from=2026-05-20&issued_to=2026-05-20") == may
    assert listed(f"batch_id={world['june_batch']}") == june
    assert listed("standard=6-31-01-03") == sorted(may + june)
    assert listed("standard=6-31-01-03@2018") == sorted(may + june)
    assert listed("standard=6-31-01-03@2024") == []
    assert listed("standard=4-10-01-06") == []
    assert listed("status=valid") == sorted(may + june) and listed("status=revoked") == []


def test_the_listing_pages(client, session, world):
    staff = auth_headers(session, world["a_supervisor"], write=False)
    pages = [client.get(f"/api/v1/certificates?per_page=2&page={n}", headers=staff).get_json() for n in (1, 2, 3, 4)]
    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    assert {p["total"] for p in pages} == {5} and {p["per_page"] for p in pages} == {2}
    assert len({i["number"] for p in pages for i in p["items"]}) == 5


@pytest.mark.parametrize("query, field", [
    ("issued_from=2026-06-01&issued_to=2026-05-01", "issued_to"),
    ("issued_from=yesterday", "issued_from"),
    ("status=cancelled", "status"),
    ("standard=electrician", "standard"),
    ("per_page=101", "per_page"),
    ("batch_id=x", "batch_id"),
])
def test_a_malformed_filter_is_422_naming_it(client, session, world, query, field):
    response = client.get(f"/api/v1/certificates?{query}",
                          headers=auth_headers(session, world["a_admin"], write=False) | {"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.get_json()["message"] == "The request data is not valid."
    assert field in response.get_json()["errors"]["query"]


def test_the_whole_record_of_a_valid_certificate(client, session, world):
    cert = world["a_certs"][0]
    response = client.get(f"/api/v1/certificates/{cert.number.lower()}",
                          headers=auth_headers(session, world["a_assessor"], write=False))
    assert response.status_code == 200
    body = response.get_json()
    assert body["number"] == cert.number and body["status"] == "valid" and body["genuine"] is True
    assert (body["revocation"], body["superseded_by"], body["supersedes"]) == (None, None, None)
    assert (body["holder_name"], body["id_number"], body["id_type"]) == (cert.holder_name, cert.id_number, "resident")
    assert (body["work_type"], body["assessed_on"], body["body_name"]) == ("--", "2026-05-10", world["a"].name)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_revocation_shows_in_the_record_the_listing_and_the_public_lookup(client, session, world):
    cert = world["a_certs"][0]
    supervisor = auth_headers(session, world["a_supervisor"])
    response = client.post(f"/api/v1/certificates/{cert.number}/revoke",
                           json={"reason": "fraud", "note": "伪造工作年限证明"}, headers=supervisor)
    assert response.status_code == 200, response.get_json()
    revoked = response.get_json()
    assert revoked["status"] == "revoked"
    revocation = revoked["revocation"]
    assert (revocation["reason"], revocation["reason_zh"], revocation["reason_en"], revocation["note"]) == (
        "fraud", "弄虚作假取得", "Obtained by fraud or false documents", "伪造工作年限证明")
    assert revocation["revoked_by"] == world["a_supervisor"].label.removeprefix("user:")
    assert revocation["revoked_at"].endswith("+00:00")

    assert client.get(f"/api/v1/certificates/{cert.number}", headers=supervisor).get_json() == revoked
    assert numbers(client.get("/api/v1/certificates?status=revoked", headers=supervisor)) == [cert.number]
    [match] = client.post("/api/v1/verify", json={"number": cert.number, "name": cert.holder_name}
                          ).get_json()["matches"]
    assert (match["status"], match["revocation_reason"]) == ("revoked", "fraud")

    again = client.post(f"/api/v1/certificates/{cert.number}/revoke", json={"reason": "other", "note": "重复"},
                        headers=supervisor | {"Accept-Language": "en"})
    assert again.status_code == 409 and again.get_json()["reason"] == "certificate-already-revoked"
    assert again.get_json()["message"] == f"Certificate {cert.number} is already revoked."


def test_the_regulator_revokes_any_bodys_certificate(client, session, world):
    cert = world["b_certs"][0]
    response = client.post(f"/api/v1/certificates/{cert.number}/revoke", json={"reason": "body-withdrawn"},
                           headers=auth_headers(session, world["regulator"]))
    assert response.status_code == 200 and response.get_json()["revocation"]["reason"] == "body-withdrawn"
    assert stored(session, cert.number).status == "revoked"


@pytest.mark.parametrize("payload, field, where", [
    ({"reason": "lost"}, "reason", "errors"),
    ({}, "reason", "errors"),
    ({"reason": "fraud", "note": "x" * 1001}, "note", "errors"),
    ({"reason": "other"}, "note", "field"),
])
def test_a_wrong_revocation_is_422_naming_the_field_and_changes_nothing(client, session, world, payload, field,
                                                                          where):
    cert = world["a_certs"][0]
    response = client.post(f"/api/v1/certificates/{cert.number}/revoke", json=payload,
                           headers=auth_headers(session, world["a_admin"]) | {"Accept-Language": "en"})
    assert response.status_code == 422
    body = response.get_json()
    assert (field in body["errors"]["json"]) if where == "errors" else body["field"] == field
    if where == "field":
        assert body["message"] == "A note is required when the reason is 'other'."
    assert stored(session, cert.number).status == "valid"


def test_reissue_gives_a_new_number_and_supersedes_the_old(client, session, world):
    old = world["a_certs"][1]
    correction = {"holder_name": "王伟明", "reason": "姓名更正"}
    response = client.post(f"/api/v1/certificates/{old.number}/reissue", json=correction,
                           headers=auth_headers(session, world["a_admin"]))
    assert response.status_code == 201, response.get_json()
    new = response.get_json()
    assert new["number"] != old.number and new["number"][:13] == old.number[:13]
    assert response.headers["Location"].endswith(f"/api/v1/certificates/{new['number']}")
    assert (new["holder_name"], new["status"], new["supersedes"], new["genuine"]) == ("王伟明", "valid", old.number,
                                                                                     True)
    assert new["id_number"] == old.id_number and new["level"] == old.level

    reader = auth_headers(session, world["a_assessor"], write=False)
    before = client.get(f"/api/v1/certificates/{old.number}", headers=reader).get_json()
    assert (before["status"], before["superseded_by"], before["holder_name"]) == ("superseded", new["number"],
                                                                                 old.holder_name)
    [match] = client.post("/api/v1/verify", json={"number": old.number, "name": old.holder_name}).get_json()["matches"]
    assert (match["status"], match["superseded_by"]) == ("superseded", new["number"])

    twice = client.post(f"/api/v1/certificates/{old.number}/reissue", json={"holder_name": "王伟", "reason": "再次"},
                        headers=auth_headers(session, world["a_admin"]))
    assert twice.status_code == 409 and twice.get_json()["reason"] == "certificate-already-superseded"


def test_a_reissue_that_changes_nothing_or_gives_no_reason_is_422(client, session, world):
    cert = world["a_certs"][2]
    admin = auth_headers(session, world["a_admin"]) | {"Accept-Language": "en"}
    same = client.post(f"/api/v1/certificates/{cert.number}/reissue",
                       json={"holder_name": cert.holder_name, "reason": "无"}, headers=admin)
    assert same.status_code == 422 and same.get_json()["reason"] == "reissue-no-change"
    assert same.get_json()["message"] == "The reissued certificate would be identical to the old one."
    no_reason = client.post(f"/api/v1/certificates/{cert.number}/reissue", json={"holder_name": "王伟明"},
                            headers=admin)
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]["json"]
    bad_id = client.post(f"/api/v1/certificates/{cert.number}/reissue",
                         json={"id_number": "110105194912310021", "reason": "证件号更正"}, headers=admin)
    assert bad_id.status_code == 422 and bad_id.get_json()["field"] == "id_number"
    assert stored(session, cert.number).status == "valid"


def test_roles_the_services_refuse_get_403(client, session, world):
    cert = world["a_certs"][0]
    assessor = client.post(f"/api/v1/certificates/{cert.number}/revoke", json={"reason": "fraud"},
                           headers=auth_headers(session, world["a_assessor"]))
    regulator = client.post(f"/api/v1/certificates/{cert.number}/reissue",
                            json={"holder_name": "王伟明", "reason": "姓名更正"},
                            headers=auth_headers(session, world["regulator"]))
    read_only = client.post(f"/api/v1/certificates/{cert.number}/revoke", json={"reason": "fraud"},
                            headers=auth_headers(session, world["a_supervisor"], write=False))
    assert [r.status_code for r in (assessor, regulator, read_only)] == [403] * 3
    assert [r.get_json()["reason"] for r in (assessor, regulator, read_only)] == [
        "certificate-forbidden", "certificate-forbidden", "token-read-only"]
    assert stored(session, cert.number).status == "valid"
    assert session.exec(select(Certificate).where(Certificate.supersedes_id == cert.id)).first() is None


def test_another_bodys_certificate_is_not_found_and_nothing_changes(client, session, world):
    cert = world["b_certs"][0]
    admin = auth_headers(session, world["a_admin"]) | {"Accept-Language": "en"}
    answers = [
        client.get(f"/api/v1/certificates/{cert.number}", headers=admin),
        client.post(f"/api/v1/certificates/{cert.number}/revoke", json={"reason": "fraud"}, headers=admin),
        client.post(f"/api/v1/certificates/{cert.number}/reissue", json={"holder_name": "王伟明", "reason": "x"},
                    headers=admin),
        client.get(f"/api/v1/certificates/{cert.number}/pdf", headers=admin),
    ]
    unknown = client.get("/api/v1/certificates/S999944999999264999999", headers=admin)
    assert [r.status_code for r in answers] == [404] * 4
    assert {r.get_json()["reason"] for r in answers} == {"certificate-not-found"}
    assert answers[0].get_json()["message"] == f"No certificate {cert.number}."
    assert unknown.get_json()["message"] == "No certificate S999944999999264999999."
    assert cert.holder_name not in "".join(r.get_data(as_text=True) for r in answers)
    assert stored(session, cert.number).status == "valid"
    assert session.exec(select(Revocation).where(Revocation.certificate_id == cert.id)).first() is None
    assert session.exec(select(Certificate).where(Certificate.supersedes_id == cert.id)).first() is None


# role → status for reading a body-A certificate, revoking it, and reissuing it
MATRIX = {
    None: (401, 401, 401),
    "regulator": (200, 200, 403),
    "body_admin": (200, 200, 201),
    "supervisor": (200, 200, 201),
    "assessor": (200, 403, 403),
    "b_admin": (404, 404, 404),
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_permission_matrix(client, session, world, role):
    actors = {"regulator": world["regulator"], "body_admin": world["a_admin"], "supervisor": world["a_supervisor"],
              "assessor": world["a_assessor"], "b_admin": world["b_admin"]}
    headers = auth_headers(session, actors[role]) if role else {}
    read, revoke, reissue = MATRIX[role]
    certs = world["a_certs"]
    assert client.get(f"/api/v1/certificates/{certs[0].number}", headers=headers).status_code == read
    assert client.post(f"/api/v1/certificates/{certs[0].number}/revoke", json={"reason": "issued-in-error"},
                       headers=headers).status_code == revoke
    assert client.post(f"/api/v1/certificates/{certs[1].number}/reissue",
                       json={"holder_name": "王伟明", "reason": "姓名更正"}, headers=headers).status_code == reissue
    assert stored(session, certs[0].number).status == ("revoked" if revoke == 200 else "valid")
    assert stored(session, certs[1].number).status == ("superseded" if reissue == 201 else "valid")


def test_a_retried_reissue_with_the_same_idempotency_key_gives_the_same_certificate(client, session, world):
    old = world["a_certs"][2]
    headers = auth_headers(session, world["a_supervisor"]) | {"Idempotency-Key": "reissue-a-2"}
    correction = {"holder_name": "王伟明", "reason": "姓名更正"}
    first = client.post(f"/api/v1/certificates/{old.number}/reissue", json=correction, headers=headers)
    retry = client.post(f"/api/v1/certificates/{old.number}/reissue", json=correction, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.get_json()["number"] == first.get_json()["number"]
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.headers["Location"] == first.headers["Location"]
    assert len(session.exec(select(Certificate).where(Certificate.supersedes_id == old.id)).all()) == 1
