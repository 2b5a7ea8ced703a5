"""The holder portal: sign in with 证件号码 + 姓名 + a 证书编号, see every certificate, download each PDF."""

from __future__ import annotations

import json
import re

import pytest

from certificates import data_integrity
from certificates.pades import check_pdf_signature
from certificates.pki import load_certificate_pem
from registry.services import issuance
from registry.services.keys import root_key
from registry.services.revocation import revoke_certificate
from tests import factories as f


@pytest.fixture
def holder(session, vault):
    """One person certified twice by two bodies (one certificate later revoked), and a stranger."""
    f.publish_catalogue(session)
    first = f.issued_batch(session, count=2)
    person = first.certificates[0]
    other_body = f.body(session, body_code="0002")
    assessor, supervisor = f.staff(session, other_body, "assessor"), f.staff(session, other_body, "supervisor")
    batch = f.submitted_batch(session, other_body, assessor, count=1, start=900)
    # The same person (same ID, same name) assessed again by the second body.
    from registry.models import Candidate

    candidate = session.get(Candidate, issuance.candidates_of(session, batch.id)[0].id)
    candidate.id_type, candidate.id_number, candidate.name = person.id_type, person.id_number, person.holder_name
    session.add(candidate)
    session.commit()
    [second] = issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)
    revoke_certificate(session, number=second.number, reason="issued-in-error", note="误发", actor=supervisor,
                       now=f.NOW)
    return person, second, first.certificates[1]


def token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, cert, *, name=None, number=None):
    csrf = token(client.get("/holder").get_data(as_text=True))
    return client.post("/holder", data={"csrf_token": csrf, "id_number": cert.id_number.lower(),
                                        "name": name or cert.holder_name, "number": number or cert.number})


def test_a_holder_sees_every_certificate_from_every_body(client, holder):
    person, second, stranger = holder
    response = sign_in(client, person)
    assert response.status_code == 302 and response.headers["Location"].endswith("/holder/certificates")

    page = client.get("/holder/certificates")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    assert person.number in html and second.number in html and stranger.number not in html
    assert "证书真实，但已撤销" in html  # the revoked one says so
    assert person.id_number not in html  # masked even here
    assert re.search(r'value="https://[^"]+/v/\d+"|value="http://[^"]+/v/\d+"', html)  # the share link


def test_the_holder_downloads_a_signed_pdf_of_their_own_certificate_only(client, session, holder):
    person, _, stranger = holder
    sign_in(client, person)

    response = client.get(f"/holder/certificates/{person.number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert check_pdf_signature(response.data, [load_certificate_pem(root_key(session).certificate_pem)]).ok
    refused = client.get(f"/holder/certificates/{stranger.number}.pdf")
    assert refused.status_code == 404 and b"%PDF" not in refused.data


def test_the_holder_downloads_a_verifiable_credential_for_a_wallet(client, session, holder):
    person, second, stranger = holder
    sign_in(client, person)
    page = client.get("/holder/certificates").get_data(as_text=True)
    assert f"/holder/certificates/{person.number}.json" in page
    assert f"/holder/certificates/{second.number}.json" not in page  # revoked: no fresh credential offered

    response = client.get(f"/holder/certificates/{person.number}.json")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{person.number}.credential.json"'
    credential = json.loads(response.data)
    assert data_integrity.verify(credential)
    assert credential["credentialSubject"]["licenseNumber"] == person.number
    bundle = json.loads(client.get("/.well-known/skill-registry/trust.json").data)
    assert credential["issuer"]["id"] in {key["did"] for key in bundle["credential_keys"]}

    assert client.get(f"/holder/certificates/{stranger.number}.json").status_code == 404
    refused = client.get(f"/holder/certificates/{second.number}.json")
    assert refused.status_code == 409 and "已撤销" in refused.get_data(as_text=True)


def test_wrong_details_are_refused_without_saying_which(client, holder):
    person, second, stranger = holder
    for attempt in ({"name": "冒名者"}, {"number": stranger.number}):
        response = sign_in(client, person, **attempt)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "信息不匹配" in html
        assert second.number not in html and "证书真实" not in html  # nothing beyond what was typed
    assert client.get("/holder/certificates").status_code == 302  # still signed out


def test_repeated_failures_lock_the_id_number_out_even_with_the_right_details(client, holder):
    person, _, _ = holder
    for _ in range(5):
        assert sign_in(client, person, name="冒名者").status_code == 422
    locked = sign_in(client, person)
    assert locked.status_code == 429 and "尝试次数过多" in locked.get_data(as_text=True)


def test_signing_out_ends_the_session(client, holder):
    person, _, _ = holder
    sign_in(client, person)
    html = client.get("/holder/certificates").get_data(as_text=True)
    assert client.post("/holder/logout", data={"csrf_token": token(html)}).status_code == 302
    assert client.get("/holder/certificates").status_code == 302
    assert client.get(f"/holder/certificates/{person.number}.pdf").status_code == 302


def test_the_session_cookie_is_httponly_and_lax(client, holder):
    person, _, _ = holder
    cookie = sign_in(client, person).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert person.id_number not in cookie and person.id_number.lower() not in cookie
