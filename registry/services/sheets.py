"""Candidates pasted from a spreadsheet: one row each of 姓名, 证件类型, 证件号码 and the level's scores, every cell
checked before anything is written, every problem named by its row and column."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Set
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

import standards
from certificates import ID_TYPES, FieldError, normalize_id, validate_name
from certificates.payload import require_printable
from registry.errors import InvalidInput
from registry.models import Candidate
from registry.services.actors import Actor, require_body_role
from registry.services.batches import ENTRY_ROLES, CandidateInput, add_candidates, candidates_of, check_scores
from registry.services.registers import batch_level, body_batch

MAX_ROWS = 500
_Report = Callable[[int, int, str, str], None]  # (line, column, zh, en)
_HEADER_FIRST_CELLS = {"姓名", "考生姓名", "name"}
_SCORE = re.compile(r"\d{1,3}")
# 证件类型 as a spreadsheet may write it: the code, the Chinese or English name, or the everyday 身份证.
_ID_TYPE_NAMES = {
    **{code: code for code in ID_TYPES},
    **{zh: code for code, (zh, _) in ID_TYPES.items()},
    **{en.casefold(): code for code, (_, en) in ID_TYPES.items()},
    "身份证": "resident",
}


@dataclass(frozen=True)
class CellError:
    """One problem in the pasted text: line as numbered in the text box (a header line counts), column from 1."""

    line: int
    column: int
    column_zh: str
    column_en: str
    message_zh: str
    message_en: str

    def message(self, lang: str = "zh") -> str:
        if lang.startswith("en"):
            return f"Row {self.line}, column {self.column} ({self.column_en}): {self.message_en}"
        return f"第 {self.line} 行第 {self.column} 列（{self.column_zh}）：{self.message_zh}"


class PastedRowsRejected(InvalidInput):
    """The pasted rows were refused as a whole; `errors` names every bad cell (the first `max_errors` of them
    when a limit was given, `omitted` counts the rest)."""

    def __init__(self, errors: list[CellError], omitted: int = 0) -> None:
        total = len(errors) + omitted
        super().__init__(
            "pasted-rows-invalid",
            f"粘贴的内容有 {total} 处错误，未录入任何考生。请改正后重新提交。",
            f"The pasted rows have {total} error(s); no candidate was added. Correct them and submit again.",
            field="rows",
        )
        self.errors = errors
        self.omitted = omitted


def columns(level: standards.Level) -> list[tuple[str, str]]:
    """The expected columns in order, in Chinese and English."""
    return [("姓名", "Name"), ("证件类型", "ID type"), ("证件号码", "ID number"),
            *(standards.COMPONENT_KINDS[kind] for kind in level.component_kinds)]


def parse_rows(
    text: str, level: standards.Level, *, existing: Set[tuple[str, str]] = frozenset()
) -> list[CandidateInput]:
    """Rows separated by tabs (as copied from a spreadsheet) or commas; a first line starting with 姓名 is a
    header. Raises PastedRowsRejected naming every bad cell; an ID already in the batch (`existing`) is one."""
    return check_rows(_text_rows(text), level, existing=existing)


def _text_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            yield line, _cells(raw)


def check_rows(
    rows: Iterable[tuple[int, list[str]]],
    level: standards.Level,
    *,
    existing: Set[tuple[str, str]] = frozenset(),
    max_rows: int = MAX_ROWS,
    max_errors: int | None = None,
    check_header: bool = False,
) -> list[CandidateInput]:
    """Every row checked (checked_rows), then PastedRowsRejected if any cell was bad, else the candidates."""
    return list(checked_rows(rows, level, existing=existing, max_rows=max_rows, max_errors=max_errors,
                             check_header=check_header))


def checked_rows(
    rows: Iterable[tuple[int, list[str]]],
    level: standards.Level,
    *,
    existing: Set[tuple[str, str]] = frozenset(),
    max_rows: int = MAX_ROWS,
    max_errors: int | None = None,
    check_header: bool = False,
) -> Iterator[CandidateInput]:
    """The one row-checking path of pasted text and uploaded files: (line, stripped cells) pairs, blank rows
    already left out, a first row starting with 姓名 a header (with `check_header`, its cells must name the
    expected columns). Yields each good row as it comes; every bad cell is collected, the first `max_errors`
    kept and the rest counted, and once the rows are exhausted PastedRowsRejected is raised if there were any
    (InvalidInput if there was no candidate row). So what was yielded may be written only after the end.
    Across rows only the ID numbers seen (with their row, for the duplicate's message) and the errors are kept."""
    heads = columns(level)
    kinds = level.component_kinds
    errors: list[CellError] = []
    omitted = 0
    # "id_type:id_number" (no ID type code has a colon): 15 MB for 100,000 rows where tuples took 21 MB
    seen: dict[str, int] = {}

    def error(line: int, column: int, zh: str, en: str) -> None:
        nonlocal omitted
        if max_errors is not None and len(errors) >= max_errors:
            omitted += 1
            return
        head_zh, head_en = heads[column - 1] if column <= len(heads) else ("多余的列", "extra column")
        errors.append(CellError(line, column, head_zh, head_en, zh, en))

    first, count, good = True, 0, 0
    for line, cells in rows:
        cells = cells or [""]
        if first and unicodedata.normalize("NFKC", cells[0]).casefold() in _HEADER_FIRST_CELLS:
            first = False
            if check_header:
                _check_header(cells, line, heads, error)
            continue
        first, count = False, count + 1
        if count > max_rows:
            error(line, 1, f"一次最多录入 {max_rows} 行，请分批录入。",
                  f"At most {max_rows} rows can be added at once: add them in parts.")
            break
        row = _row(cells, line, level, kinds, error)
        if row is None:
            continue
        key = f"{row.id_type}:{row.id_number}"
        if (row.id_type, row.id_number) in existing:
            error(line, 3, "该证件号码已在本批次中。", "This ID number is already in the batch.")
        elif key in seen:
            error(line, 3, f"与第 {seen[key]} 行的证件号码重复。", f"Same ID number as row {seen[key]}.")
        else:
            seen[key] = line
            good += 1
            yield row
    if errors:
        raise PastedRowsRejected(errors, omitted)
    if not good:
        raise InvalidInput("pasted-rows-empty", "没有可录入的考生行。", "There are no candidate rows to add.",
                           field="rows")


def _check_header(cells: list[str], line: int, heads: list[tuple[str, str]], error: _Report) -> None:
    """A header must name the level's columns in order (in Chinese or English): a swapped pair of score
    columns would otherwise record every score under the wrong component."""
    for column, (zh, en) in enumerate(heads, start=1):
        cell = unicodedata.normalize("NFKC", cells[column - 1]).strip() if column <= len(cells) else ""
        if cell.casefold() not in {zh.casefold(), en.casefold()} and not (column == 1 and cell.casefold()
                                                                           in _HEADER_FIRST_CELLS):
            error(line, column, f"表头应为“{zh}”，收到“{cell}”（列的顺序须与模板一致）。",
                  f"The header should be '{en}', got '{cell}' (columns must be in the template's order).")


def _cells(raw: str) -> list[str]:
    if "\t" in raw:
        delimiter = "\t"
    else:
        delimiter, raw = ",", raw.replace("，", ",")
    return [cell.strip() for cell in next(csv.reader([raw], delimiter=delimiter))] or [""]


def _row(cells: list[str], line: int, level: standards.Level, kinds: tuple[str, ...], error: _Report
         ) -> CandidateInput | None:
    problems = 0

    def bad(column: int, zh: str, en: str) -> None:
        nonlocal problems
        problems += 1
        error(line, column, zh, en)

    width = 3 + len(kinds)
    for column in range(width + 1, len(cells) + 1):
        if cells[column - 1]:
            bad(column, f"本等级只有 {width} 列（姓名、证件类型、证件号码和各项成绩）。",
                f"This level has {width} columns (name, ID type, ID number and one score each).")
            break
    cells = cells + [""] * (width - len(cells))
    name = id_number = ""
    try:
        name = validate_name(cells[0])
        require_printable(name=name)
    except FieldError as err:
        bad(1, err.message_zh, err.message_en)
    id_type = _ID_TYPE_NAMES.get(unicodedata.normalize("NFKC", cells[1]).strip().casefold())
    if id_type is None:
        known = "、".join(zh for zh, _ in ID_TYPES.values())
        bad(2, f"未知的证件类型“{cells[1]}”（可填：{known}）。",
            f"Unknown ID type '{cells[1]}' (use one of: {', '.join(en for _, en in ID_TYPES.values())}).")
    else:
        try:
            id_number = normalize_id(id_type, cells[2])
        except FieldError as err:
            bad(3, err.message_zh, err.message_en)
    scores: dict[str, int | None] = {}
    for offset, kind in enumerate(kinds):
        column, cell = 4 + offset, unicodedata.normalize("NFKC", cells[3 + offset]).strip()
        if not cell:
            scores[kind] = None
            continue
        zh, en = standards.COMPONENT_KINDS[kind]
        if not _SCORE.fullmatch(cell):
            bad(column, f"{zh}成绩必须是 0 到 100 的整数，收到“{cell}”。",
                f"{en} score must be a whole number 0-100, got '{cell}'.")
            continue
        try:
            scores.update(check_scores(level, {kind: int(cell)}))
        except InvalidInput as err:
            bad(column, err.message_zh, err.message_en)
    if problems or id_type is None:
        return None
    return CandidateInput(name=name, id_type=id_type, id_number=id_number, scores=scores)


def add_pasted_candidates(session: Session, *, batch_id: int, text: str, actor: Actor, now: datetime
                          ) -> list[Candidate]:
    """All the pasted rows, or none: every cell is checked first, then the rows are added in one transaction."""
    batch = body_batch(session, batch_id=batch_id, actor=actor)
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)
    existing = {(c.id_type, c.id_number) for c in candidates_of(session, batch_id)}
    rows = parse_rows(text, batch_level(session, batch), existing=existing)
    return add_candidates(session, batch_id=batch_id, candidates=rows, actor=actor, now=now)
