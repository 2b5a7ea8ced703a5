"""The regulator's console through the browser's eyes: filing and supervising bodies, keys, revocations, the
audit trail, standards compared, statistics drawn and exported; and nobody else gets in."""

from __future__ import annotations

import copy
import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

import standards
from certificates import make_uscc
from registry.models import Body, Certificate, ScopeEntry
from registry.services import bodies as body_service
from registry.services import issuance
from registry.services.actors import SYSTEM
from registry.services.audit import record_event
from registry.services.demo import DEMO_PASSWORD
from registry.services.keys import current_key
from registry.services.standards import sync_standards
from tests import factories as f
from tests.web.test_browser import VIEWPORTS, browser, server, shoot  # noqa: F401  (fixtures)
from tests.web.test_staff import sign_in, token, username

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def regulator(client, session):
    """The client signed in as a regulator, over a published catalogue and the registry root."""
    f.publish_catalogue(session)
    f.ensure_root(session)
    actor = f.regulator(session)
    assert sign_in(client, username(actor)).status_code == 302
    return actor


def csrf(client, path="/regulator") -> str:
    return token(client.get(path).get_data(as_text=True))


def filing(**changes) -> dict[str, str]:
    data = {"name": "广州市测试职业技能评价中心", "kind": "S", "credit_code": make_uscc("52440100MJ9876543"),
            "province": "44", "body_code": "0000", "site_code": "440321", "contact_name": "王敏",
            "contact_phone": "020-87654321"}
    return {**data, **changes}


def table_of(html: str) -> str:
    """The rows of the page's (first) table, without the search form's choices."""
    match = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return match.group(1) if match else ""


def error_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else ""


def test_the_regulator_files_a_body_and_a_bad_credit_code_is_refused_by_name(client, session, regulator):
    page = client.get("/regulator/bodies/new")
    assert page.status_code == 200 and 'name="credit_code"' in page.get_data(as_text=True)

    bad = client.post("/regulator/bodies/new",
                      data={"csrf_token": csrf(client), **filing(credit_code="91440101MA5CXXXX1X")})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "统一社会信用代码" in error_of(html, "credit_code")
    assert 'aria-invalid="true"' in html and error_of(html, "site_code") == ""
    english = client.post("/regulator/bodies/new?lang=en",
                          data={"csrf_token": csrf(client), **filing(credit_code="91440101MA5CXXXX1X")})
    assert english.status_code == 422 and "credit code" in error_of(english.get_data(as_text=True), "credit_code")
    missing = client.post("/regulator/bodies/new?lang=zh", data={"csrf_token": csrf(client), **filing(contact_name="")})
    assert missing.status_code == 422 and error_of(missing.get_data(as_text=True), "contact_name")
    assert session.exec(select(Body).where(Body.name == filing()["name"])).first() is None

    done = client.post("/regulator/bodies/new", data={"csrf_token": csrf(client), **filing()})
    assert done.status_code == 302
    body = session.exec(select(Body).where(Body.name == filing()["name"])).one()
    assert done.headers["Location"].endswith(f"/regulator/bodies/{body.id}")
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已备案" in html and "S000044440321" in html
    assert current_key(session, body.id).key_id in html

    taken = client.post("/regulator/bodies/new", data={"csrf_token": csrf(client), **filing(name="另一家")})
    assert taken.status_code == 422 and "已备案" in error_of(taken.get_data(as_text=True), "credit_code")

    listed = client.get("/regulator/bodies?q=S0000444").get_data(as_text=True)
    assert filing()["name"] in listed and "共 1 家机构" in listed


def test_scope_status_and_key_rotation_on_the_body_page(client, session, regulator):
    body = f.body(session)
    page = f"/regulator/bodies/{body.id}"
    assert client.get(page).status_code == 200

    scope = {"occupation": "4-10-01-06|母婴护理员", "levels": ["5", "4"], "valid_from": "2026-01-01",
             "valid_to": "2028-12-31"}
    added = client.post(f"{page}/scope", data={"csrf_token": csrf(client, page), **scope})
    assert added.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "已添加备案范围" in html and "母婴护理员" in html and "五级/初级工、四级/中级工" in html
    wrong_level = client.post(f"{page}/scope", data={"csrf_token": csrf(client, page), **scope, "levels": ["1"]})
    assert wrong_level.status_code == 422 and "等级" in error_of(wrong_level.get_data(as_text=True), "levels")
    backwards = client.post(f"{page}/scope", data={"csrf_token": csrf(client, page), **scope,
                                                   "valid_to": "2025-12-31"})
    assert backwards.status_code == 422 and error_of(backwards.get_data(as_text=True), "valid_to")

    line = body_service.scope_of(session, body.id)[-1]
    withdrawn = client.post(f"{page}/scope/{line.id}/withdraw", data={"csrf_token": csrf(client, page)})
    assert withdrawn.status_code == 302
    assert session.get(ScopeEntry, line.id).withdrawn_at is not None
    assert client.post(f"/regulator/bodies/{body.id}/scope/999999/withdraw",
                       data={"csrf_token": csrf(client, page)}).status_code == 404

    no_reason = client.post(f"{page}/status", data={"csrf_token": csrf(client, page), "change": "suspend",
                                                    "reason": "  "})
    assert no_reason.status_code == 422 and error_of(no_reason.get_data(as_text=True), "reason")
    assert session.get(Body, body.id).status == "active"
    suspended = client.post(f"{page}/status", data={"csrf_token": csrf(client, page), "change": "suspend",
                                                    "reason": "年度检查不合格"})
    assert suspended.status_code == 302
    assert (session.get(Body, body.id).status, session.get(Body, body.id).status_reason) == (
        "suspended", "年度检查不合格")
    html = client.get(page).get_data(as_text=True)
    assert "机构状态已改为“暂停”" in html and 'value="reinstate"' in html and 'value="suspend"' not in html
    reinstated = client.post(f"{page}/status", data={"csrf_token": csrf(client, page), "change": "reinstate",
                                                     "reason": "整改完成"})
    assert reinstated.status_code == 302
    assert session.get(Body, body.id).status == "active"

    old = current_key(session, body.id).key_id
    rotated = client.post(f"{page}/key", data={"csrf_token": csrf(client, page)})
    assert rotated.status_code == 302
    new = current_key(session, body.id).key_id
    html = client.get(page).get_data(as_text=True)
    assert new != old and f"新签名密钥编号 {new}" in html
    assert re.search(rf"{old}</span></th>.*?已停用", html, re.S)
    assert re.search(rf"{new}</span></th>.*?使用中", html, re.S)
    # The credential key turned over with it: two did:keys listed, the retired one and its successor.
    dids = re.findall(r'<span class="mono did">(did:key:z6Mk\w+)</span></th>\s*<td>[^<]*</td>\s*'
                      r'<td><span class="badge (\w+)"', html)
    assert sorted(state for _, state in dids) == ["active", "retired"] and dids[0][0] != dids[1][0]
    assert "BEGIN" not in html and "PRIVATE" not in html

    no_return = client.post(f"{page}/status", data={"csrf_token": csrf(client, page), "change": "withdraw",
                                                    "reason": "机构注销"})
    assert no_return.status_code == 302 and session.get(Body, body.id).status == "withdrawn"
    html = client.get(page).get_data(as_text=True)
    assert "已撤销备案" in html and "轮换签名与凭证密钥" not in html and "变更状态" not in html
    assert client.post(f"{page}/key", data={"csrf_token": csrf(client, page)}).status_code == 409


def test_the_regulator_revokes_any_certificate_by_number(client, session, regulator):
    done = f.issued_batch(session)
    number = done.certificates[0].number
    page = "/regulator/revocations"

    unknown = client.post(page, data={"csrf_token": csrf(client, page), "number": "S000144000199264000999",
                                      "reason": "fraud", "note": ""})
    assert unknown.status_code == 404 and "未找到证书" in error_of(unknown.get_data(as_text=True), "number")
    no_note = client.post(page, data={"csrf_token": csrf(client, page), "number": number, "reason": "other",
                                      "note": ""})
    assert no_note.status_code == 422 and error_of(no_note.get_data(as_text=True), "note")

    revoked = client.post(page, data={"csrf_token": csrf(client, page), "number": number.lower(),
                                      "reason": "assessment-irregularity", "note": "考场替考"})
    assert revoked.status_code == 302
    cert = session.exec(select(Certificate).where(Certificate.number == number)).one()
    assert cert.status == "revoked"
    html = client.get(page).get_data(as_text=True)
    assert f"证书 {number} 已撤销" in html
    assert number in html and "考核违规" in html and "考场替考" in html and username(regulator) in html
    assert "<td>Irregularity in the assessment<br>" in client.get(page + "?lang=en").get_data(as_text=True)

    again = client.post(page + "?lang=zh", data={"csrf_token": csrf(client, page), "number": number,
                                                  "reason": "fraud", "note": ""})
    assert again.status_code == 409 and "已注销" in error_of(again.get_data(as_text=True), "number")
    assert number not in client.get(page + "?number=ZZZ").get_data(as_text=True)
    assert number in client.get(f"{page}?body={done.body.id}").get_data(as_text=True)
    body_page = client.get(f"/regulator/bodies/{done.body.id}").get_data(as_text=True)
    assert "有效 2 本，已撤销 1 本" in body_page


def test_the_audit_trail_is_searched_filtered_and_paged_and_shows_no_secret(client, session, regulator):
    done = f.issued_batch(session, count=1)
    assert client.post("/regulator/bodies/new", data={"csrf_token": csrf(client), **filing()}).status_code == 302
    body = session.exec(select(Body).where(Body.name == filing()["name"])).one()
    page = f"/regulator/bodies/{body.id}"
    steps = [("scope", {"occupation": "6-31-01-03", "levels": ["5"], "valid_from": "2026-01-01",
                        "valid_to": "2026-12-31"}),
             ("status", {"change": "suspend", "reason": "停业整顿"}),
             ("status", {"change": "reinstate", "reason": "整改完成"}), ("key", {})]
    for step, data in steps:
        assert client.post(f"{page}/{step}", data={"csrf_token": csrf(client, page), **data}).status_code == 302
    assert client.post("/regulator/revocations", data={"csrf_token": csrf(client), "reason": "issued-in-error",
                                                       "number": done.certificates[0].number}).status_code == 302
    for n in range(55):
        record_event(session, actor="system:test", action="test.noise", object_type="test", object_id=n, now=f.NOW)
    record_event(session, actor="system:test", action="test.secret", object_type="test", object_id="x", now=f.NOW,
                 after={"password": "hunter2-very-secret", "nested": [{"private_key": "PRIVATE-BYTES"}], "ok": 1})
    session.commit()

    mine = client.get(f"/regulator/audit?actor={username(regulator)}").get_data(as_text=True)
    assert "共 6 条记录" in mine
    rows = table_of(mine)
    for action in ("body.filed", "scope.added", "body.suspended", "body.reinstated", "body.key-rotated",
                   "certificate.revoked"):
        assert action in rows, action
    assert "停业整顿" in rows and done.certificates[0].number in rows and "test.noise" not in rows
    family = table_of(client.get("/regulator/audit?action=body.").get_data(as_text=True))
    assert "body.filed" in family and "body.suspended" in family and "scope.added" not in family
    by_object = table_of(client.get(f"/regulator/audit?object_type=body&object_id={body.id}").get_data(as_text=True))
    assert "scope.added" in by_object and "body.key-rotated" in by_object and "user.created" not in by_object
    assert "共 0 条记录" in client.get("/regulator/audit?actor=system:test&until=2020-01-01").get_data(as_text=True)
    assert "共 56 条记录" in client.get("/regulator/audit?actor=system:test&since=2026-05-20&until=2026-05-20"
                                      ).get_data(as_text=True)

    first = client.get("/regulator/audit?action=test.").get_data(as_text=True)
    assert "第 1 页，共 2 页" in first and 'rel="next" href="/regulator/audit?action=test.&amp;page=2"' in first
    second = table_of(client.get("/regulator/audit?action=test.&page=2").get_data(as_text=True))
    assert second.count("test.noise") == 6  # 56 events of the family, 50 on the first page

    secret = client.get("/regulator/audit?action=test.secret").get_data(as_text=True)
    assert "hunter2" not in secret and "PRIVATE-BYTES" not in secret and "redacted" in secret
    assert client.get("/regulator/audit?since=2026-13-01").status_code == 422


def test_standard_versions_and_what_changed(client, session, regulator):
    old = next(v for v in standards.load_catalogue() if v.ref == "4-10-01-06@2019")
    content = copy.deepcopy(old.to_content())
    content.update(version=2025, title="国家职业标准 家政服务员（2025年版）", effective_from="2025-03-01")
    top = copy.deepcopy(content["levels"][-1])
    top["digit"] = 1
    content["levels"].append(top)
    content["levels"][0]["components"][1]["pass_mark"] = 70
    new = standards.version_from_content(content, source="test")
    sync_standards(session, versions=[replace(new, source="test")], actor=SYSTEM, now=f.NOW)

    listing = client.get("/regulator/standards").get_data(as_text=True)
    assert "家政服务员" in listing and "现行" in listing and "已被替代" in listing
    assert "/regulator/standards/4-10-01-06/diff?" in listing

    diff = client.get("/regulator/standards/4-10-01-06/diff").get_data(as_text=True)  # the last two by default
    assert "2019 年版 → 2025 年版" in diff
    assert "新增等级：一级/高级技师" in diff
    assert "技能考核：合格线 60 → 70 分" in diff
    assert "2025-03-01" in diff
    english = client.get("/regulator/standards/4-10-01-06/diff?from=2019&to=2025&lang=en").get_data(as_text=True)
    assert "Level 1 / Senior Technician" in english
    assert client.get("/regulator/standards/4-10-01-06/diff?from=2019&to=2019").status_code == 200
    assert client.get("/regulator/standards/4-10-01-06/diff?from=2001").status_code == 404
    assert client.get("/regulator/standards/9-99-99-99/diff").status_code == 404


def _body_named(session, name: str) -> Body:
    n = next(f._counter)
    filed = body_service.file_body(session, filing=body_service.BodyFiling(
        name=name, kind="Y", credit_code=make_uscc(f"91110100MA{n:07d}"), province="11", body_code="0000",
        site_code=f"11{n:04d}", contact_name="联系人", contact_phone="010-12345678"), actor=SYSTEM, vault=f.VAULT,
        now=f.NOW)
    body_service.add_scope(session, body_id=filed.id, occupation_code="6-31-01-03", work_type=None, levels=[4],
                           valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31), actor=SYSTEM, now=f.NOW)
    return filed


def test_statistics_render_as_charts_and_export_safe_csv(client, session, regulator):
    done = f.issued_batch(session, count=3)
    tricky = _body_named(session, "=HYPERLINK(\"http://x\")评价中心")
    assessor, supervisor = f.staff(session, tricky, "assessor"), f.staff(session, tricky, "supervisor")
    batch = f.submitted_batch(session, tricky, assessor, count=4, failing={0})
    issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=f.VAULT, now=f.NOW)

    page = client.get("/regulator/statistics")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    charts = re.findall(r'<img src="([^"]+\.svg[^"]*)"\s+alt="[^"]+"', html)
    phone = re.findall(r'<source media="[^"]+" srcset="([^"]+\.svg[^"]*)"', html)
    assert len(charts) == len(phone) == 7 and all("size=narrow" in url for url in phone)
    assert "<script" not in html
    for url in charts + phone:
        chart = client.get(url.replace("&amp;", "&"))
        assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
        assert "script-src" not in chart.headers["Content-Security-Policy"]
        root = ET.fromstring(chart.data)  # noqa: S314  (our own output, checked for being well-formed)
        assert root.tag == f"{SVG}svg" and root.get("viewBox")
        assert not list(root.iter(f"{SVG}script")) and b"<script" not in chart.data
        assert b"href=" not in chart.data  # nothing to load: the picture stands alone in an <img>
    month = ET.fromstring(client.get("/regulator/statistics/month.svg").data)  # noqa: S314
    assert "每月签发证书" in "".join(month.itertext())

    exported = client.get("/regulator/statistics/body.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    assert exported.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0] == ["评价机构", "签发证书", "当前有效"]
    assert [done.body.name, "3", "3"] in rows
    assert ["'=HYPERLINK(\"http://x\")评价中心", "3", "3"] in rows
    rates = list(csv.reader(io.StringIO(client.get("/regulator/statistics/pass-body.csv").data.decode("utf-8-sig"))))
    assert rates[0] == ["评价机构", "考生人数", "通过人数", "通过率"]
    assert ["'=HYPERLINK(\"http://x\")评价中心", "4", "3", "75.0%"] in rates
    assert client.get("/regulator/statistics/nothing.csv").status_code == 404
    assert client.get("/regulator/statistics/nothing.svg").status_code == 404
    home = client.get("/regulator").get_data(as_text=True)
    assert "本月签发的证书" in home and "待审批的考核批次" in home


REGULATOR_ROUTE_ARGS = {"body_id": 1, "scope_id": 1, "batch_id": 1, "code": "6-31-01-03", "table": "month",
                        "token_id": "000000000000"}


def _regulator_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("regulator."):
            path = app.url_map.bind("localhost").build(rule.endpoint, {k: v for k, v in REGULATOR_ROUTE_ARGS.items()
                                                                       if k in rule.arguments})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


def test_body_staff_are_refused_every_regulator_route_and_strangers_sent_to_sign_in(app, client, session):
    f.publish_catalogue(session)
    body = f.body(session)
    routes = list(_regulator_routes(app))
    assert len(routes) >= 15
    for method, path in routes:
        answer = client.open(path, method=method)
        assert answer.status_code in (302, 400), (method, path)  # a post without a token stops at CSRF first
        if method == "GET":
            assert "/login" in answer.headers["Location"]
    for role in ("body_admin", "assessor", "supervisor"):
        staff = f.staff(session, body, role)
        sign_in(client, username(staff))
        token_ = csrf(client, "/console")
        for method, path in routes:
            answer = client.open(path, method=method, data={"csrf_token": token_} if method == "POST" else None)
            assert answer.status_code == 403, (role, method, path)
        client.post("/logout", data={"csrf_token": token_})


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
CONSOLE_PAGES = {"home": "/regulator", "standards": "/regulator/standards", "bodies": "/regulator/bodies",
                 "body": "/regulator/bodies/1", "body-new": "/regulator/bodies/new",
                 "revocations": "/regulator/revocations", "audit": "/regulator/audit",
                 "statistics": "/regulator/statistics", "tokens": "/regulator/tokens",
                 "audit-refused": "/regulator/audit?since=2026-13-01",
                 "body-new-refused": None}


@pytest.mark.slow
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_console_passes_axe_in_a_real_browser_with_its_charts_drawn(browser, server, viewport):  # noqa: F811
    """axe-core (WCAG 2.1 AA and best practice) on every console page and on a refused form, in both languages;
    the charts load as pictures under the pages' CSP; screenshots go to build/screenshots/."""
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE} missing: run `npm ci`)")
    from playwright.sync_api import expect
    _, base = server
    for language in ("zh", "en"):
        # axe is injected as an inline script, which the pages' CSP refuses: this context alone bypasses it.
        context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True,
                                      locale="zh-CN" if language == "zh" else "en-US")
        page = context.new_page()
        page.goto(f"{base}/login?lang={language}")
        page.fill("#username", "regulator")
        page.fill("#password", DEMO_PASSWORD)
        page.locator("form.lookup button[type=submit]").click()
        page.wait_for_url(f"{base}/regulator")
        for name, path in CONSOLE_PAGES.items():
            if path is None:  # the filing form sent empty
                page.goto(f"{base}/regulator/bodies/new")
                page.fill("#credit_code", "123")
                page.locator("form.panel button[type=submit]").click()
                expect(page.locator("#name-error")).to_be_visible()  # every empty field is named
            else:
                page.goto(base + path)
            page.wait_for_load_state("networkidle")
            if name == "statistics":
                # The charts load lazily: ask for all of them now, and each must decode as a picture.
                drawn = page.evaluate("Promise.all([...document.images].map(i => { i.loading = 'eager';"
                                      " return i.decode().then(() => i.naturalWidth > 0, () => false); }))")
                assert len(drawn) == 7 and all(drawn)
            shoot(page, f"regulator-{name}-{viewport}-{language}")
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
                ".then(results => results.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' ')))",
                AXE_TAGS)
            assert violations == [], (name, language, violations)
        context.close()
