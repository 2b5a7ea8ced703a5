"""The regulator's statistics as tables (the page and its CSV files) and as SVG charts drawn on the server.

pygal draws the charts; its tooltip script is left out (js=[] and every <script> removed from the tree), so a
chart is a still picture that works as an <img> under the pages' policy and without JavaScript.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pygal
from flask_babel import gettext as _
from pygal.style import Style
from sqlmodel import Session

from registry.services import statistics
from standards import level_info, level_label

CHART_TOP = 15  # bars per chart; the table and the CSV file hold every row

_LOOK: dict[str, Any] = dict(
    background="#ffffff", plot_background="#ffffff", foreground="#1d1d1f", foreground_strong="#1d1d1f",
    foreground_subtle="#5b5b63", colors=("#e3b5b5",), value_colors=("#1d1d1f",), opacity="1", opacity_hover="1",
    font_family='"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    legend_font_size=13, no_data_font_size=18, transition="none",
)
STYLE = Style(**_LOOK, label_font_size=13, major_label_font_size=13, value_font_size=12, title_font_size=16)
# A phone shows the 400-pixel chart a little smaller than drawn (about 360 pixels): larger type keeps it legible.
NARROW_STYLE = Style(**_LOOK, label_font_size=15, major_label_font_size=15, value_font_size=14, title_font_size=17)


@dataclass(frozen=True)
class ChartLabel:
    """A bar's name on the chart: its meaningful part, wrapped or cut to fit, and the full name as its tooltip."""

    text: str  # "Level 5" for `Level 5 / Junior Worker`, an occupation's name without its code
    title: str  # the full name, as the table below the chart writes it
    keep: str = ""  # an ending shown after `text` and kept whole when the name is cut (a standard's version)

    @property
    def shown(self) -> str:
        return self.text + self.keep


def _plain(text: str) -> ChartLabel:
    return ChartLabel(text, text)


@dataclass(frozen=True)
class StatTable:
    key: str  # as in the address: /regulator/statistics/<key>.csv
    title: str
    header: tuple[str, ...]
    rows: list[tuple[object, ...]]
    chart_labels: list[ChartLabel]
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
            label: Callable[[statistics.Count], tuple[object, ...]],
            chart_label: Callable[[statistics.Count], ChartLabel],
            *, keep_order: bool = False) -> StatTable:
    charted = counts if keep_order else counts[:CHART_TOP]
    return StatTable(
        key=key, title=title, header=(*first, _("签发证书"), _("当前有效")),
        rows=[(*label(c), c.issued, c.valid) for c in counts],
        chart_labels=[chart_label(c) for c in charted], chart_values=[c.issued for c in charted], percent=False,
    )


def _rates(key: str, title: str, first: tuple[str, ...], rates: Sequence[statistics.PassRate],
           label: Callable[[statistics.PassRate], tuple[object, ...]],
           chart_label: Callable[[statistics.PassRate], ChartLabel]) -> StatTable:
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
                   statistics.by_month(session, today=today), lambda c: (c.key,), lambda c: _plain(c.key),
                   keep_order=True)


def _by_occupation(session: Session, today: date, lang: str) -> StatTable:
    # The bar is named without the occupation's code: the table below gives it.
    return _counts("occupation", _("按职业"), (_("职业编码"), _("职业")), statistics.by_occupation(session),
                   lambda c: (c.key, _name(c.label, c.label_en, lang)),
                   lambda c: _occupation_bar(c, lang))


def _occupation_bar(count: statistics.Count, lang: str) -> ChartLabel:
    name = _name(count.label, count.label_en, lang)
    return ChartLabel(name, f"{name} ({count.key})" if lang == "en" else f"{name}（{count.key}）")


def _by_level(session: Session, today: date, lang: str) -> StatTable:
    # One level a row: the singular "Skill level" (职业技能等级), not the catalogue's plural "Levels" (等级).
    return _counts("level", _("按等级"), (_("职业技能等级"),), statistics.by_level(session),
                   lambda c: (level_label(int(c.key), lang),), lambda c: _level_bar(int(c.key), lang),
                   keep_order=True)


def _level_bar(digit: int, lang: str) -> ChartLabel:
    """`Level 5` (五级) on the bar; `Level 5 / Junior Worker` in the table and the tooltip."""
    info = level_info(digit)
    return ChartLabel(info.en if lang == "en" else info.zh, level_label(digit, lang))


def _by_province(session: Session, today: date, lang: str) -> StatTable:
    return _counts("province", _("按省份（发证机构所在地）"), (_("省份代码"), _("省份")),
                   statistics.by_province(session),
                   lambda c: (c.key, _name(c.label, c.label_en, lang)),
                   lambda c: _plain(_name(c.label, c.label_en, lang)))


def _by_body(session: Session, today: date, lang: str) -> StatTable:
    return _counts("body", _("按评价机构"), (_("评价机构"),), statistics.by_body(session),
                   lambda c: (c.label,), lambda c: _plain(c.label))


def _pass_by_body(session: Session, today: date, lang: str) -> StatTable:
    return _rates("pass-body", _("各评价机构的通过率"), (_("评价机构"),), statistics.pass_rates_by_body(session),
                  lambda r: (r.label,), lambda r: _plain(r.label))


def _pass_by_standard(session: Session, today: date, lang: str) -> StatTable:
    rates = statistics.pass_rates_by_standard(session)
    # A bar is named by its occupation; the version is added only where two charted versions share a name.
    shared = Counter(_standard_bar(r, lang).text for r in rates[:CHART_TOP])

    def chart_label(rate: statistics.PassRate) -> ChartLabel:
        bar = _standard_bar(rate, lang)
        return bar if shared[bar.text] > 1 else ChartLabel(bar.text, bar.title)

    # One standard version a row: "Standard" (依据标准), not the navigation's plural "Standards" (标准).
    return _rates("pass-standard", _("各标准版本的通过率"), (_("依据标准"), _("职业")), rates,
                  lambda r: (r.key, _name(r.label, r.label_en, lang)), chart_label)


def _standard_bar(rate: statistics.PassRate, lang: str) -> ChartLabel:
    """The occupation's name, with its version (`Electrician (2018)`, `电工（2018年版）`) as the ending to keep."""
    version = rate.key.rpartition("@")[2]
    full = _name(rate.label, rate.label_en, lang)
    ending = f" ({version})" if lang == "en" and rate.label_en else f"（{version}年版）"
    if version and full.endswith(ending) and len(full) > len(ending):
        return ChartLabel(full.removesuffix(ending), full, ending)
    return ChartLabel(full, full)


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


LABEL_WIDTH = {False: 300, True: 160}  # pixels a line of a bar's name may take: desktop, phone
LABEL_LINES = 2  # lines a bar's name may take before it is cut
TICKS = {False: 8, True: 4}  # most steps on the value axis
PERCENT_STEP = {False: 10, True: 25}


def chart_svg(table: StatTable, *, narrow: bool = False) -> bytes:
    """A standalone SVG document (XML declaration included) with no script and no external reference.

    `narrow` draws for a phone's width (the page picks it with <picture> and a media query). Bars run
    horizontally, their names wrapped on up to two lines beside them, except for months and levels, whose short
    names stand under columns. A bar's full name is the <title> of its name (the table below has it too).
    """
    vertical = table.key in ("month", "level")
    kind = pygal.Bar if vertical else pygal.HorizontalBar
    style = NARROW_STYLE if narrow else STYLE
    size = style.label_font_size
    if vertical:
        lines = [[label.shown] for label in table.chart_labels]
    else:
        lines = [_wrap(label, LABEL_WIDTH[narrow], size) for label in table.chart_labels]
    titles = [label.title for label in table.chart_labels]
    values = table.chart_values
    if not vertical:  # bars read top to bottom in the table's order; pygal draws horizontal bars bottom-up
        lines, titles, values = lines[::-1], titles[::-1], values[::-1]
    rows = max(len(lines), 1)
    row_height = 34 if max((len(name) for name in lines), default=1) == 1 else 46
    options: dict[str, Any] = {
        "style": style, "js": [], "explicit_size": True,
        "width": 400 if narrow else 800,
        "height": (320 if narrow else 400) if vertical else max(240, 64 + row_height * rows),
        "title": table.title, "show_legend": False, "print_values": True,
        "no_data_text": _("暂无数据"), "margin": 12 if narrow else 16, "truncate_label": -1,
        "x_label_rotation": (60 if narrow else 30) if table.key == "month" else 0,
    }
    # The value axis: a few whole numbers, each written in full ("50%", not "50.0%" cut to "5…" on a phone).
    ticks = list(range(0, 101, PERCENT_STEP[narrow])) if table.percent else _ticks(max(values, default=0),
                                                                                      TICKS[narrow])
    if table.percent:
        options.update(range=(0, 100), value_formatter=lambda v: f"{v:.1f}%")
    else:
        options.update(value_formatter=lambda v: f"{round(v):,}")
    if values:  # (pygal cannot place labels on a chart without data)
        options["y_labels"] = [{"value": v, "label": f"{v:,}%" if table.percent else f"{v:,}"} for v in ticks]
        if not vertical:  # the last number stands centred on the plot's right edge: room for its second half
            last = options["y_labels"][-1]["label"]
            options["margin_right"] = max(options["margin"], math.ceil(_width(last, size) / 2) + 2)
    drawn = [name[0] for name in lines]  # what pygal writes (and sizes its margin by); the filter adds line two
    if not vertical and drawn:
        # pygal adds 0.6 em a character of the longest label to the left margin: make that the widest line.
        wanted = max(_width(line, size) for name in lines for line in name)
        options["margin_left"] = options["margin"] + math.ceil(wanted - 0.6 * size * max(map(len, drawn))) or 1
    chart = kind(**options)
    chart.add_xml_filter(_without_scripts)
    chart.add_xml_filter(lambda root: _name_bars(root, "y" if not vertical else "x", lines, titles))
    chart.x_labels = drawn
    if values:
        chart.add(_("通过率") if table.percent else _("签发证书"), values)
    svg = chart.render()
    return svg if isinstance(svg, bytes) else svg.encode("utf-8")


def _ticks(top: float, most: int) -> list[int]:
    """Whole numbers from 0 to at least `top`, at most `most` steps of 1, 2 or 5 times a power of ten."""
    top = max(math.ceil(top), 1)
    step = 1
    while math.ceil(top / step) > most:
        step = next(s * 10 ** p for p in range(20) for s in (1, 2, 5) if s * 10 ** p > step)
    return list(range(0, step * math.ceil(top / step) + 1, step))


def _width(text: str, size: float) -> float:
    """Approximate width in pixels, a little generous: Chinese (wide) characters take an em; Latin letters about
    0.58 em in Noto Sans CJK, capitals and m/w more, i/l/t/r and punctuation less."""
    return size * sum(1.0 if _wide(ch) else 0.75 if ch in _BROAD
                      else 0.35 if ch in _SLIM else 0.58 for ch in text)


_BROAD = frozenset("ABCDEFGHJKLMNOPQRSTUVWXYZmw%@&")
_SLIM = frozenset("Iijlftr!'\",.:;|()[]{} -")


# Wrapping units: a word with its trailing spaces, or one wide character; an opening bracket stays with what
# follows it, closing punctuation with what precedes it.
_UNIT = re.compile(r"[(\[（《“‘]*(?:[^\s\u2e80-\uffef]+\s*|[\u2e80-\uffef]\s*|\s+)[)\]）》”’、，。：；,.:;]*")


def _wrap(label: ChartLabel, width: float, size: float) -> list[str]:
    """The label's lines, each at most `width` pixels, at most LABEL_LINES of them; an over-long name is cut
    with "…", after a whole word where one fits, before its `keep` ending, which always shows."""
    lines = _lines(label.shown, width, size)
    if len(lines) <= LABEL_LINES:
        return lines
    text = label.text
    cuts = [i for i in range(len(text) - 1, 0, -1) if _wide(text[i - 1]) or _wide(text[i]) or text[i].isspace()]
    for cut in [*cuts, *range(len(text) - 1, 0, -1)]:  # at a word's end first, else anywhere
        lines = _lines(f"{text[:cut].rstrip()}…{label.keep}", width, size)
        if len(lines) <= LABEL_LINES:
            return lines
    return _lines(f"…{label.keep}", width, size)[:LABEL_LINES]


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _lines(text: str, width: float, size: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for unit in _UNIT.findall(text) or [text]:
        if _width((line + unit).rstrip(), size) <= width:
            line += unit
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        for ch in unit:  # a unit wider than a line is broken where it must be
            if line and _width((line + ch).rstrip(), size) > width:
                lines.append(line.rstrip())
                line = ""
            line += ch
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _name_bars(root: Any, axis: str, lines: list[list[str]], titles: list[str]) -> Any:
    """Give each bar's name on the category axis its second line and its full name as a <title> (in place of
    pygal's own on a horizontal chart, which is the label's position written as a value: "0.1%")."""
    for group in root.iter("g"):
        if {"axis", axis} <= set((group.get("class") or "").split()):
            guides = [g for g in group if g.tag == "g" and "guides" in (g.get("class") or "").split()]
            if len(guides) != len(lines):
                continue
            for guide, name, title in zip(guides, lines, titles, strict=True):
                text = guide.find("text")
                if text is None:
                    continue
                if len(name) > 1:
                    text.text = None
                    for i, line in enumerate(name):
                        # Centred on the bar as the one line was: the first line goes up half a line per extra line.
                        dy = f"{-0.6 * (len(name) - 1):.1f}em" if i == 0 else "1.2em"
                        span = text.makeelement("tspan", {"x": text.get("x", "0"), "dy": dy})
                        span.text = line
                        text.append(span)
                tip = guide.find("title")
                if tip is None:
                    tip = guide.makeelement("title", {})
                    guide.append(tip)
                tip.text = title
    return root


def _without_scripts(root: Any) -> Any:
    """Remove pygal's configuration <script> (added even when no script file is asked for)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root
