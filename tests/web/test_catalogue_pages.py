"""The public catalogues as a browser gets them: filed bodies with their status and scope, standards with
their versions, and the certificate card's link to its issuing body."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

import standards
from registry.services.actors import SYSTEM
from registry.services.bodies import change_body_status, scope_of, withdraw_scope
from registry.services.documents import DocumentSettings, certificate_url
from registry.services.keys import current_key
from registry.services.standards import sync_standards
from tests import factories as f

ELECTRICIAN = standards.DATA_DIR / "6-31-01-03@2018.toml"
CONTACT = ("联系人", "020-12345678")  # what tests.factories.body files as contact name and phone


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    assert response.mimetype == "text/html"
    return unescape(response.get_data(as_text=True))


def rows(html: str) -> list[str]:
    """The body rows of the page's first table, one string each."""
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S).group(1)
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)


def row_of(html: str, name: str) -> str:
    [row] = [row for row in rows(html) if name in row]
    return row


@pytest.fixture
def three(session):
    """Three filed bodies: one active, one suspended, one withdrawn."""
    f.publish_catalogue(session)
    active, suspended, withdrawn = f.body(session), f.body(session, kind="Y", province="31"), f.body(session)
    change_body_status(session, body_id=suspended.id, change="suspend", reason="考核现场未按规定配备督导员",
                       actor=SYSTEM, now=f.NOW)
    change_body_status(session, body_id=withdrawn.id, change="withdraw", reason="主动申请退出",
                       actor=SYSTEM, now=f.NOW + timedelta(days=1))
    return active, suspended, withdrawn


def test_the_list_shows_every_filed_body_with_kind_province_codes_and_status(client, three):
    active, suspended, withdrawn = three
    html = page(client, "/bodies")

    assert "共 3 家已备案机构。" in html
    assert [active.name in r for r in rows(html)] == [True, False, False]  # in filing order
    first = row_of(html, active.name)
    assert f'href="/bodies/{active.credit_code}"' in first
    assert active.credit_code in first and active.number_prefix in first
    assert "社会培训评价组织" in first and "广东省" in first
    assert 'class="badge active">正常<' in first
    second = row_of(html, suspended.name)
    assert "用人单位" in second and "上海市" in second and 'class="badge suspended">暂停<' in second
    assert 'class="badge withdrawn">已撤销备案<' in row_of(html, withdrawn.name)


def test_no_catalogue_page_shows_contact_details(client, three):
    active, suspended, _ = three
    for path in ("/bodies", f"/bodies/{active.credit_code}", f"/bodies/{suspended.credit_code}"):
        html = page(client, path)
        assert active.contact_phone == CONTACT[1]
        assert CONTACT[0] not in html and CONTACT[1] not in html, path


def test_search_by_part_of_the_name_or_the_credit_code(client, three):
    active, suspended, withdrawn = three
    number = active.name.removeprefix("测试职业技能评价中心")

    by_name = page(client, f"/bodies?q=评价中心{number}")
    assert "找到 1 家与“评价中心" in by_name and [active.name in r for r in rows(by_name)] == [True]
    by_code = page(client, f"/bodies?q={suspended.credit_code.lower()}")
    assert [suspended.name in r for r in rows(by_code)] == [True]
    everyone = page(client, "/bodies?q=测试职业技能评价中心")
    assert len(rows(everyone)) == 3
    assert 'value="测试职业技能评价中心"' in everyone  # the box keeps what was searched

    wildcard = page(client, "/bodies?q=%25")  # LIKE's wildcard is matched literally
    assert "没有符合条件的机构" in wildcard and "<tbody" not in wildcard


def test_a_search_is_shown_back_escaped(client, three):
    response = client.get("/bodies", query_string={"q": '<script>alert("x")</script>'})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_fifty_bodies_to_a_page_with_links_between_pages(client, session):
    f.publish_catalogue(session)
    filed = [f.body(session, scope=()) for _ in range(53)]

    first = page(client, "/bodies")
    assert "共 53 家已备案机构。" in first and "第 1 页，共 2 页" in first
    assert len(rows(first)) == 50 and filed[0].name in first and filed[50].name not in first
    assert 'rel="next" href="/bodies?page=2"' in first and 'rel="prev"' not in first
    second = page(client, "/bodies?page=2")
    assert len(rows(second)) == 3 and filed[52].name in second
    assert 'rel="prev" href="/bodies?page=1"' in second and 'rel="next"' not in second
    assert "第 2 页，共 2 页" in page(client, "/bodies?page=2")

    searched = page(client, "/bodies?q=测试职业技能评价中心")
    assert 'href="/bodies?q=%E6%B5%8B%E8%AF%95' in searched and "page=2" in searched  # the search is kept
    assert len(rows(page(client, "/bodies?page=0"))) == 50  # a page below 1 is the first
    assert len(rows(page(client, "/bodies?page=x"))) == 50
    page(client, "/bodies?page=3", status=404)
    page(client, f"/bodies?page={10**30}", status=404)


def test_the_body_page_shows_scope_prefix_and_current_key(client, session):
    f.publish_catalogue(session)
    filed = f.body(session, scope=(("6-31-01-03", None, [5, 4, 3, 2, 1]), ("4-10-01-06", "母婴护理员", [5, 4])))
    key = current_key(session, filed.id)
    html = page(client, f"/bodies/{filed.credit_code}")

    assert f"<h1 lang=\"zh-CN\">{filed.name}</h1>" in html and "备案有效" in html
    assert filed.credit_code in html and filed.number_prefix in html and "广东省" in html
    assert "2026年5月20日" in html  # filed on
    electrician = row_of(html, "6-31-01-03")
    assert "电工" in electrician and 'href="/standards/6-31-01-03"' in electrician and "全部工种" in electrician
    assert all(label in electrician for label in ("五级/初级工", "三级/高级工", "一级/高级技师"))
    assert "2025年1月1日 至 2027年12月31日" in electrician and "有效期内" in electrician
    domestic = row_of(html, "4-10-01-06")
    assert "家政服务员" in domestic and "母婴护理员" in domestic and "四级/中级工" in domestic
    assert "三级/高级工" not in domestic
    assert key.key_id in html and 'href="/.well-known/skill-registry/trust.json"' in html
    assert "BEGIN" not in html and "PRIVATE" not in html.upper()


def test_a_suspended_body_shows_its_status_since_when_and_why(client, three):
    _, suspended, withdrawn = three
    html = page(client, f"/bodies/{suspended.credit_code}")
    assert 'class="verdict warn"' in html and "该机构已被暂停" in html
    assert 'class="badge suspended">暂停<' in html and "自 2026年5月20日 起" in html
    assert "考核现场未按规定配备督导员" in html
    assert "此前签发的证书仍然有效" in html

    gone = page(client, f"/bodies/{withdrawn.credit_code}")
    assert 'class="verdict bad"' in gone and "该机构已撤销备案" in gone
    assert "自 2026年5月21日 起" in gone and "主动申请退出" in gone


def test_a_withdrawn_scope_line_is_marked(client, session):
    f.publish_catalogue(session)
    filed = f.body(session, scope=(("6-31-01-03", None, [5, 4]), ("6-18-02-04", None, [5])))
    withdraw_scope(session, scope_id=scope_of(session, filed.id)[1].id, actor=SYSTEM, now=f.NOW)
    html = page(client, f"/bodies/{filed.credit_code}")
    assert 'class="badge in-force"' in row_of(html, "6-31-01-03")
    welder = row_of(html, "6-18-02-04")
    assert 'class="badge withdrawn">已撤回<' in welder and "2026年5月20日" in welder


def test_an_unknown_body_is_a_404_page(client, three):
    active = three[0]
    assert active.name in page(client, f"/bodies/{active.credit_code.lower()}")
    html = page(client, "/bodies/91110000000000000X", status=404)
    assert 'class="verdict bad"' in html and "没有统一社会信用代码为 91110000000000000X 的已备案评价机构" in html
    page(client, "/bodies/not-a-code", status=404)


def _newer_electrician(tmp_path, version: int, effective: str):
    text = ELECTRICIAN.read_text(encoding="utf-8")
    for old, new in (("version = 2018", f"version = {version}"), ("2018年版）", f"{version}年版）"),
                     ("effective_from = 2018-12-26", f"effective_from = {effective}")):
        assert old in text
        text = text.replace(old, new)
    target = tmp_path / f"6-31-01-03@{version}.toml"
    target.write_text(text, encoding="utf-8")
    return standards.load_file(target)


@pytest.fixture
def electrician_versions(session, tmp_path):
    """电工 2018 (superseded), 2024 (current since 2025-03-01) and 2098 (in force from 2099)."""
    f.publish_catalogue(session)
    newer = [_newer_electrician(tmp_path, 2024, "2025-03-01"), _newer_electrician(tmp_path, 2098, "2099-01-01")]
    sync_standards(session, versions=newer, actor=SYSTEM, now=f.NOW)
    return {v.version: v for v in [standards.load_file(ELECTRICIAN), *newer]}


def test_the_standards_list_shows_each_occupations_versions_and_which_is_current(client, electrician_versions):
    html = page(client, "/standards")
    for code, name in (("4-02-07-10", "网约配送员"), ("4-03-02-01", "中式烹调师"), ("4-10-01-06", "家政服务员"),
                       ("6-18-02-04", "焊工"), ("6-31-01-03", "电工")):
        assert f'<a href="/standards/{code}">{name}</a>' in html
    electrician = html[html.index('id="occupation-6-31-01-03"'):]
    versions = {year: row_of(electrician, f"#v{year}") for year in (2018, 2024, 2098)}
    assert 'class="badge superseded">已被新版替代<' in versions[2018] and "2018年12月26日" in versions[2018]
    assert 'class="badge current">现行<' in versions[2024] and "2025年3月1日" in versions[2024]
    assert 'class="badge upcoming">尚未施行<' in versions[2098]
    for year, version in electrician_versions.items():
        assert version.content_hash[:12] in versions[year] and version.content_hash not in versions[year]
    assert 'class="badge current">现行<' in row_of(html[html.index('id="occupation-4-10-01-06"'):], "#v2019")


def test_an_occupations_page_shows_each_version_with_levels_work_types_and_pass_marks(client, electrician_versions):
    html = page(client, "/standards/6-31-01-03")
    assert html.index('id="v2098"') < html.index('id="v2024"') < html.index('id="v2018"')  # newest first
    old = html[html.index('id="v2018"'):]
    assert 'class="badge superseded"' in old[:300] and '<a href="#v2024">2024年版</a>' in old
    assert electrician_versions[2018].content_hash in old
    current = html[html.index('id="v2024"'):html.index('id="v2018"')]
    assert 'class="badge current">现行<' in current
    assert "一级/高级技师" in current and "综合评审" in current and "60 / 100 分" in current

    domestic = page(client, "/standards/4-10-01-06")
    levels = {label: row_of(domestic, f"role=\"rowheader\">{label}</th>")
              for label in ("五级/初级工", "三级/高级工", "二级/技师")}
    assert "母婴护理员、家务服务员、家庭照护员" in levels["五级/初级工"]
    assert "不分工种" in levels["二级/技师"] and "综合评审" in levels["二级/技师"]
    assert "综合评审" not in levels["三级/高级工"] and "技能考核" in levels["三级/高级工"]
    assert "一级/高级技师" not in domestic  # 家政服务员 stops at 二级
    assert "累计从事本职业或相关职业工作1年（含）以上。" in domestic  # 申报条件


def test_an_unknown_occupation_is_a_404_page(client, session):
    f.publish_catalogue(session)
    html = page(client, "/standards/9-99-99-99", status=404)
    assert "职业编码 9-99-99-99 没有已发布的标准" in html


def test_english_pages_name_provinces_levels_and_occupations_in_english(client, three):
    english = page(client, "/bodies?lang=en")
    assert '<html lang="en">' in english and "Guangdong" in english and "Shanghai" in english
    body = page(client, f"/bodies/{three[0].credit_code}")  # the cookie keeps English
    assert "Level 5 / Junior Worker" in body and ">Electrician</a>" in body
    standard = page(client, "/standards/6-31-01-03")
    assert "Comprehensive review" in standard and '<span class="muted" lang="zh-CN">电工</span>' in standard


def test_the_certificate_card_links_to_its_issuing_body(client, session):
    issued = f.issued_batch(session, count=1)
    url = certificate_url(issued.certificates[0], DocumentSettings(base_url="https://zscx.example.cn"))
    html = page(client, url.removeprefix("https://zscx.example.cn"))
    link = f'<a href="/bodies/{issued.body.credit_code}">{issued.body.name}</a>'
    assert link in html
    assert issued.body.name in page(client, f"/bodies/{issued.body.credit_code}")


def test_catalogue_pages_have_no_inline_script_or_style_and_the_nav_links_them(client, three):
    for path in ("/bodies", f"/bodies/{three[0].credit_code}", "/standards", "/standards/4-10-01-06"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert "<script" not in html and "style=" not in html and "<style" not in html, path
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert '<a href="/bodies">机构</a>' in html and '<a href="/standards">标准</a>' in html
        assert html.count("<h1") == 1


def test_the_list_reflects_a_status_change_at_once(client, session):
    f.publish_catalogue(session)
    filed = f.body(session)
    assert 'class="badge active"' in row_of(page(client, "/bodies"), filed.name)
    change_body_status(session, body_id=filed.id, change="suspend", reason="整改", actor=SYSTEM,
                       now=datetime(2026, 6, 1, 1, 0, tzinfo=UTC))
    assert 'class="badge suspended"' in row_of(page(client, "/bodies"), filed.name)
    change_body_status(session, body_id=filed.id, change="reinstate", reason="整改完成", actor=SYSTEM,
                       now=datetime(2026, 6, 9, 17, 0, tzinfo=UTC))  # 6月10日 in China
    html = page(client, f"/bodies/{filed.credit_code}")
    assert 'class="badge active">正常<' in html and "自 2026年6月10日 起" in html
    assert "整改完成" not in html  # a reason is shown for a suspension or withdrawal only
