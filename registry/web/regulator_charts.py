"""The regulator's statistics as tables (the page and its CSV files) and as SVG charts drawn on the server.

pygal draws the charts; its tooltip script is left out (js=[] and every <script> removed from the tree), so a
chart is a still picture that works as an <img> under the pages' policy and without JavaScript.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pygal
from flask_babel import gettext as _
from pygal.style import Style
from sqlmodel import Session

from registry.services import statistics
from standards import level_label

CHART_TOP = 15  # bars per chart; the table and the CSV file hold every row

STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#1d1d1f", foreground_strong="#1d1d1f",
    foreground_subtle="#5b5b63", colors=("#e3b5b5",), value_colors=("#1d1d1f",), opacity="1", opacity_hover="1",
    font_family='"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    label_font_size=13, major_label_font_size=13, value_font_size=12, title_font_size=16, legend_font_size=13,
    no_data_font_size=18, transition="none",
)


@dataclass(frozen=True)
class StatTable:
    key: str  # as in the address: /regulator/statistics/<key>.csv
    title: str
    header: tuple[str, ...]
    rows: list[tuple[object, ...]]
    chart_labels: list[str]
    chart_values: list[float]
    percent: bool  # the chart shows pass rates (0-100), not counts

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def first_number(self) -> int:
        """Index of the first numeric column: counts (issued, valid) or (candidates, passed, rate) end a row."""
        return len(self.header) - (3 if self.percent else 2)


def _counts(key: str, title: str, first: tuple[str, ...], counts: Sequence[statistics.Count],
            label: Callable[[statistics.Count], tuple[object, ...]], chart_label: Callable[[statistics.Count], str],
            *, keep_order: bool = False) -> StatTable:
    charted = counts if keep_order else counts[:CHART_TOP]
    return StatTable(
        key=key, title=title, header=(*first, _("签发证书"), _("当前有效")),
        rows=[(*label(c), c.issued, c.valid) for c in counts],
        chart_labels=[chart_label(c) for c in charted], chart_values=[c.issued for c in charted], percent=False,
    )


def _rates(key: str, title: str, first: tuple[str, ...], rates: Sequence[statistics.PassRate],
           label: Callable[[statistics.PassRate], tuple[object, ...]],
           chart_label: Callable[[statistics.PassRate], str]) -> StatTable:
    return StatTable(
        key=key, title=title, header=(*first, _("考生人数"), _("通过人数"), _("通过率")),
        rows=[(*label(r), r.candidates, r.passed, _percent(r.rate)) for r in rates],
        chart_labels=[chart_label(r) for r in rates[:CHART_TOP]],
        chart_values=[round((r.rate or 0) * 100, 1) for r in rates[:CHART_TOP]], percent=True,
    )


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def _name(zh: str, en: str, lang: str) -> str:
    return en if lang == "en" and en else zh


def build_table(key: str, session: Session, *, today: date, lang: str) -> StatTable:
    """One statistics table by its key (KeyError for an unknown one), labels in the reader's language."""
    return _BUILDERS[key](session, today, lang)


def _by_month(session: Session, today: date, lang: str) -> StatTable:
    return _counts("month", _("每月签发证书（近 12 个月）"), (_("月份"),),
                   statistics.by_month(session, today=today), lambda c: (c.key,), lambda c: c.key, keep_order=True)


def _by_occupation(session: Session, today: date, lang: str) -> StatTable:
    return _counts("occupation", _("按职业"), (_("职业编码"), _("职业")), statistics.by_occupation(session),
                   lambda c: (c.key, _name(c.label, c.label_en, lang)), lambda c: _name(c.label, c.label_en, lang))


def _by_level(session: Session, today: date, lang: str) -> StatTable:
    return _counts("level", _("按等级"), (_("等级"),), statistics.by_level(session),
                   lambda c: (level_label(int(c.key), lang),), lambda c: level_label(int(c.key), lang),
                   keep_order=True)


def _by_province(session: Session, today: date, lang: str) -> StatTable:
    return _counts("province", _("按省份（发证机构所在地）"), (_("省份代码"), _("省份")),
                   statistics.by_province(session),
                   lambda c: (c.key, _name(c.label, c.label_en, lang)), lambda c: _name(c.label, c.label_en, lang))


def _by_body(session: Session, today: date, lang: str) -> StatTable:
    return _counts("body", _("按评价机构"), (_("评价机构"),), statistics.by_body(session),
                   lambda c: (c.label,), lambda c: c.label)


def _pass_by_body(session: Session, today: date, lang: str) -> StatTable:
    return _rates("pass-body", _("各评价机构的通过率"), (_("评价机构"),), statistics.pass_rates_by_body(session),
                  lambda r: (r.label,), lambda r: r.label)


def _pass_by_standard(session: Session, today: date, lang: str) -> StatTable:
    return _rates("pass-standard", _("各标准版本的通过率"), (_("标准"), _("职业")),
                  statistics.pass_rates_by_standard(session),
                  lambda r: (r.key, _name(r.label, r.label_en, lang)), lambda r: _name(r.label, r.label_en, lang))


_BUILDERS: dict[str, Callable[[Session, date, str], StatTable]] = {
    "month": _by_month,
    "occupation": _by_occupation,
    "level": _by_level,
    "province": _by_province,
    "body": _by_body,
    "pass-body": _pass_by_body,
    "pass-standard": _pass_by_standard,
}
TABLES = tuple(_BUILDERS)


def csv_file(table: StatTable) -> bytes:
    return statistics.csv_bytes(table.header, table.rows)


def chart_svg(table: StatTable, *, narrow: bool = False) -> bytes:
    """A standalone SVG document (XML declaration included) with no script and no external reference.

    `narrow` draws for a phone's width (the page picks it with <picture> and a media query).
    """
    vertical = table.key in ("month", "level")
    kind = pygal.Bar if vertical else pygal.HorizontalBar
    rows = max(len(table.chart_labels), 1)
    limit = 8 if narrow else 14
    labels = [_short(label, limit) for label in table.chart_labels]
    options: dict[str, Any] = {
        "style": STYLE, "js": [], "explicit_size": True,
        "width": 400 if narrow else 800, "height": (320 if narrow else 400) if vertical else max(240, 60 + 34 * rows),
        "title": table.title, "show_legend": False, "print_values": True,
        "no_data_text": _("暂无数据"), "margin": 12 if narrow else 16,
        "x_label_rotation": (60 if narrow else 30) if table.key == "month" else 0,
    }
    if table.percent:
        options.update(range=(0, 100), value_formatter=lambda v: f"{v:.1f}%")
    else:
        options.update(value_formatter=lambda v: f"{int(v)}", min_scale=1, max_scale=5 if narrow else 10)
    if not vertical and labels:
        # pygal sizes the label margin for Latin text (0.6 em a character); Chinese characters are a full em.
        wide = max(sum(unicodedata.east_asian_width(ch) in "WF" for ch in label) for label in labels)
        options["margin_left"] = options["margin"] + round(0.45 * STYLE.label_font_size * wide)
    chart = kind(**options)
    chart.add_xml_filter(_without_scripts)
    values = table.chart_values
    if not vertical:  # bars read top to bottom in the table's order; pygal draws horizontal bars bottom-up
        labels, values = labels[::-1], values[::-1]
    chart.x_labels = labels
    if values:
        chart.add(_("通过率") if table.percent else _("签发证书"), values)
    svg = chart.render()
    return svg if isinstance(svg, bytes) else svg.encode("utf-8")


def _short(label: str, limit: int) -> str:
    """A bar's label cut to fit the chart's margin (the table beside it has the full name)."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _without_scripts(root: Any) -> Any:
    """Remove pygal's configuration <script> (added even when no script file is asked for)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root
