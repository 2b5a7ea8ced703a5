"""The public pages as a browser gets them (Flask test client): the QR page, the lookup, languages, headers."""

from __future__ import annotations

import re
from html import unescape

import pytest

from registry.services.documents import DocumentSettings, certificate_url
from registry.services.revocation import reissue_certificate, revoke_certificate
from tests import factories as f

SETTINGS = DocumentSettings(base_url="https://zscx.example.cn")


@pytest.fixture
def issued(session):
    return f.issued_batch(session, count=3)


def page(client, path: str, **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def qr_path(cert) -> str:
    return certificate_url(cert, SETTINGS).removeprefix(SETTINGS.base_url)


def test_the_qr_page_says_genuine_and_valid_with_the_id_masked(client, issued):
    cert = issued.certificates[0]
    html = page(client, qr_path(cert))

    assert 'class="verdict ok"' in html and "证书真实有效" in html
    assert cert.holder_name in html and cert.number in html and issued.body.name in html
    assert cert.id_number[:6] + "********" + cert.id_number[-4:] in html
    assert cert.id_number not in html
    assert "四级/中级工" in html and "2026年5月20日" in html
    assert "二维码内容由发证机构的密钥签名，签名有效" in html


def test_the_qr_page_in_english_by_accept_language(client, issued):
    html = page(client, qr_path(issued.certificates[0]), **{"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in html
    assert "Genuine and valid" in html and "Level 4 / Intermediate Worker" in html
    assert "May 20, 2026" in html or "20 May 2026" in html
    assert "证书真实有效" not in html


def test_revoked_and_superseded_are_amber_with_date_reason_and_successor(client, session, issued, vault):
    first, second = issued.certificates[:2]
    revoke_certificate(session, number=first.number, reason="fraud", note="伪造证明", actor=issued.supervisor,
                       now=f.NOW)
    new = reissue_certificate(session, number=second.number, holder_name="王伟明", reason="姓名更正",
                              actor=issued.supervisor, vault=vault, now=f.NOW)

    revoked = page(client, qr_path(first))
    assert 'class="verdict warn"' in revoked and "证书真实，但已撤销" in revoked
    assert "2026年5月20日" in revoked and "弄虚作假取得" in revoked
    superseded = page(client, qr_path(second))
    assert "证书真实，但已被换发的新证书替代" in superseded and new.number in superseded
    english = page(client, qr_path(first) + "?lang=en")
    assert "Genuine, but revoked" in english and "Obtained by fraud" in english


def test_a_tampered_qr_is_red_and_shows_nothing_personal(client, issued):
    cert = issued.certificates[0]
    path = qr_path(cert)
    middle = len(path) // 2
    html = page(client, path[:middle] + str((int(path[middle]) + 1) % 10) + path[middle + 1:])
    assert 'class="verdict bad"' in html and "不能确认此证书" in html
    assert cert.holder_name not in html and cert.number not in html


def test_programs_still_get_json_from_the_qr_address(client, issued):
    response = client.get(qr_path(issued.certificates[0]), headers={"Accept": "application/json"})
    assert response.mimetype == "application/json" and response.get_json()["status"] == "valid"
    assert client.get(qr_path(issued.certificates[0]) + "?format=json").get_json()["genuine"] is True


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_the_lookup_form_finds_a_certificate_by_number_or_id_and_name(client, issued):
    cert = issued.certificates[1]
    token = csrf_token(page(client, "/verify"))

    by_number = client.post("/verify", data={"csrf_token": token, "kind": "number", "identifier": cert.number,
                                             "name": cert.holder_name})
    assert by_number.status_code == 200
    html = by_number.get_data(as_text=True)
    assert "找到 1 本证书" in html and cert.number in html and cert.id_number not in html
    by_id = client.post("/verify", data={"csrf_token": token, "kind": "id_number",
                                         "identifier": cert.id_number.lower(), "name": cert.holder_name})
    assert cert.number in by_id.get_data(as_text=True)
    miss = client.post("/verify", data={"csrf_token": token, "kind": "number", "identifier": cert.number,
                                        "name": "冒名者"}).get_data(as_text=True)
    assert "没有找到符合的证书" in miss and cert.holder_name not in miss


def test_a_lookup_without_its_csrf_token_is_refused(client, issued):
    cert = issued.certificates[0]
    response = client.post("/verify", data={"kind": "number", "identifier": cert.number, "name": cert.holder_name})
    assert response.status_code == 400
    assert cert.holder_name not in response.get_data(as_text=True)


def test_empty_fields_are_named_in_the_readers_language(client):
    token = csrf_token(page(client, "/verify?lang=en"))
    response = client.post("/verify", data={"csrf_token": token, "kind": "number", "identifier": "", "name": ""})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Enter the certificate number or ID number." in html and "Enter the holder's name." in html
    assert 'aria-invalid="true"' in html


def test_repeated_misses_are_rate_limited_with_a_page(client, issued):
    token = csrf_token(page(client, "/verify"))
    statuses = [client.post("/verify", data={"csrf_token": token, "kind": "number", "identifier": "S" + "9" * 21,
                                             "name": "某人"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = client.post("/verify", data={"csrf_token": token, "kind": "number", "identifier": "S" + "9" * 21,
                                           "name": "某人"})
    assert "查询过于频繁" in limited.get_data(as_text=True)


def test_every_page_carries_the_security_headers(client, issued):
    for path in ("/", "/verify", qr_path(issued.certificates[0])):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


def test_the_language_switch_remembers_the_choice(client):
    html = page(client, "/")
    assert '<html lang="zh-CN">' in html and 'href="/?lang=en"' in html
    english = client.get("/?lang=en")
    assert "lang=en" in english.headers["Set-Cookie"] and "HttpOnly" in english.headers["Set-Cookie"]
    assert '<html lang="en">' in page(client, "/verify")  # the cookie now chooses English


def test_the_stylesheet_is_served_from_here(client):
    html = page(client, "/")
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    assert href.startswith("/static/")
    css = client.get(href)
    try:
        assert css.status_code == 200 and css.mimetype == "text/css" and b".verdict.ok" in css.data
    finally:
        css.close()  # a file response keeps the file open until closed


def test_an_unknown_address_gets_a_page_for_people_and_json_for_programs(client):
    page_response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page_response.status_code == 404 and "页面不存在" in page_response.get_data(as_text=True)
    assert page_response.headers["Content-Security-Policy"]
    api_response = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api_response.status_code == 404 and api_response.get_json()["reason"] == "not-found"
