"""The QR story in a real browser (Debian's Chromium driven by Playwright) against a real server:
the QR decoded from the signed PDF opens the page, which says valid; after revocation the same URL says so.

Screenshots of every page, phone and desktop, both languages, go to build/screenshots/ for people to look at.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from werkzeug.serving import make_server

from certificates.scan import scan_qr
from registry import create_app
from registry.cli import main
from registry.db import get_session
from registry.models import Certificate, User
from registry.services.actors import Actor
from registry.services.revocation import revoke_certificate
from tests import factories as f
from tests.conftest import new_database

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium fonts-noto-cjk)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    reason = _browser_missing()
    if reason:
        if os.environ.get("REGISTRY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"a browser is required here (REGISTRY_REQUIRE_BROWSER=1): {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[object, str]]:
    """The registry with the demo data, served on a free local port by a real HTTP server."""
    tmp = tmp_path_factory.mktemp("browser")
    url, drop = new_database("sqlite", tmp)
    http = make_server("127.0.0.1", 0, None, threaded=True)  # type: ignore[arg-type]
    base = f"http://127.0.0.1:{http.server_port}"
    app = create_app({"DATABASE_URL": url, "MASTER_KEY": f.TEST_MASTER_KEY, "ENV": "development",
                      "BASE_URL": base, "TESTING": True})
    http.app = app
    runner = app.test_cli_runner()
    for command in (["keys", "init"], ["standards", "sync"], ["demo"]):
        result = runner.invoke(main, command, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield app, base
    http.shutdown()
    app.extensions["registry.engine"].dispose()
    app.extensions["registry.read_engine"].dispose()
    drop()


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def visit(browser, url: str, *, viewport: str, language: str):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN" if language == "zh" else "en-US")
    page = context.new_page()
    page.goto(url)
    return context, page


def _holder_download(browser, base: str, number: str, name: str, id_number: str, tmp_path: Path) -> Path:
    """The holder signs in to the portal in the browser and downloads the signed PDF."""
    for viewport in VIEWPORTS:
        context, page = visit(browser, f"{base}/holder", viewport=viewport, language="zh")
        shoot(page, f"holder-sign-in-{viewport}-zh")
        page.get_by_label("证件号码").fill(id_number)
        page.get_by_label("姓名", exact=True).fill(name)
        page.get_by_label("您的任意一本证书的编号").fill(number)
        page.get_by_role("button", name="查看我的证书").click()
        assert page.locator("h1").inner_text() == f"{name} 的证书"
        shoot(page, f"holder-certificates-{viewport}-zh")
        with page.expect_download() as download:
            page.get_by_role("link", name="下载电子证书（PDF）").first.click()
        target = tmp_path / f"{viewport}.pdf"
        download.value.save_as(target)
        context.close()
    return target


def test_the_holder_downloads_the_pdf_whose_qr_opens_valid_then_revoked(browser, server, tmp_path):
    app, base = server
    with app.app_context():
        cert = get_session().exec(select(Certificate).where(Certificate.status == "valid")).first()
        number, name, id_number = cert.number, cert.holder_name, cert.id_number
    pdf = _holder_download(browser, base, number, name, id_number, tmp_path)
    url = scan_qr(pdf.read_bytes())  # poppler renders the page, zxing-cpp decodes the printed QR code
    assert url.startswith(f"{base}/v/")

    for viewport in VIEWPORTS:
        for language in ("zh", "en"):
            context, page = visit(browser, url, viewport=viewport, language=language)
            headline = page.locator(".verdict .headline")
            assert headline.inner_text().strip().endswith("证书真实有效" if language == "zh" else "Genuine and valid")
            assert page.locator(".facts .name").inner_text() == name
            assert page.locator(".facts .mono").first.inner_text().count("*") == 8
            shoot(page, f"qr-valid-{viewport}-{language}")
            context.close()

    with app.app_context():
        session = get_session()
        regulator = session.exec(select(User).where(User.username == "regulator")).one()
        revoke_certificate(session, number=number, reason="fraud", note="伪造申报材料", actor=Actor.of(regulator),
                           now=f.NOW)
    for viewport in VIEWPORTS:
        for language in ("zh", "en"):
            context, page = visit(browser, url, viewport=viewport, language=language)
            text = page.locator(".verdict").inner_text()
            assert ("证书真实，但已撤销" if language == "zh" else "Genuine, but revoked") in text
            shoot(page, f"qr-revoked-{viewport}-{language}")
            context.close()


def test_the_lookup_form_works_in_the_browser_and_switches_language(browser, server):
    app, base = server
    line = next(row for row in app.test_cli_runner().invoke(main, ["certificates", "list"]).output.splitlines()
                if row.endswith("\tsuperseded"))
    number, name = line.split("\t")[:2]
    for viewport in VIEWPORTS:
        context, page = visit(browser, f"{base}/", viewport=viewport, language="zh")
        shoot(page, f"home-{viewport}-zh")
        page.get_by_label("证书编号或证件号码").fill(number)
        page.get_by_label("姓名", exact=True).fill(name)
        page.get_by_role("button", name="查询").click()
        assert "证书真实，但已被换发的新证书替代" in page.locator(".verdict").first.inner_text()
        shoot(page, f"lookup-found-{viewport}-zh")
        page.get_by_role("link", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en"
        shoot(page, f"lookup-{viewport}-en")
        page.get_by_label("Certificate number or ID number").fill(number)
        page.get_by_label("Name", exact=True).fill("Nobody")
        page.get_by_role("button", name="Look up").click()
        assert "No matching certificate found" in page.locator(".verdict").inner_text()
        shoot(page, f"lookup-miss-{viewport}-en")
        context.close()


def test_a_forged_qr_url_is_red_in_the_browser(browser, server):
    _, base = server
    context, page = visit(browser, f"{base}/v/1234567890123", viewport="phone", language="zh")
    assert "不能确认此证书" in page.locator(".verdict").inner_text()
    shoot(page, "qr-not-genuine-phone-zh")
    context.close()
