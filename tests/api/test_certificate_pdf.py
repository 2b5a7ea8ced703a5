"""GET /api/v1/certificates/<number>/pdf: the issuing body's staff and the regulator, nobody else."""

from __future__ import annotations

import base64

import pytest

from certificates.pades import check_pdf_signature
from certificates.pki import load_certificate_pem
from registry.services.documents import DocumentSettings, render_unsigned
from registry.services.keys import current_key, root_key
from tests import factories as f


def basic(actor) -> dict[str, str]:
    username = actor.label.removeprefix("user:")
    token = base64.b64encode(f"{username}:{f.PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def issued(session):
    return f.issued_batch(session, count=2)


def test_the_issuing_body_downloads_a_signed_pdf(client, session, issued):
    number = issued.certificates[0].number
    response = client.get(f"/api/v1/certificates/{number}/pdf", headers=basic(issued.supervisor))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    assert response.headers["Cache-Control"] == "private, no-store"
    check = check_pdf_signature(response.data, [load_certificate_pem(root_key(session).certificate_pem)])
    assert check.ok, check.problem
    assert check.signer == load_certificate_pem(current_key(session, issued.body.id).certificate_pem)


def test_the_regulator_may_download_too(client, session, issued):
    regulator = f.regulator(session)
    response = client.get(f"/api/v1/certificates/{issued.certificates[1].number}/pdf", headers=basic(regulator))
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")


def test_another_body_and_strangers_are_refused(client, session, issued):
    other = f.staff(session, f.body(session), "body_admin")
    url = f"/api/v1/certificates/{issued.certificates[0].number}/pdf"

    # Another body is told what it would be told of a number that does not exist.
    other_body = client.get(url, headers=basic(other))
    assert other_body.status_code == 404 and other_body.get_json()["reason"] == "certificate-not-found"
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get(url, headers={"Authorization": "Basic " + base64.b64encode(b"nobody:guess").decode()})
    assert wrong.status_code == 401 and wrong.get_json()["reason"] == "login-failed"
    assert b"%PDF" not in other_body.data + anonymous.data + wrong.data


def test_an_unknown_number_is_404_in_the_readers_language(client, issued):
    response = client.get("/api/v1/certificates/S999944999999264999999/pdf", headers=basic(issued.supervisor) |
                          {"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.get_json()["reason"] == "certificate-not-found"
    assert "No certificate" in response.get_json()["message"]


def test_the_same_record_renders_to_the_same_bytes_before_signing(issued):
    settings = DocumentSettings(base_url="https://zscx.example.cn")
    cert = issued.certificates[0]
    assert render_unsigned(cert, settings) == render_unsigned(cert, settings)
    masked = render_unsigned(cert, settings)
    full = render_unsigned(cert, DocumentSettings(base_url="https://zscx.example.cn", full_id=True))
    assert masked != full  # the deployment's choice of masked or full ID number reaches the page


def test_repeated_wrong_passwords_are_throttled_per_username(client, issued):
    url = f"/api/v1/certificates/{issued.certificates[0].number}/pdf"
    username = issued.supervisor.label.removeprefix("user:")
    wrong = {"Authorization": "Basic " + base64.b64encode(f"{username}:guess".encode()).decode()}
    assert [client.get(url, headers=wrong).status_code for _ in range(5)] == [401] * 5
    locked = client.get(url, headers=basic(issued.supervisor))
    assert locked.status_code == 429 and locked.get_json()["reason"] == "rate-limited"


def test_a_revoked_certificate_gets_no_fresh_signature(client, session, issued):
    from registry.services.revocation import revoke_certificate

    number = issued.certificates[1].number
    revoke_certificate(session, number=number, reason="fraud", note="伪造", actor=issued.supervisor, now=f.NOW)
    response = client.get(f"/api/v1/certificates/{number}/pdf", headers=basic(issued.supervisor))
    assert response.status_code == 409 and response.get_json()["reason"] == "certificate-not-valid"
