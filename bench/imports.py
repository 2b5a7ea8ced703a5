"""Spreadsheet import: time and peak memory of `import_spreadsheet` over a large CSV and XLSX, against just
reading the same file in the same process.

    python -m bench.imports [--backend sqlite|postgresql|both] [--rows 100000] [--formats csv,xlsx]
                            [--broken-every 100]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import ctypes
import gc
import io
import re
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import func
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

import standards
from bench.common import (
    NOW,
    PLACE,
    add_backend_argument,
    backends_from,
    file_bench_body,
    fresh_database,
    machine,
    new_vault,
    open_database,
    person_id,
    person_name,
    print_table,
    publish_catalogue,
)
from certificates import ID_TYPES
from registry.models import Candidate, pk
from registry.services.actors import Actor
from registry.services.batches import open_batch
from registry.services.sheets import PastedRowsRejected, columns
from registry.services.spreadsheet_import import ImportLimits, ImportResult, import_spreadsheet

OCCUPATION, VERSION, LEVEL = "6-31-01-03", 2018, 4
ASSESSED_ON = date(2026, 5, 10)
FORMATS = ("csv", "xlsx")
MB = 1_000_000
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def level_of() -> standards.Level:
    version = next(v for v in standards.load_catalogue() if (v.code, v.version) == (OCCUPATION, VERSION))
    return version.level(LEVEL)


# --- the files ----------------------------------------------------------------------------------------------


def sheet_rows(count: int, level: standards.Level, broken_every: int = 0) -> list[list[object]]:
    """The header and `count` candidates with distinct valid resident IDs, written as a body's clerk would (the
    Chinese ID type, scores 55-100, so some fail); with `broken_every`, every n-th ID number has a wrong check
    character."""
    resident = ID_TYPES["resident"][0]
    kinds = len(level.component_kinds)
    rows: list[list[object]] = [[zh for zh, _ in columns(level)]]
    for p in range(count):
        number = person_id(p)
        if broken_every and p % broken_every == broken_every - 1:
            number = number[:-1] + ("1" if number[-1] == "0" else "0")  # the check character is unique
        rows.append([person_name(p), resident, number, *(55 + (p + 7 * k) % 46 for k in range(kinds))])
    return rows


def to_csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # as Excel saves "CSV UTF-8"


def to_xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("考生名单")
    for row in rows:
        cells: list[object] = list(row)
        id_cell = WriteOnlyCell(sheet, value=row[2])
        id_cell.number_format = "@"  # as in the template: the ID number column is text
        cells[2] = id_cell
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- measuring ----------------------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    return int(match.group(1)) if match else 0


def _reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process's RSS (Linux: "5" to /proc/self/clear_refs)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _trim_heap() -> None:
    """Hand the C heap's free memory back to the kernel (glibc's malloc_trim), so that one run's leftovers do not
    hide the next run's RSS growth."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@dataclass(frozen=True)
class Figures:
    seconds: float  # wall time, without tracemalloc
    cpu_seconds: float  # this process's CPU time over the same run (not PostgreSQL's)
    traced_peak: int  # bytes: tracemalloc's peak over a second, identical run
    rss_growth: int | None  # bytes: the process's peak RSS during the timed run less its RSS before (None: unknown)


def measure(prepare: Callable[[], Callable[[], object]]) -> tuple[object, Figures]:
    """Run what `prepare` gives twice (each from a fresh `prepare`, untimed): timed with the RSS peak, then under
    tracemalloc. Returns the first run's outcome."""
    run = prepare()
    gc.collect()
    _trim_heap()
    resettable = _reset_peak_rss()
    rss_before = _status_kb("VmRSS")
    started, cpu_started = time.perf_counter(), time.process_time()
    outcome = run()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    rss_growth = (_status_kb("VmHWM") - rss_before) * 1024 if resettable else None
    del run

    run = prepare()
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcome, Figures(seconds, cpu_seconds, peak, rss_growth)


def read_csv(data: bytes) -> int:
    """The baseline for CSV: csv.reader over the decoded text, every row read once."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    return sum(1 for _ in csv.reader(text))


def read_xlsx(data: bytes) -> int:
    """The baseline for XLSX: openpyxl in read-only mode, every row's values read once."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


BASELINES: dict[str, Callable[[bytes], int]] = {"csv": read_csv, "xlsx": read_xlsx}


# --- one backend --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    fmt: str
    what: str  # "read only", "import", "refused"
    rows: int
    size: int  # bytes
    figures: Figures
    outcome: str


class Importer:
    """A database with the catalogue, the bench's body and its assessor; a fresh draft batch for every import."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        with sessions() as session:
            publish_catalogue(session)
            body, assessor, _supervisor = file_bench_body(
                session, vault=new_vault(), occupations=[OCCUPATION], valid_from=date(2025, 1, 1),
                valid_to=date(2027, 12, 31),
            )
            self.body_id: int = pk(body)
            self.assessor: Actor = assessor
            session.commit()

    def new_batch(self) -> int:
        with self.sessions() as session:
            batch = open_batch(session, body_id=self.body_id, standard_code=OCCUPATION, standard_version=VERSION,
                               level=LEVEL, work_type=None, assessed_on=ASSESSED_ON, place=PLACE,
                               actor=self.assessor, now=NOW)
            return pk(batch)

    def prepare(self, filename: str, data: bytes, batches: list[int]) -> Callable[[], Callable[[], object]]:
        def prepare() -> Callable[[], object]:
            batch_id = self.new_batch()
            batches.append(batch_id)

            def run() -> ImportResult | PastedRowsRejected:
                with self.sessions() as session:
                    try:
                        return import_spreadsheet(session, batch_id=batch_id, filename=filename,
                                                  stream=io.BytesIO(data), actor=self.assessor, now=NOW,
                                                  limits=ImportLimits())
                    except PastedRowsRejected as refused:
                        session.rollback()
                        return refused
            return run
        return prepare

    def stored(self, batch_ids: list[int]) -> list[int]:
        with self.sessions() as session:
            return [session.exec(select(func.count()).select_from(Candidate)
                                 .where(Candidate.batch_id == batch_id)).one() for batch_id in batch_ids]


def run_backend(url: str, files: dict[str, tuple[bytes, bytes]], warm_up: dict[str, bytes], rows: int,
                broken: int) -> list[Case]:
    cases = []
    with open_database(url) as (_engine, sessions):
        importer = Importer(sessions)
        for fmt, (good, bad) in files.items():
            # Untimed: the first import loads the fonts' coverage (names are checked against it), openpyxl's
            # modules and the ORM's compiled statements, once per process.
            BASELINES[fmt](warm_up[fmt])
            importer.prepare(f"warm-up.{fmt}", warm_up[fmt], [])()()
            read, read_figures = measure(lambda fmt=fmt, good=good: lambda: BASELINES[fmt](good))
            cases.append(Case(fmt, "read only", rows, len(good), read_figures, f"{read:,} rows read (header too)"))

            batches: list[int] = []
            result, figures = measure(importer.prepare(f"candidates.{fmt}", good, batches))
            if not isinstance(result, ImportResult) or result.added != rows:
                raise SystemExit(f"{fmt}: the import of {rows:,} valid rows gave {result!r}")
            if importer.stored(batches) != [rows, rows]:
                raise SystemExit(f"{fmt}: batches {batches} hold {importer.stored(batches)} candidates, not {rows}")
            cases.append(Case(fmt, "import", rows, len(good), figures,
                              f"{result.added:,} added ({result.passed:,} passed), stored twice"))

            batches = []
            refused, figures = measure(importer.prepare(f"refused.{fmt}", bad, batches))
            if not isinstance(refused, PastedRowsRejected):
                raise SystemExit(f"{fmt}: the file with {broken:,} broken ID numbers gave {refused!r}")
            total = len(refused.errors) + refused.omitted
            if total != broken or any(e.column != 3 for e in refused.errors) or any(importer.stored(batches)):
                raise SystemExit(f"{fmt}: the refused file gave {total} errors, {importer.stored(batches)} stored")
            cases.append(Case(fmt, "refused", rows, len(bad), figures,
                              f"{len(refused.errors):,} errors listed, {refused.omitted:,} counted, nothing stored"))
    return cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__.splitlines()[0])
    add_backend_argument(parser)
    parser.add_argument("--rows", type=int, default=100_000, help="candidate rows per file (default 100000, the "
                        "default REGISTRY_IMPORT_MAX_ROWS)")
    parser.add_argument("--formats", default="csv,xlsx", help="comma-separated: csv, xlsx (default both)")
    parser.add_argument("--broken-every", type=int, default=100, help="the refused file: every n-th ID number "
                        "broken (default 100)")
    args = parser.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats or set(formats) - set(FORMATS):
        parser.error(f"--formats takes {', '.join(FORMATS)}")
    if not 1 <= args.rows <= ImportLimits().max_rows:
        parser.error(f"--rows must be 1-{ImportLimits().max_rows}")
    if args.broken_every < 1 or args.broken_every > args.rows:
        parser.error("--broken-every must be between 1 and --rows")

    print(f"bench.imports on {machine()}")
    level = level_of()
    started = time.perf_counter()
    good_rows, bad_rows = sheet_rows(args.rows, level), sheet_rows(args.rows, level, args.broken_every)
    writers = {"csv": to_csv, "xlsx": to_xlsx}
    files = {fmt: (writers[fmt](good_rows), writers[fmt](bad_rows)) for fmt in formats}
    warm_up = {fmt: writers[fmt](sheet_rows(100, level)) for fmt in formats}
    del good_rows, bad_rows
    broken = args.rows // args.broken_every
    sizes = ", ".join(f"{fmt} {len(good) / MB:.1f} MB" for fmt, (good, _bad) in files.items())
    print(f"files: {args.rows:,} candidates each ({sizes}), and the same with {broken:,} ID numbers broken; "
          f"made in {time.perf_counter() - started:.1f} s")
    print("timed: import_spreadsheet() whole (locking the batch, reading, checking, inserting, the audit row, the "
          "commit), in a fresh draft batch each time;")
    print("memory: tracemalloc's peak over a second, identical run (Python allocations only; the file's bytes are "
          "allocated before and not counted), and the RSS high-water mark's growth in the timed run")

    table = []
    for backend in backends_from(args.backend):
        with fresh_database(backend) as url:
            cases = run_backend(url, files, warm_up, args.rows, broken)
        baseline = {c.fmt: c.figures for c in cases if c.what == "read only"}
        for case in cases:
            f, base = case.figures, baseline[case.fmt]
            rss = "n/a" if f.rss_growth is None else f"{f.rss_growth / MB:.1f}"
            rss_cell: object = rss if f.rss_growth is None else f.rss_growth / MB
            print(f"{backend:<10} {case.fmt:<4} {case.what:<9}: {f.seconds:7.2f} s (CPU {f.cpu_seconds:.2f} s)  "
                  f"{case.rows / f.seconds:9,.0f} rows/s  {f.seconds / base.seconds:5.1f}x reading's time  |  "
                  f"peak {f.traced_peak / MB:5.1f} MB traced (reading's {base.traced_peak / MB:.1f} MB), "
                  f"RSS +{rss} MB  |  {case.outcome}")
            table.append((backend, case.fmt, case.what, f.seconds, f.cpu_seconds, case.rows / f.seconds,
                          f.seconds / base.seconds, f.traced_peak / MB, rss_cell))
    print()
    print_table(("backend", "file", "run", "seconds", "CPU s", "rows/s", "x reading", "traced peak MB",
                 "RSS growth MB"), table)
    print(f"at the end: {machine()}")


if __name__ == "__main__":
    main()
