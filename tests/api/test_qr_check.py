"""GET /v/<payload>: what a phone camera opens. Details only behind a valid signature; the status always live."""

from __future__ import annotations

from dataclasses import replace

import pytest

from certificates import generate_private_key, key_id
from certificates.payload import payload_of
from certificates.qr import pack, parse_url, payload_url, sign_payload, to_digits
from certificates.record import CertificateRecord
from registry.models import SigningKey
from registry.services.documents import DocumentSettings, certificate_url
from registry.services.keys import current_key
from registry.services.revocation import reissue_certificate, revoke_certificate
from tests import factories as f

JSON = {"Accept": "application/json"}

SETTINGS = DocumentSettings(base_url="https://zscx.example.cn")


@pytest.fixture
def issued(session):
    return f.issued_batch(session)


def path_of(url: str) -> str:
    return url.removeprefix(SETTINGS.base_url)


def test_the_qr_url_answers_genuine_and_valid_with_the_id_masked(client, issued):
    cert = issued.certificates[0]
    url = certificate_url(cert, SETTINGS)
    assert url.startswith("https://zscx.example.cn/v/") and url[len("https://zscx.example.cn/v/"):].isdigit()

    response = client.get(path_of(url), headers=JSON)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    assert (answer["genuine"], answer["outcome"], answer["status"]) == (True, "genuine", "valid")
    assert answer["certificate"]["number"] == cert.number
    assert answer["certificate"]["holder_name"] == cert.holder_name
    assert answer["certificate"]["id_number_masked"] == cert.id_number[:6] + "********" + cert.id_number[-4:]
    assert answer["checks"] == {"qr_signature": True, "key_issued_by_registry": True,
                                "matches_registry_record": True, "record_signature": True}
    assert cert.id_number not in response.get_data(as_text=True)


def test_a_changed_digit_is_not_genuine_and_reveals_nothing(client, issued):
    cert = issued.certificates[0]
    path = path_of(certificate_url(cert, SETTINGS))
    # Change a digit in the middle (the name or number bytes), keeping the text a valid number.
    middle = len(path) // 2
    tampered = path[:middle] + str((int(path[middle]) + 1) % 10) + path[middle + 1:]

    answer = client.get(tampered, headers=JSON).get_json()

    assert answer["genuine"] is False
    assert answer["outcome"] in ("forged", "malformed", "unknown-key")
    assert "certificate" not in answer and "status" not in answer
    assert cert.holder_name not in str(answer)


def test_a_payload_signed_by_a_key_the_registry_never_issued_is_refused(client, issued):
    cert = issued.certificates[0]
    stranger = generate_private_key()
    payload = payload_of(CertificateRecord.from_dict(cert.record), key_id(stranger.public_key()))

    url = payload_url(SETTINGS.base_url, pack(payload, sign_payload(payload, stranger)))
    answer = client.get(path_of(url), headers=JSON)

    assert (answer.get_json()["genuine"], answer.get_json()["outcome"]) == (False, "unknown-key")
    assert "certificate" not in answer.get_json()


def test_a_body_key_signing_what_the_registry_does_not_hold_is_a_mismatch(client, session, issued):
    # A stolen body key can sign any text; the registry still answers with what it issued.
    cert = issued.certificates[0]
    row = current_key(session, issued.body.id)
    key = f.VAULT.open(row)
    payload = replace(payload_of(CertificateRecord.from_dict(cert.record), row.key_id), holder_name="冒名顶替")

    url = payload_url(SETTINGS.base_url, pack(payload, sign_payload(payload, key)))
    answer = client.get(path_of(url), headers=JSON)

    assert (answer.get_json()["genuine"], answer.get_json()["outcome"]) == (False, "mismatch")
    assert "certificate" not in answer.get_json()


def test_garbage_after_v_is_malformed_not_an_error(client):
    for path in ("/v/123", "/v/" + "9" * 400, "/v/" + to_digits(b"\x02" + b"\0" * 200)):
        response = client.get(path, headers=JSON)
        assert response.status_code == 200
        assert (response.get_json()["genuine"], response.get_json()["outcome"]) == (False, "malformed")


def test_the_status_behind_the_same_url_follows_revocation_and_reissue(client, session, issued, vault):
    first, second = issued.certificates[:2]
    url_first, url_second = certificate_url(first, SETTINGS), certificate_url(second, SETTINGS)
    revoke_certificate(session, number=first.number, reason="fraud", note="伪造证明", actor=issued.supervisor,
                       now=f.NOW)
    new = reissue_certificate(session, number=second.number, holder_name="王伟明", reason="姓名更正",
                              actor=issued.supervisor, vault=vault, now=f.NOW)

    revoked = client.get(path_of(url_first), headers=JSON).get_json()
    assert (revoked["genuine"], revoked["status"]) == (True, "revoked")
    assert revoked["certificate"]["revocation_reason_zh"] == "弄虚作假取得"
    superseded = client.get(path_of(url_second), headers=JSON).get_json()
    assert (superseded["genuine"], superseded["status"]) == (True, "superseded")
    assert superseded["certificate"]["superseded_by"] == new.number
    assert client.get(path_of(certificate_url(new, SETTINGS)), headers=JSON).get_json()["status"] == "valid"


def test_the_url_decodes_back_to_the_stored_signature(session, issued):
    cert = issued.certificates[0]
    data = parse_url(certificate_url(cert, SETTINGS))
    signing_key = session.get(SigningKey, current_key(session, issued.body.id).id)
    assert cert.key_id == signing_key.key_id
    assert len(data) > 64
