"""POST /api/v1/verify: the public lookup, as an employer or a phone would use it."""

from __future__ import annotations

import pytest

from registry.services import issuance
from registry.services.batches import CandidateInput, add_candidates, submit_batch
from registry.services.revocation import reissue_certificate, revoke_certificate
from tests import factories as f


@pytest.fixture
def issued(session, vault):
    done = f.issued_batch(session)
    return done.body, done.supervisor, done.certificates


def test_number_and_name_answer_a_valid_certificate_with_the_id_masked(client, issued):
    body, _, certs = issued
    cert = certs[0]
    response = client.post("/api/v1/verify", json={"number": cert.number, "name": cert.holder_name})
    assert response.status_code == 200
    [match] = response.get_json()["matches"]
    assert match["number"] == cert.number
    assert match["status"] == "valid"
    assert match["genuine"] is True
    assert match["level_label"] == "四级/中级工"
    assert match["body_name"] == body.name
    assert match["id_number_masked"] == cert.id_number[:6] + "********" + cert.id_number[-4:]
    assert cert.id_number not in response.get_data(as_text=True)


def test_id_number_and_name_find_the_certificate(client, issued):
    _, _, certs = issued
    cert = certs[1]
    response = client.post("/api/v1/verify", json={"id_number": cert.id_number.lower(), "name": cert.holder_name})
    assert [m["number"] for m in response.get_json()["matches"]] == [cert.number]


def test_a_wrong_name_and_an_unknown_number_get_the_same_answer(client, issued):
    _, _, certs = issued
    wrong_name = client.post("/api/v1/verify", json={"number": certs[0].number, "name": "冒名者"})
    unknown = client.post("/api/v1/verify", json={"number": "S999944999999264999999", "name": certs[0].holder_name})
    assert wrong_name.status_code == unknown.status_code == 200
    assert wrong_name.get_json() == unknown.get_json() == {"matches": []}


def test_revoked_and_superseded_certificates_say_so(client, session, issued, vault):
    _, supervisor, certs = issued
    revoke_certificate(session, number=certs[0].number, reason="fraud", note="伪造工作年限证明", actor=supervisor,
                       now=f.NOW)
    new = reissue_certificate(session, number=certs[1].number, holder_name="王伟明", reason="姓名更正",
                              actor=supervisor, vault=vault, now=f.NOW)

    revoked = client.post("/api/v1/verify", json={"number": certs[0].number, "name": certs[0].holder_name})
    [match] = revoked.get_json()["matches"]
    assert (match["status"], match["revocation_reason"], match["revoked_on"]) == ("revoked", "fraud", "2026-05-20")
    assert match["revocation_reason_zh"] == "弄虚作假取得"

    old = client.post("/api/v1/verify", json={"number": certs[1].number, "name": certs[1].holder_name})
    [match] = old.get_json()["matches"]
    assert (match["status"], match["superseded_by"]) == ("superseded", new.number)
    current = client.post("/api/v1/verify", json={"number": new.number, "name": "王伟明"})
    assert current.get_json()["matches"][0]["status"] == "valid"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"number": "S0001", "name": "张伟"}, "number"),
        ({"name": "张伟"}, "number"),
        ({"number": "S000144440001264000001", "id_number": "11010519491231002X", "name": "张伟"}, "number"),
        ({"number": "S000144440001264000001"}, "name"),
        ({"number": "S000144440001264000001", "name": ""}, "name"),
    ],
)
def test_malformed_input_gets_422_in_the_one_error_shape(client, payload, field):
    response = client.post("/api/v1/verify", json=payload, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    assert body["reason"] == "validation-failed"
    assert body["message"] == "The request data is not valid."
    assert field in str(body["errors"])


def test_repeated_misses_from_one_client_are_rate_limited(client, issued):
    _, _, certs = issued
    for _ in range(5):
        assert client.post("/api/v1/verify", json={"number": certs[0].number, "name": "猜一猜"}).status_code == 200
    blocked = client.post("/api/v1/verify", json={"number": certs[0].number, "name": certs[0].holder_name})
    assert blocked.status_code == 429
    assert blocked.get_json()["reason"] == "rate-limited"
    assert blocked.get_json()["message"] == "查询过于频繁，请稍后再试。"


def test_successful_lookups_do_not_use_up_the_limit(client, issued):
    _, _, certs = issued
    for _ in range(12):
        response = client.post("/api/v1/verify", json={"number": certs[2].number, "name": certs[2].holder_name})
        assert response.status_code == 200


def test_the_openapi_document_describes_verify(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/verify"]["post"]
    assert {"200", "422", "429"} <= set(operation["responses"])


def test_a_name_typed_with_another_middle_dot_still_matches(client, session, vault):
    f.publish_catalogue(session)
    body = f.body(session)
    assessor, supervisor = f.staff(session, body, "assessor"), f.staff(session, body, "supervisor")
    batch = f.open_batch(session, body, assessor)
    [row] = f.candidate_inputs(1)
    add_candidates(session, batch_id=batch.id, actor=assessor, now=f.NOW, candidates=[
        CandidateInput(name="阿依古丽·买买提", id_type=row.id_type, id_number=row.id_number, scores=row.scores)])
    submit_batch(session, batch_id=batch.id, actor=assessor, now=f.NOW)
    [cert] = issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)

    typed = client.post("/api/v1/verify", json={"number": cert.number, "name": " 阿依古丽•买买提 "})
    assert [m["holder_name"] for m in typed.get_json()["matches"]] == ["阿依古丽·买买提"]


def test_the_api_front_door_says_where_to_verify(client):
    body = client.get("/api/v1/").get_json()
    assert body["verify"]["path"] == "/api/v1/verify"
    assert client.get(body["openapi"]).status_code == 200


def test_even_successful_lookups_have_a_ceiling(client, app, issued):
    _, _, certs = issued
    app.config["VERIFY_CEILING"] = "8 per minute"
    statuses = [client.post("/api/v1/verify", json={"number": certs[2].number, "name": certs[2].holder_name})
                .status_code for _ in range(9)]
    assert statuses == [200] * 8 + [429]


def test_an_id_number_typed_with_spaces_or_full_width_digits_is_found(client, issued):
    _, _, certs = issued
    cert = certs[0]
    typed = " ".join([cert.id_number[:6], cert.id_number[6:14], cert.id_number[14:]])
    typed = typed.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = client.post("/api/v1/verify", json={"id_number": typed, "name": cert.holder_name})
    assert [m["number"] for m in response.get_json()["matches"]] == [cert.number]
