"""The English catalogue covers every message of the pages, and the compiled catalogue is the current one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import render_template_string

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "registry/web/translations/en/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("registry/web/**.py", "python"), ("registry/web/templates/**.html", "jinja2"),
           ("registry/api/**.py", "python"), ("registry/api/templates/**.html", "jinja2")]


def _catalog():
    with PO.open("rb") as source:
        return read_po(source, locale="en")


def test_every_message_of_the_pages_has_an_english_translation():
    used = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS):
        used.add(message[0] if isinstance(message, tuple) else message)
    catalog = _catalog()
    translated = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id and m.string}
    assert used, "no messages extracted: the extraction itself is broken"
    assert sorted(used - translated) == [], "run pybabel extract/update and translate (see README)"


def test_the_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as compiled:
        shipped = {_key(m.id): _key(m.string) for m in read_mo(compiled) if m.id}
    fresh = BytesIO()
    write_mo(fresh, _catalog())
    fresh.seek(0)
    current = {_key(m.id): _key(m.string) for m in read_mo(fresh) if m.id}
    assert shipped == current, "run pybabel compile -d registry/web/translations"


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def test_counts_and_dates_are_written_for_the_reader(app):
    """Large counts are grouped, a moment's date is its date in China, both in each language's own style."""
    late_evening_utc = datetime(2026, 5, 9, 20, 30, tzinfo=UTC)  # 10 May, 04:30 in Beijing
    template = "{{ ngettext('共 %(count)s 条记录。', '共 %(count)s 条记录。', n, count=n|number) }} {{ moment|day }}"
    with app.test_request_context("/?lang=zh"):
        shown = render_template_string(template, n=1234567, moment=late_evening_utc)
        assert shown == "共 1,234,567 条记录。 2026年5月10日"
    with app.test_request_context("/?lang=en"):
        assert render_template_string(template, n=1234567, moment=late_evening_utc) == "1,234,567 events. May 10, 2026"
        assert render_template_string(template, n=1, moment=date(2026, 5, 10)).startswith("1 event.")


def test_every_count_in_the_pages_goes_through_the_number_filter():
    """A bare %(num)d prints 1234567 where the reader expects 1,234,567."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "registry").rglob("*")
                 if p.suffix in (".html", ".py") and "%(num)d" in p.read_text(encoding="utf-8")]
    assert offenders == []
