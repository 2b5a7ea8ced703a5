"""Candidates and scores imported from an uploaded spreadsheet (XLSX or CSV), the template to fill in, and the
error report to download.

The file is read as a stream of rows into the row model of pasted text (sheets.checked_rows): the whole file is
checked before anything is written, every bad cell named by row and column, the good rows kept meanwhile as
compact CSV text (a few MB for 100,000 rows, not objects); then they are inserted in chunks inside one
transaction, all or none. Hostile files are refused before a parser sees them: too big, a zip bomb, external
links, DTDs or entities, too many rows or columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import IO, Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from sqlalchemy import insert
from sqlmodel import Session, col, select

import standards
from certificates import ID_TYPES
from registry.config import upload_size
from registry.errors import InvalidInput
from registry.models import Candidate, pk
from registry.services.actors import Actor, require_body_role
from registry.services.audit import record_event
from registry.services.batches import ENTRY_ROLES, CandidateInput, get_batch, require_editable
from registry.services.registers import batch_level, body_batch
from registry.services.sheets import CellError, checked_rows, columns
from registry.services.statistics import safe_cell
from registry.services.zip_safety import BOMB_RULES, ArchiveRefused, ZipLimits, check_archive, open_archive

INSERT_CHUNK = 1_000
XML_HEAD_BYTES = 8 * 1024  # a DTD can only stand in the prolog, before the root element

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROW = re.compile(rb"<(?:\w+:)?row(?:\s[^>]*)?(?<!/)>")  # not a self-closing (empty) row
_XLSX_NAMES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"


class FileRefused(InvalidInput):
    """The file as a whole was refused before any row was read; `reason` names the rule."""

    def __init__(self, reason: str, zh: str, en: str) -> None:
        super().__init__(reason, zh, en, field="file")


@dataclass(frozen=True)
class ImportLimits:
    """What one file may hold: the REGISTRY_IMPORT_* settings (registry/config.py), whose defaults these are."""

    max_bytes: int = 20 * 1024 * 1024  # the file as uploaded
    max_rows: int = 100_000  # candidate rows, a header row not counted
    max_columns: int = 50
    max_errors: int = 1000  # bad cells named when a file is refused; the rest are only counted
    max_unzipped_bytes: int = 400 * 1024 * 1024  # all parts of an XLSX together, once unzipped
    max_ratio: int = 200  # uncompressed / compressed, for a part larger than ratio_floor
    ratio_floor: int = 1024 * 1024
    max_zip_entries: int = 5_000


@dataclass(frozen=True)
class ImportResult:
    added: int
    passed: int


def import_spreadsheet(
    session: Session, *, batch_id: int, filename: str, stream: IO[bytes], actor: Actor, now: datetime,
    limits: ImportLimits, progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Every row of the file, or none: checked in full first (PastedRowsRejected names each bad cell), then
    inserted in chunks within one transaction. `progress(rows)` is told the rows read so far (a job shows it)."""
    if actor.body_id is not None:
        body_batch(session, batch_id=batch_id, actor=actor)  # another body's batch: not found
    batch = get_batch(session, batch_id, for_update=True)  # the regulator's change is refused just below
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)
    require_editable(batch)
    level = batch_level(session, batch)
    existing = {(t, n) for t, n in session.exec(select(col(Candidate.id_type), col(Candidate.id_number))
                                                .where(Candidate.batch_id == batch_id))}

    read = read_rows(filename, stream, limits)
    if progress is not None:
        read = _counted(read, progress)
    checked = _Checked(level.component_kinds)
    for row in checked_rows(read, level, existing=existing, max_rows=limits.max_rows,
                            max_errors=limits.max_errors, check_header=True):
        checked.add(row)  # PastedRowsRejected at the end of the rows, before anything is written
    del existing, read
    rows = checked.rows()
    added = passed = 0
    while chunk := [_values(pk(batch), level, row) for row in islice(rows, INSERT_CHUNK)]:
        session.execute(insert(Candidate), chunk)
        added += len(chunk)
        passed += sum(values["passed"] for values in chunk)
    record_event(session, actor=actor, action="batch.candidates-added", object_type="batch", object_id=batch_id,
                 now=now, after={"count": added, "passed": passed, "source": "file"})
    session.commit()
    return ImportResult(added=added, passed=passed)


def _values(batch_id: int, level: standards.Level, row: CandidateInput) -> dict[str, Any]:
    scores = {kind: value for kind, value in row.scores.items() if value is not None}
    return {"batch_id": batch_id, "name": row.name, "id_type": row.id_type, "id_number": row.id_number,
            "scores": scores, "passed": standards.evaluate(level, scores).passed}


class _Checked:
    """The rows that passed the checks, kept as UTF-8 CSV text until the whole file is known to be good: some
    50 bytes a candidate, where a list of CandidateInput objects took about 400 (and the garbage collector's
    time) and reading and checking the file a second time would double the import's time."""

    def __init__(self, kinds: Sequence[str]) -> None:
        self._kinds = tuple(kinds)
        self._buffer = io.BytesIO()
        self._writer = csv.writer(self)

    def write(self, text: str) -> None:  # for csv.writer
        self._buffer.write(text.encode())

    def add(self, row: CandidateInput) -> None:
        self._writer.writerow([row.name, row.id_type, row.id_number, *(row.scores.get(k) for k in self._kinds)])

    def rows(self) -> Iterator[CandidateInput]:
        self._buffer.seek(0)
        text = io.TextIOWrapper(self._buffer, encoding="utf-8", newline="")
        for name, id_type, id_number, *scores in csv.reader(text):
            yield CandidateInput(name=name, id_type=id_type, id_number=id_number,
                                 scores={kind: int(score) if score else None
                                         for kind, score in zip(self._kinds, scores, strict=True)})


def _counted(rows: Iterator[tuple[int, list[str]]], progress: Callable[[int], None],
             every: int = 1000) -> Iterator[tuple[int, list[str]]]:
    count = 0
    for row in rows:
        yield row
        count += 1
        if count % every == 0:
            progress(count)
    progress(count)


def estimated_rows(filename: str, data: bytes) -> int:
    """About how many candidate rows a file holds, without reading it (a background job's progress total):
    a CSV's line breaks, or an XLSX's <row> elements; the header row not counted. 0 when it cannot tell."""
    if not data.startswith(_ZIP_MAGIC):
        return max(0, data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = [i for i in archive.infolist()
                      if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
            return max(0, _xml_rows(archive, sheets[0]) - 1) if sheets else 0
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return 0


# --- reading ----------------------------------------------------------------------------------------------


def require_file_size(size: int, limits: ImportLimits) -> None:
    """The file itself: not empty, not over the limit (also before a large file is handed to a job)."""
    if size > limits.max_bytes:
        raise FileRefused("file-too-large", f"文件超过 {upload_size(limits.max_bytes)} 的上限。",
                          f"The file is larger than the {upload_size(limits.max_bytes)} limit.")
    if size == 0:
        raise FileRefused("file-empty", "文件是空的。", "The file is empty.")


def read_rows(filename: str, stream: IO[bytes], limits: ImportLimits) -> Iterator[tuple[int, list[str]]]:
    """(row number, stripped cells) for every non-blank row; the file's kind from its name and its bytes."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    require_file_size(size, limits)
    magic = stream.read(4)
    stream.seek(0)
    name = filename.lower()
    if name.endswith(".xls"):
        raise FileRefused("file-type", "不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV。",
                          "Old .xls files are not supported: save as .xlsx or CSV.")
    if name.endswith(_XLSX_NAMES) or magic == _ZIP_MAGIC:
        if magic != _ZIP_MAGIC:
            raise FileRefused("file-not-xlsx", "该文件不是 Excel（.xlsx）工作簿：内容不是 ZIP 格式。",
                              "The file is not an Excel (.xlsx) workbook: its content is not a ZIP archive.")
        return _xlsx_rows(stream, limits)
    return _csv_rows(stream, limits)


def _limit_columns(line: int, cells: list[str], max_columns: int) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > max_columns:
        raise FileRefused("too-many-columns", f"第 {line} 行超过 {max_columns} 列。",
                          f"Row {line} has more than {max_columns} columns.")
    return cells


def _too_many_rows(max_rows: int) -> FileRefused:
    return FileRefused("too-many-rows", f"文件超过 {max_rows} 行考生，请分批导入。",
                       f"The file has more than {max_rows} candidate rows: import it in parts.")


def _csv_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes so, else GB18030 (Chinese Excel's CSV)."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        stream.seek(0)
        try:
            while chunk := stream.read(1 << 16):
                if b"\x00" in chunk:
                    raise FileRefused("file-not-csv", "该文件不是 CSV 文本（含二进制内容），请上传 .xlsx 或 CSV 文件。",
                                      "The file is not CSV text (it has binary content): upload .xlsx or CSV.")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    raise FileRefused("file-not-csv", "该文件不是 CSV 文本（既不是 UTF-8 也不是 GB18030 编码）。",
                      "The file is not CSV text (neither UTF-8 nor GB18030 encoded).")


def _csv_rows(stream: IO[bytes], limits: ImportLimits) -> Iterator[tuple[int, list[str]]]:
    encoding = _csv_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        sample = text.read(4096)
        text.seek(0)
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        count = 0
        for record in csv.reader(text, delimiter=delimiter):  # a cheap first pass: refuse a huge file early
            if any(cell.strip() for cell in record):
                count += 1
                if count > limits.max_rows + 1:  # one header row allowed
                    raise _too_many_rows(limits.max_rows)
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        for record in reader:
            cells = _limit_columns(reader.line_num, [cell.strip() for cell in record], limits.max_columns)
            if cells:
                yield reader.line_num, cells
    except csv.Error as err:
        raise FileRefused("file-not-csv", f"CSV 格式错误：{err}", f"Malformed CSV: {err}") from err
    finally:
        text.detach()


def _check_zip(stream: IO[bytes], limits: ImportLimits) -> None:
    size = stream.seek(0, io.SEEK_END)
    try:
        archive = open_archive(stream)
    except ArchiveRefused as err:
        raise FileRefused("file-not-xlsx", "该文件不是有效的 Excel（.xlsx）工作簿（ZIP 结构损坏）。",
                          "The file is not a valid Excel (.xlsx) workbook (broken ZIP structure).") from err
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise FileRefused("file-not-xlsx", "该文件不是 Excel（.xlsx）工作簿。",
                              "The file is not an Excel (.xlsx) workbook.")
        _check_parts(archive, size, limits)
        for info in infos:
            if info.filename.startswith("xl/externalLinks/"):
                raise FileRefused("xlsx-external-link",
                                  "工作簿含有外部链接，请删除链接（或复制后“粘贴为数值”）再上传。",
                                  "The workbook has external links: remove them (or paste as values) and upload again.")
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")):
                with archive.open(info) as part:
                    head = part.read(XML_HEAD_BYTES)
                if _has_dtd(head):
                    raise FileRefused("xlsx-dtd", f"工作簿的 {info.filename} 含有 DTD 或实体声明，拒绝处理。",
                                      f"The workbook part {info.filename} declares a DTD or entities: refused.")
        for info in infos:
            sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            if sheet and _xml_rows(archive, info) > limits.max_rows + 1:  # one header row allowed
                raise _too_many_rows(limits.max_rows)


def _check_parts(archive: zipfile.ZipFile, size: int, limits: ImportLimits) -> None:
    """The rules every uploaded ZIP is held to (services/zip_safety.py), refused in a workbook's words."""
    zip_limits = ZipLimits(max_entries=limits.max_zip_entries, max_total_bytes=limits.max_unzipped_bytes,
                           max_entry_bytes=limits.max_unzipped_bytes, max_ratio=limits.max_ratio,
                           ratio_floor=limits.ratio_floor)
    try:
        check_archive(archive, size=size, limits=zip_limits)
    except ArchiveRefused as err:
        if err.reason in BOMB_RULES:
            raise _bomb() from err
        raise FileRefused("file-not-xlsx", f"该文件不是有效的 Excel（.xlsx）工作簿：{err.message_zh}",
                          f"The file is not a valid Excel (.xlsx) workbook: {err.message_en}") from err


def _has_dtd(head: bytes) -> bool:
    if _DTD.search(head):
        return True
    for encoding in ("utf-16-le", "utf-16-be"):  # an XML part may be UTF-16
        text = head[: len(head) // 2 * 2].decode(encoding, errors="ignore")
        if re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE):
            return True
    return False


def _bomb() -> FileRefused:
    return FileRefused("xlsx-too-large-unzipped", "工作簿解压后过大或压缩比异常（疑似压缩炸弹），拒绝处理。",
                       "The workbook is too large once unzipped, or compressed implausibly well (a zip bomb): "
                       "refused.")


def _xlsx_rows(stream: IO[bytes], limits: ImportLimits) -> Iterator[tuple[int, list[str]]]:
    _check_zip(stream, limits)
    stream.seek(0)
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True, keep_links=False)
    except Exception as err:  # noqa: BLE001  (any parse failure: the file is not a readable workbook)
        raise FileRefused("file-not-xlsx", "无法读取该 Excel 工作簿。", "The Excel workbook cannot be read.") from err
    return _sheet_rows(book, limits)


def _sheet_rows(book: Any, limits: ImportLimits) -> Iterator[tuple[int, list[str]]]:
    try:
        sheet = book.worksheets[0]
        if (sheet.max_column or 0) > limits.max_columns:
            raise FileRefused("too-many-columns", f"工作表超过 {limits.max_columns} 列。",
                              f"The sheet has more than {limits.max_columns} columns.")
        if (sheet.max_row or 0) > limits.max_rows + 1:
            raise _too_many_rows(limits.max_rows)
        count = 0
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = _limit_columns(line, [_text(value) for value in values], limits.max_columns)
            if cells:
                count += 1
                if count > limits.max_rows + 1:
                    raise _too_many_rows(limits.max_rows)
                yield line, cells
    finally:
        book.close()


def _xml_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """A sheet's non-empty <row> elements, counted in the raw XML without parsing it (an upper bound of the
    rows with content: a row of formatted empty cells counts too). Before openpyxl opens the workbook, which
    reads a whole sheet lacking a <dimension> just to size it."""
    count, tail = 0, b""
    with archive.open(info) as source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            matches = list(_ROW.finditer(data))
            cut = max(len(data) - 256, matches[-1].end() if matches else 0)  # a row tag split between chunks
            count += sum(1 for m in matches if m.end() <= cut)
            tail = data[cut:]
    return count + len(_ROW.findall(tail))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


# --- writing: the template and the error report ---------------------------------------------------------

_EXAMPLE = {"name": "张伟", "id_type": ID_TYPES["resident"][0], "id_number": "11010519491231002X"}
_EXAMPLE_SCORES = (85, 78, 80)


def template_xlsx(level: standards.Level, limits: ImportLimits) -> bytes:
    """The level's columns with Chinese headers and one example row, and a sheet 填写说明 on each column."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("考生名单")
    heads = columns(level)
    for index in range(len(heads)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 22 if index == 2 else 14
    sheet.append([zh for zh, _ in heads])
    id_cell = WriteOnlyCell(sheet, value=_EXAMPLE["id_number"])
    id_cell.number_format = "@"  # text: an 18-digit number would lose its last digits
    sheet.append([_EXAMPLE["name"], _EXAMPLE["id_type"], id_cell,
                  *(_EXAMPLE_SCORES[i % len(_EXAMPLE_SCORES)] for i in range(len(level.component_kinds)))])
    guide = book.create_sheet("填写说明")
    for letter, width in zip("ABCDE", (16, 44, 44, 22, 10), strict=True):
        guide.column_dimensions[letter].width = width
    guide.append(["列名", "填写内容", "格式", "示例", "必填"])
    id_types = "、".join(zh for zh, _ in ID_TYPES.values())
    guide.append(["姓名", "考生姓名，与证件一致", "中文或外文姓名，不超过证书可打印的字符", _EXAMPLE["name"], "是"])
    guide.append(["证件类型", "考生的证件类型", f"填写其一：{id_types}（也可写“身份证”）", _EXAMPLE["id_type"], "是"])
    guide.append(["证件号码", "证件上的号码", "设为文本格式，避免 Excel 把 18 位号码变成科学计数；末位 X 大写",
                  _EXAMPLE["id_number"], "是"])
    for index, kind in enumerate(level.component_kinds):
        zh, _ = standards.COMPONENT_KINDS[kind]
        guide.append([zh, f"{zh}成绩（满分 100，60 分及以上合格）", "0 到 100 的整数",
                      str(_EXAMPLE_SCORES[index % len(_EXAMPLE_SCORES)]), "否（未考留空）"])
    guide.append([])
    guide.append(["说明", "第一行为表头，请勿修改或调整列的顺序；从第二行起每行一名考生，示例行请替换为实际考生。"])
    guide.append(["说明", f"每个文件最多 {limits.max_rows} 行；"
                          "任一单元格有误时整个文件不会录入，错误报告会指出行和列。"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def errors_xlsx(errors: Sequence[CellError], lang: str = "zh", omitted: int = 0) -> bytes:
    """The refused cells, one per row, in the reader's language; every text cell made safe against formulas."""
    english = lang.startswith("en")
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Errors" if english else "错误")
    sheet.append(["Row", "Column", "Column name", "Problem"] if english else ["行", "列", "列名", "问题"])
    for error in errors:
        sheet.append([error.line, error.column,
                      safe_cell(error.column_en if english else error.column_zh),
                      safe_cell(error.message_en if english else error.message_zh)])
    if omitted:
        sheet.append([safe_cell(f"… {omitted} more error(s) not listed" if english
                                else f"…… 另有 {omitted} 处错误未列出")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
