"""The English catalogue covers every message of the pages, and the compiled catalogue is the current one."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "registry/web/translations/en/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("registry/web/**.py", "python"), ("registry/web/templates/**.html", "jinja2")]


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
