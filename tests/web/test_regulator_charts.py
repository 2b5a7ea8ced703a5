"""The statistics charts as a reader sees them: whole names beside the bars (wrapped, cut only when very long,
the full name as the label's <title>), few whole-number ticks a phone can show, singular column headings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from registry.services import statistics
from registry.services.statistics import Count, PassRate
from registry.web import regulator_charts as charts
from tests import factories as f
from tests.web.test_staff import sign_in, username

SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 5, 20)
LONG = "Industrial Robot System Operation and Maintenance Technician"


@pytest.fixture
def figures(monkeypatch):
    """Statistics with long names in both languages, two versions of one standard among them."""
    occupations = [("6-31-01-03", "电工", "Electrician"), ("4-10-01-06", "家政服务员", "Domestic Service Worker"),
                   ("6-29-02-06", "工业机器人系统运维员", LONG)]
    bodies = ["华东示范电力有限公司（演示数据）", "广东省第二建筑工程有限公司职业技能等级认定中心", "ACME Training"]
    monkeypatch.setattr(statistics, "by_occupation", lambda s: [
        Count(code, zh, en, 30 - i, 20) for i, (code, zh, en) in enumerate(occupations)])
    monkeypatch.setattr(statistics, "by_level", lambda s: [
        Count(str(d), str(d), str(d), d, d) for d in (5, 4, 3, 2, 1)])
    monkeypatch.setattr(statistics, "by_body", lambda s: [Count(str(i), b, b, 3 - i, 1) for i, b in enumerate(bodies)])
    monkeypatch.setattr(statistics, "pass_rates_by_body", lambda s: [
        PassRate(str(i), b, b, 10, 7 - i) for i, b in enumerate(bodies)])
    monkeypatch.setattr(statistics, "pass_rates_by_standard", lambda s: [
        PassRate("6-31-01-03@2018", "电工（2018年版）", "Electrician (2018)", 12, 9),
        PassRate("4-10-01-06@2019", "家政服务员（2019年版）", "Domestic Service Worker (2019)", 10, 8),
        PassRate("6-31-01-03@2024", "电工（2024年版）", "Electrician (2024)", 4, 3),
        PassRate("6-29-02-06@2018", "工业机器人系统运维员（2018年版）", f"{LONG} (2018)", 3, 1),
    ])


def table(app, key: str, lang: str) -> charts.StatTable:
    with app.test_request_context(f"/?lang={lang}"):
        return charts.build_table(key, None, today=TODAY, lang=lang)


def draw(app, key: str, lang: str, *, narrow: bool) -> ET.Element:
    with app.test_request_context(f"/?lang={lang}"):
        svg = charts.chart_svg(charts.build_table(key, None, today=TODAY, lang=lang), narrow=narrow)
    assert b"<script" not in svg and b"href=" not in svg
    return ET.fromstring(svg)  # noqa: S314  (our own output)


def axis(root: ET.Element, name: str) -> list[tuple[list[str], str]]:
    """Each label on the chart's axis `name` ("x" or "y"): its lines as drawn, and its <title>."""
    found = []
    for group in root.iter(f"{SVG}g"):
        if {"axis", name} <= set(group.get("class", "").split()):
            for guide in group.findall(f"{SVG}g"):
                text, title = guide.find(f"{SVG}text"), guide.find(f"{SVG}title")
                spans = text.findall(f"{SVG}tspan")
                lines = [s.text for s in spans] if spans else [text.text]
                found.append((lines, title.text if title is not None else ""))
    return found


def bars(root: ET.Element) -> dict[str, list[str]]:
    """The bars' names on a horizontal chart, by full name (their tooltip)."""
    return {title: lines for lines, title in axis(root, "y")}


def test_a_phone_reads_a_pass_rate_axis_of_five_whole_percentages(app, figures):
    for key in ("pass-body", "pass-standard"):
        for lang in ("zh", "en"):
            phone = [lines[0] for lines, _ in axis(draw(app, key, lang, narrow=True), "x")]
            assert phone == ["0%", "25%", "50%", "75%", "100%"]
            desktop = [lines[0] for lines, _ in axis(draw(app, key, lang, narrow=False), "x")]
            assert desktop == [f"{v}%" for v in range(0, 101, 10)]


def test_count_axes_step_by_whole_numbers():
    assert charts._ticks(3, 4) == [0, 1, 2, 3]
    assert charts._ticks(0, 4) == [0, 1]
    assert charts._ticks(53, 4) == [0, 20, 40, 60]
    assert charts._ticks(53, 8) == [0, 10, 20, 30, 40, 50, 60]
    assert charts._ticks(12_345, 4) == [0, 5_000, 10_000, 15_000]


def test_occupations_are_named_in_full_beside_their_bars(app, figures):
    desktop = bars(draw(app, "occupation", "en", narrow=False))
    assert desktop["Domestic Service Worker (4-10-01-06)"] == ["Domestic Service Worker"]  # no code, no "…"
    assert desktop[f"{LONG} (6-29-02-06)"] == ["Industrial Robot System Operation and", "Maintenance Technician"]
    phone = bars(draw(app, "occupation", "en", narrow=True))
    assert phone["Domestic Service Worker (4-10-01-06)"] == ["Domestic Service", "Worker"]
    # Too long for two lines on a phone: cut after a whole word; the tooltip and the table keep the name.
    assert phone[f"{LONG} (6-29-02-06)"] == ["Industrial Robot", "System Operation…"]
    chinese = bars(draw(app, "occupation", "zh", narrow=True))
    assert chinese["工业机器人系统运维员（6-29-02-06）"] == ["工业机器人系统运维员"]


def test_long_body_names_wrap_on_a_phone_and_stay_whole_on_a_desktop(app, figures):
    for key in ("body", "pass-body"):
        phone = bars(draw(app, key, "zh", narrow=True))
        assert phone["华东示范电力有限公司（演示数据）"] == ["华东示范电力有限公司", "（演示数据）"]
        assert "".join(phone["广东省第二建筑工程有限公司职业技能等级认定中心"]).endswith("…")
        assert phone["ACME Training"] == ["ACME Training"]
        desktop = bars(draw(app, key, "zh", narrow=False))
        whole = "广东省第二建筑工程有限公司职业技能等级认定中心"
        assert "".join(desktop[whole]) == whole


def test_levels_are_named_by_their_number_with_the_title_as_tooltip(app, figures):
    for narrow in (False, True):
        english = [(lines, title) for lines, title in axis(draw(app, "level", "en", narrow=narrow), "x")
                   if title.startswith("Level")]
        assert english == [(["Level 5"], "Level 5 / Junior Worker"), (["Level 4"], "Level 4 / Intermediate Worker"),
                           (["Level 3"], "Level 3 / Senior Worker"), (["Level 2"], "Level 2 / Technician"),
                           (["Level 1"], "Level 1 / Senior Technician")]
        chinese = [lines[0] for lines, title in axis(draw(app, "level", "zh", narrow=narrow), "x") if "/" in title]
        assert chinese == ["五级", "四级", "三级", "二级", "一级"]


def test_a_standards_version_shows_only_where_two_versions_share_a_name(app, figures):
    english = bars(draw(app, "pass-standard", "en", narrow=False))
    assert english["Electrician (2018)"] == ["Electrician (2018)"]
    assert english["Electrician (2024)"] == ["Electrician (2024)"]
    assert english["Domestic Service Worker (2019)"] == ["Domestic Service Worker"]
    chinese = bars(draw(app, "pass-standard", "zh", narrow=True))
    assert chinese["电工（2024年版）"] == ["电工（2024年版）"]
    assert chinese["家政服务员（2019年版）"] == ["家政服务员"]


def test_the_version_survives_when_a_shared_name_is_cut():
    label = charts.ChartLabel(LONG, f"{LONG} (2018)", " (2018)")
    lines = charts._wrap(label, 140, 13)
    assert len(lines) == 2 and lines[-1].endswith("… (2018)")
    assert all(charts._width(line, 13) <= 140 for line in lines)


def test_every_heading_names_one_row(app, figures):
    assert table(app, "level", "en").header[0] == "Skill level"
    assert table(app, "pass-standard", "en").header[:2] == ("Standard", "Occupation")
    assert table(app, "level", "zh").header[0] == "职业技能等级"
    assert table(app, "pass-standard", "zh").header[0] == "依据标准"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_served_with_real_figures_name_their_bars(client, session, lang):
    f.publish_catalogue(session)
    f.ensure_root(session)
    assert sign_in(client, username(f.regulator(session))).status_code == 302
    f.issued_batch(session, count=3)  # electricians, 2018 standard
    for size in ("", "&size=narrow"):
        chart = client.get(f"/regulator/statistics/pass-standard.svg?lang={lang}{size}")
        assert chart.status_code == 200
        root = ET.fromstring(chart.data)  # noqa: S314
        named = {"Electrician (2018)": ["Electrician"]} if lang == "en" else {"电工（2018年版）": ["电工"]}
        assert bars(root) == named
        assert "Noto Sans CJK SC" in "".join(root.itertext())  # the style names the CJK font


def test_a_chart_without_figures_says_so(app):
    with app.test_request_context("/?lang=en"):
        for key, percent in (("body", False), ("pass-body", True), ("level", False), ("month", False)):
            empty = charts.StatTable(key, "Title", ("Name",), [], [], [], percent)
            for narrow in (False, True):
                assert "No data" in "".join(ET.fromstring(charts.chart_svg(empty, narrow=narrow)).itertext())  # noqa: S314
