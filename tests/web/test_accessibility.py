"""Accessibility of the public pages in the same browser run: axe-core (WCAG 2.1 A and AA, best practice) on every
page state, both languages, phone and desktop; and the lookup used with the keyboard alone.

axe-core comes from npm (package.json at the repository root; `npm ci` installs it into node_modules/).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from registry.db import get_session
from registry.runtime import document_settings
from registry.services.documents import certificate_url
from registry.services.issuance import list_certificates
from tests.web.test_browser import VIEWPORTS, browser, server  # noqa: F401

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PAGES = ["home", "verify-empty", "verify-errors", "verify-found", "verify-miss", "verify-too-many",
         "qr-valid", "qr-revoked", "qr-not-genuine"]
FORGED = "/v/1234567890123"


class Shown(NamedTuple):
    number: str
    name: str
    qr_url: str


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.exists():
        reason = f"axe-core is not installed ({AXE.relative_to(AXE.parents[2])} missing: run `npm ci`)"
        if os.environ.get("REGISTRY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"axe-core is required here (REGISTRY_REQUIRE_BROWSER=1): {reason}")
        pytest.skip(reason)
    return AXE


@pytest.fixture(scope="module")
def demo(server) -> dict[str, Shown]:  # noqa: F811
    """One demo certificate per status, with the URL its QR code opens."""
    app, _ = server
    # Every page state in both languages and sizes posts more failed lookups in a minute than the limit allows
    # one person; the limit is read per request, and this server belongs to this module alone.
    app.config["VERIFY_RATE_LIMIT"] = "1000 per minute"
    app.config["VERIFY_CEILING"] = "1000 per minute"
    with app.app_context():
        certificates = list_certificates(get_session())
        settings = document_settings(app)
        shown = {}
        for status in ("valid", "revoked", "superseded"):
            cert = next(c for c in certificates if c.status == status)
            shown[status] = Shown(cert.number, cert.holder_name, certificate_url(cert, settings))
    return shown


def open_page(page: Any, name: str, *, base: str, demo: dict[str, Shown], language: str) -> None:
    """Bring the page to the state `name` and wait until that state shows, so axe checks what we think it does."""
    from playwright.sync_api import expect

    lang = f"?lang={language}"
    if name == "home":
        page.goto(f"{base}/{lang}")
        expect(page.locator("form.lookup")).to_be_visible()
    elif name.startswith("qr-"):
        url, verdict = {"qr-valid": (demo["valid"].qr_url, ".verdict.ok"),
                        "qr-revoked": (demo["revoked"].qr_url, ".verdict.warn"),
                        "qr-not-genuine": (f"{base}{FORGED}", ".verdict.bad")}[name]
        page.goto(url + lang)
        expect(page.locator(verdict)).to_be_visible()
    elif name == "verify-too-many":  # the error page, after the caller lowered the limit to one miss
        page.goto(f"{base}/verify{lang}")
        for _ in range(2):  # the first empty post may still be within the limit, the second is not
            with page.expect_navigation() as navigation:
                page.locator("form.lookup button[type=submit]").click()
            if navigation.value.status == 429:
                break
        assert navigation.value.status == 429
        expect(page.locator(".verdict.bad .headline")).to_be_visible()
    else:
        page.goto(f"{base}/verify{lang}")
        if name != "verify-empty":
            superseded = demo["superseded"]
            if name != "verify-errors":
                page.locator("#identifier").fill(superseded.number)
                page.locator("#name").fill(superseded.name if name == "verify-found" else "查无此人")
            page.locator("form.lookup button[type=submit]").click()
        expect(page.locator({"verify-empty": "form.lookup", "verify-errors": ".field.invalid >> nth=1",
                             "verify-found": ".certificate", "verify-miss": ".verdict.bad"}[name])).to_be_visible()
    assert page.locator("html").get_attribute("lang") == ("en" if language == "en" else "zh-CN")


def describe(violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} axe violation(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " ".join(t if isinstance(t, str) else " >>> ".join(t) for t in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


@pytest.fixture
def axe_context(browser, request) -> Iterator[Any]:  # noqa: F811
    viewport, language = request.param
    # The pages' CSP (script-src 'self') refuses the inline <script> that add_script_tag inserts, so this context
    # alone bypasses CSP; the keyboard test below runs with the CSP in force.
    context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True,
                                  locale="zh-CN" if language == "zh" else "en-US")
    yield context, language
    context.close()


@pytest.mark.parametrize("axe_context", [(v, lang) for v in VIEWPORTS for lang in ("zh", "en")],
                         ids=lambda p: "-".join(p), indirect=True)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violations(axe_context, name, server, demo, axe_script, monkeypatch):  # noqa: F811
    context, language = axe_context
    if name == "verify-too-many":
        monkeypatch.setitem(server[0].config, "VERIFY_RATE_LIMIT", "1 per day")
    page = context.new_page()
    open_page(page, name, base=server[1], demo=demo, language=language)
    page.add_script_tag(path=str(axe_script))
    violations = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(results => results.violations)",
        AXE_TAGS,
    )
    assert not violations, describe(violations)


def focused(page: Any) -> dict[str, str]:
    return page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el);
            return {tag: el.tagName.toLowerCase(), id: el.id, type: el.type || '', value: el.value || '',
                    checked: String(!!el.checked), text: el.innerText || '',
                    outline: style.outlineStyle, outlineWidth: style.outlineWidth};
        }"""
    )


def assert_outlined(where: dict[str, str]) -> None:
    assert where["outline"] != "none" and where["outlineWidth"] != "0px", f"no visible focus outline on {where}"


def test_the_lookup_works_with_the_keyboard_alone(browser, server, demo):  # noqa: F811
    from playwright.sync_api import expect

    _, base = server
    valid = demo["valid"]
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/?lang=zh")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).not_to_be_in_viewport()

    page.keyboard.press("Tab")
    where = focused(page)
    assert (where["tag"], where["text"]) == ("a", "跳到正文")
    assert_outlined(where)
    expect(skip).to_be_in_viewport()

    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    expect(skip).not_to_be_in_viewport()

    page.keyboard.press("Tab")  # one tab stop for the radio group: the checked choice
    where = focused(page)
    assert (where["tag"], where["type"], where["value"], where["checked"]) == ("input", "radio", "number", "true")
    assert_outlined(where)
    page.keyboard.press("ArrowDown")  # arrows move within the group and choose
    where = focused(page)
    assert (where["type"], where["value"], where["checked"]) == ("radio", "id_number", "true")
    assert_outlined(where)
    page.keyboard.press("ArrowUp")
    assert (focused(page)["value"], focused(page)["checked"]) == ("number", "true")

    for field, text in (("identifier", valid.number), ("name", valid.name)):
        page.keyboard.press("Tab")
        where = focused(page)
        assert (where["tag"], where["id"]) == ("input", field)
        assert_outlined(where)
        page.keyboard.type(text)

    page.keyboard.press("Tab")
    where = focused(page)
    assert (where["tag"], where["text"]) == ("button", "查询")
    assert_outlined(where)
    page.keyboard.press("Enter")
    expect(page.locator(".certificate .verdict.ok")).to_contain_text("证书真实有效")
    expect(page.locator(".facts .name")).to_have_text(valid.name)
    context.close()
