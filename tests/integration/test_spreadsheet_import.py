"""Spreadsheet import of a batch's candidates: CSV (UTF-8, GB18030) and XLSX, all or nothing, hostile files
refused before parsing, the template round trip and 100,000 rows in bounded memory."""

from __future__ import annotations

import io
import random
import time
import tracemalloc
import zipfile
from datetime import date, timedelta

import openpyxl
import pytest
from sqlmodel import Session, select

from certificates import make_resident_id
from registry.models import Batch, Candidate
from registry.services import spreadsheet_import as imports
from registry.services.actors import Actor
from registry.services.registers import batch_level
from registry.services.sheets import PastedRowsRejected
from registry.services.spreadsheet_import import (
    FileRefused,
    ImportLimits,
    errors_xlsx,
    import_spreadsheet,
    template_xlsx,
)
from tests import factories

HEADER = "姓名,证件类型,证件号码,理论知识考试,技能考核"
DEFAULTS = ImportLimits()


def _resident(i: int) -> str:
    return make_resident_id("440106", date(1970, 1, 1) + timedelta(days=i // 1000), i % 1000)


def _csv_lines(count: int) -> list[str]:
    return [f"{factories.SURNAMES[i % 25]}{factories.GIVEN[i % 18]},居民身份证,{_resident(i)},{60 + i % 40},75"
            for i in range(count)]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("考生名单")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def entry(session: Session) -> tuple[Batch, Actor]:
    factories.publish_catalogue(session)
    filed = factories.body(session)
    assessor = factories.staff(session, filed, "assessor")
    return factories.open_batch(session, filed, assessor), assessor


def _import(session: Session, entry: tuple[Batch, Actor], name: str, data: bytes,
            limits: ImportLimits = DEFAULTS) -> imports.ImportResult:
    batch, assessor = entry
    return import_spreadsheet(session, batch_id=batch.id, filename=name, stream=io.BytesIO(data), actor=assessor,
                              now=factories.NOW, limits=limits)


def _count(session: Session, batch: Batch) -> int:
    return len(session.exec(select(Candidate).where(Candidate.batch_id == batch.id)).all())


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_gb18030(session, entry, encoding):
    data = "\r\n".join([HEADER, *_csv_lines(3)]).encode(encoding)
    result = _import(session, entry, "考生.csv", data)
    assert (result.added, result.passed) == (3, 3)
    names = {c.name for c in session.exec(select(Candidate).where(Candidate.batch_id == entry[0].id))}
    assert names == {line.split(",")[0] for line in _csv_lines(3)}


def test_xlsx_happy_path_numbers_and_text(session, entry):
    data = _xlsx([HEADER.split(","), ["王芳", "身份证", _resident(1), 88, 59.0],
                  ["李强", "resident", _resident(2), 70, None]])
    result = _import(session, entry, "scores.xlsx", data)
    assert (result.added, result.passed) == (2, 0)
    scores = {c.id_number: c.scores for c in session.exec(select(Candidate).where(Candidate.batch_id == entry[0].id))}
    assert scores == {_resident(1): {"theory": 88, "skill": 59}, _resident(2): {"theory": 70}}


def test_one_bad_cell_among_many_writes_nothing_and_names_row_and_column(session, entry):
    lines = _csv_lines(2000)
    lines[1233] = lines[1233].rsplit(",", 1)[0] + ",1O0"  # letter O: data row 1234 is file row 1235
    with pytest.raises(PastedRowsRejected) as refused:
        _import(session, entry, "scores.csv", "\n".join([HEADER, *lines]).encode())
    [error] = refused.value.errors
    assert (error.line, error.column) == (1235, 5)
    assert "第 1235 行第 5 列（技能考核）" in error.message("zh")
    assert "Row 1235, column 5 (Practical skills" in error.message("en")
    assert _count(session, entry[0]) == 0


def test_errors_are_capped_and_counted_and_reported_as_safe_xlsx(session, entry):
    lines = [line.replace("居民身份证", "=HYPERLINK(1)") for line in _csv_lines(1500)]
    with pytest.raises(PastedRowsRejected) as refused:
        _import(session, entry, "scores.csv", "\n".join(lines).encode())
    assert len(refused.value.errors) == ImportLimits().max_errors and refused.value.omitted == 500
    assert "1500" in refused.value.message_zh
    report = openpyxl.load_workbook(io.BytesIO(errors_xlsx(refused.value.errors, "en", refused.value.omitted)))
    rows = list(report.active.iter_rows(values_only=True))
    assert rows[0] == ("Row", "Column", "Column name", "Problem")
    assert rows[1][:3] == (1, 2, "ID type")
    assert "=HYPERLINK" in rows[1][3] and not rows[1][3].startswith("=")
    assert rows[-1][0] == "… 500 more error(s) not listed"
    formula = errors_xlsx([imports.CellError(1, 1, "=zh", "-en", "@x", "+y")], "zh")
    cells = next(openpyxl.load_workbook(io.BytesIO(formula)).active.iter_rows(min_row=2, values_only=True))
    assert cells == (1, 1, "'=zh", "'@x")


def test_duplicates_in_the_file_and_in_the_batch_are_named_in_row_order(session, entry):
    batch, _ = entry
    lines = _csv_lines(5)
    assert _import(session, entry, "first.csv", "\n".join([HEADER, lines[4]]).encode()).added == 1
    again = [lines[0], lines[1], lines[0].replace(",75", ",80"), lines[4], lines[2].replace(",75", ",1O1")]
    with pytest.raises(PastedRowsRejected) as refused:
        _import(session, entry, "second.csv", "\n".join([HEADER, *again]).encode())
    assert [e.message("en") for e in refused.value.errors] == [
        "Row 4, column 3 (ID number): Same ID number as row 2.",
        "Row 5, column 3 (ID number): This ID number is already in the batch.",
        "Row 6, column 5 (Practical skills assessment): Practical skills assessment score must be a whole number "
        "0-100, got '1O1'.",
    ]
    assert _count(session, batch) == 1


def test_what_is_inserted_is_what_was_checked(session, entry):
    batch, _ = entry
    rows = [HEADER.split(","), ["Mary O'Brien-Smith", "Passport", "e1234567 8", 0, None],
            ["阿依古丽·买买提", "身份证", _resident(3).lower(), "１００", 59],
            [" 陈  静 ", "居民身份证", _resident(4), None, None]]
    assert _import(session, entry, "names.xlsx", _xlsx(rows)).passed == 0
    stored = {(c.name, c.id_type, c.id_number, tuple(sorted(c.scores.items())))
              for c in session.exec(select(Candidate).where(Candidate.batch_id == batch.id))}
    assert stored == {("Mary O'Brien-Smith", "passport", "E12345678", (("theory", 0),)),
                      ("阿依古丽·买买提", "resident", _resident(3), (("skill", 59), ("theory", 100))),
                      ("陈 静", "resident", _resident(4), ())}


MEMORY_ROWS = 20_000


@pytest.mark.slow  # tracemalloc slows the import some fivefold: 10-13 s here
def test_memory_is_bounded_by_what_the_checks_need_not_by_the_rows(session, entry):
    """Across rows the import keeps only the ID numbers seen and the checked rows as short CSV lines: 20,000 rows
    peak at 3.7 MB of Python allocations on either backend, where keeping each row as an object took 11.5 MB.
    tracemalloc counts allocations, not time: the machine's load does not move the figure."""
    warm_up = f"王芳,居民身份证,{_resident(MEMORY_ROWS)},80,75"  # the fonts' coverage, the ORM's statements: once
    _import(session, entry, "warm-up.csv", "\n".join([HEADER, warm_up]).encode())
    data = "\n".join([HEADER, *_csv_lines(MEMORY_ROWS)]).encode()  # allocated before tracing: not counted
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        result = _import(session, entry, "many.csv", data)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if not tracing:
            tracemalloc.stop()
    assert result.added == MEMORY_ROWS
    assert peak < 6_000_000, f"{peak / 1e6:.1f} MB"  # about half the old peak, 1.6 times the new one


def test_header_must_match_the_columns(session, entry):
    header = "姓名,证件类型,证件号码,技能考核,理论知识考试"
    with pytest.raises(PastedRowsRejected) as refused:
        _import(session, entry, "scores.csv", "\n".join([header, *_csv_lines(2)]).encode())
    assert [(e.line, e.column) for e in refused.value.errors] == [(1, 4), (1, 5)]


def _refused(session, entry, name: str, data: bytes, limits: ImportLimits = DEFAULTS) -> FileRefused:
    started = time.perf_counter()
    with pytest.raises(FileRefused) as refused:
        _import(session, entry, name, data, limits)
    assert time.perf_counter() - started < 5
    assert _count(session, entry[0]) == 0
    return refused.value


def _with_part(data: bytes, name: str, content: bytes, replace: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if not (replace and info.filename == name):
                dst.writestr(info, src.read(info))
        dst.writestr(name, content)
    return out.getvalue()


def test_zip_bomb_is_refused_before_parsing(session, entry):
    data = _with_part(_xlsx([HEADER.split(",")]), "xl/media/padding.bin", b"\0" * (50 * 1024 * 1024))
    assert len(data) < 1024 * 1024
    assert _refused(session, entry, "bomb.xlsx", data).reason == "xlsx-too-large-unzipped"


def test_external_link_is_refused(session, entry):
    data = _with_part(_xlsx([HEADER.split(",")]), "xl/externalLinks/externalLink1.xml",
                      b'<?xml version="1.0"?><externalLink xmlns="http://schemas.openxmlformats.org/'
                      b'spreadsheetml/2006/main"/>')
    assert _refused(session, entry, "linked.xlsx", data).reason == "xlsx-external-link"


def test_doctype_entity_is_refused(session, entry):
    original = _xlsx([HEADER.split(","), *[line.split(",") for line in _csv_lines(1)]])
    with zipfile.ZipFile(io.BytesIO(original)) as src:
        sheet = src.read("xl/worksheets/sheet1.xml")
    start = sheet.index(b"<worksheet")
    evil = sheet[:start] + b'<!DOCTYPE worksheet [<!ENTITY x "lol">]>' + sheet[start:]
    data = _with_part(original, "xl/worksheets/sheet1.xml", evil, replace=True)
    assert _refused(session, entry, "entity.xlsx", data).reason == "xlsx-dtd"


def test_png_renamed_xlsx_and_binary_csv_are_refused(session, entry):
    png = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + bytes(range(256)) * 4
    assert _refused(session, entry, "photo.xlsx", png).reason == "file-not-xlsx"
    assert _refused(session, entry, "photo.csv", png).reason == "file-not-csv"
    assert _refused(session, entry, "old.xls", png).reason == "file-type"


def test_file_over_the_size_limit_is_refused(session, entry):
    data = "\n".join([HEADER, *_csv_lines(30)]).encode()
    assert _refused(session, entry, "big.csv", data, ImportLimits(max_bytes=1000)).reason == "file-too-large"


def test_configured_limits_apply(session, entry):
    rows = "\n".join([HEADER, *_csv_lines(6)]).encode()
    few = ImportLimits(max_rows=5, max_columns=5, max_errors=2)
    assert _refused(session, entry, "s.csv", rows, few).reason == "too-many-rows"
    assert _refused(session, entry, "s.xlsx", _xlsx([HEADER.split(","), *[line.split(",") for line in _csv_lines(6)]]),
                    few).reason == "too-many-rows"
    wide = "\n".join([HEADER, _csv_lines(1)[0] + ",x"]).encode()
    assert _refused(session, entry, "s.csv", wide, few).reason == "too-many-columns"
    with pytest.raises(PastedRowsRejected) as refused:
        _import(session, entry, "s.csv", "\n".join([HEADER, *_csv_lines(3)]).replace(",75", ",101").encode(), few)
    assert len(refused.value.errors) == 2 and refused.value.omitted == 1
    def one(n: int) -> bytes:
        return _xlsx([HEADER.split(","), ["王芳", "居民身份证", _resident(n), 80, 80]])

    noise = _with_part(one(100), "xl/media/noise.bin", random.Random(7).randbytes(1536 * 1024))
    assert _refused(session, entry, "n.xlsx", noise, ImportLimits(max_unzipped_bytes=1024 * 1024)).reason == (
        "xlsx-too-large-unzipped")
    zeros = _with_part(one(101), "xl/media/zeros.bin", b"\0" * (3 * 1024 * 1024))
    assert _refused(session, entry, "z.xlsx", zeros).reason == "xlsx-too-large-unzipped"

    # The same files within larger limits
    assert _import(session, entry, "n.xlsx", noise).added == 1  # incompressible: only the smaller limit refused it
    assert _import(session, entry, "z.xlsx", zeros, ImportLimits(max_ratio=10**6)).added == 1
    assert _import(session, entry, "s.csv", rows, ImportLimits(max_rows=6)).added == 6


def test_the_settings_default_to_the_services_limits(app):
    from registry.runtime import import_limits

    assert import_limits(app) == ImportLimits()
    assert app.config["MAX_CONTENT_LENGTH"] == ImportLimits().max_bytes + 1024 * 1024


def test_too_many_rows_or_columns_are_refused_quickly(session, entry):
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER.split(","))
    row = ["王芳", "居民身份证", _resident(1), 80, 80]
    for _ in range(100_001):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    assert _refused(session, entry, "huge.xlsx", out.getvalue()).reason == "too-many-rows"
    wide = _xlsx([HEADER.split(","), ["x"] * 51])
    assert _refused(session, entry, "wide.xlsx", wide).reason == "too-many-columns"
    csv_rows = "\n".join([HEADER, *(["王芳,居民身份证,1,80,80"] * 100_001)]).encode()
    assert _refused(session, entry, "huge.csv", csv_rows).reason == "too-many-rows"


def test_template_round_trip(session, entry):
    batch, _ = entry
    template = template_xlsx(batch_level(session, batch), ImportLimits())
    book = openpyxl.load_workbook(io.BytesIO(template))
    assert book.sheetnames == ["考生名单", "填写说明"]
    sheet = book["考生名单"]
    assert [c.value for c in sheet[1]] == HEADER.split(",")
    guide = [row[0] for row in book["填写说明"].iter_rows(min_row=2, values_only=True)]
    assert guide[:5] == ["姓名", "证件类型", "证件号码", "理论知识考试", "技能考核"]
    sheet["A2"], sheet["C2"], sheet["E2"] = "陈静", _resident(7), 55
    filled = io.BytesIO()
    book.save(filled)
    result = _import(session, entry, "模板.xlsx", filled.getvalue())
    assert (result.added, result.passed) == (1, 0)
    [candidate] = session.exec(select(Candidate).where(Candidate.batch_id == batch.id)).all()
    assert (candidate.name, candidate.id_number, candidate.scores) == ("陈静", _resident(7),
                                                                       {"theory": 85, "skill": 55})


@pytest.fixture
def import_client(app):
    return app.test_client()


def test_api_template_and_import(session, entry, import_client):
    from tests.api.credentials import auth_headers

    batch, assessor = entry
    headers = auth_headers(session, assessor)
    template = import_client.get(f"/api/v1/batches/{batch.id}/template.xlsx", headers=headers)
    assert template.status_code == 200 and template.data.startswith(b"PK")
    bad = "\n".join([HEADER, *_csv_lines(2)]).replace("75\n", "101\n").encode()
    refused = import_client.post(f"/api/v1/batches/{batch.id}/import", headers={**headers, "Accept-Language": "en"},
                                 data={"file": (io.BytesIO(bad), "s.csv")}, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert refused.json["errors"][0]["row"] == 2 and refused.json["errors"][0]["column"] == 5
    report = import_client.post(f"/api/v1/batches/{batch.id}/import?errors=xlsx", headers=headers,
                                data={"file": (io.BytesIO(bad), "s.csv")}, content_type="multipart/form-data")
    assert report.status_code == 422 and report.data.startswith(b"PK")
    good = "\n".join([HEADER, *_csv_lines(2)]).encode()
    added = import_client.post(f"/api/v1/batches/{batch.id}/import", headers=headers,
                               data={"file": (io.BytesIO(good), "s.csv")}, content_type="multipart/form-data")
    assert added.status_code == 201 and added.json == {"added": 2, "passed": 2}
    other = factories.staff(session, factories.body(session), "assessor")
    hidden = import_client.post(f"/api/v1/batches/{batch.id}/import", headers=auth_headers(session, other),
                                data={"file": (io.BytesIO(good), "s.csv")}, content_type="multipart/form-data")
    assert hidden.status_code == 404
    read_only = import_client.post(f"/api/v1/batches/{batch.id}/import",
                                   headers=auth_headers(session, assessor, write=False),
                                   data={"file": (io.BytesIO(good), "s.csv")}, content_type="multipart/form-data")
    assert read_only.status_code == 403


def test_an_oversized_request_is_refused_before_it_is_read(session, entry, app, import_client):
    from tests.api.credentials import auth_headers

    batch, assessor = entry
    app.config.update(IMPORT_MAX_BYTES=2048, MAX_CONTENT_LENGTH=4096)
    data = "\n".join([HEADER, *_csv_lines(100)]).encode()
    headers = {**auth_headers(session, assessor), "Accept-Language": "en"}
    refused = import_client.post(f"/api/v1/batches/{batch.id}/import", headers=headers,
                                 data={"file": (io.BytesIO(data), "s.csv")}, content_type="multipart/form-data")
    assert refused.status_code == 413
    assert refused.json["reason"] == "too-large" and refused.json["code"] == 413
    assert refused.json["message"] == "The request is too large: an uploaded file may be at most 2 KB."
    chinese = import_client.post(f"/api/v1/batches/{batch.id}/import", headers=auth_headers(session, assessor),
                                 data={"file": (io.BytesIO(data), "s.csv")}, content_type="multipart/form-data")
    assert chinese.status_code == 413 and "2 KB" in chinese.json["message"] and "上传的文件" in chinese.json["message"]
    assert _count(session, batch) == 0
