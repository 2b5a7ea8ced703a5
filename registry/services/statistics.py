"""The regulator's figures: certificates by month, occupation, level, province and body, pass rates, as
aggregate queries (GROUP BY in the database, never rows in Python) and as CSV a spreadsheet opens safely."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, extract, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from certificates import PROVINCES
from registry.models import Batch, Body, Candidate, Certificate, PublishedStandard, Revocation
from registry.services.clock import CHINA
from registry.services.standards import occupation_names


@dataclass(frozen=True)
class Overview:
    bodies_by_status: dict[str, int]  # active / suspended / withdrawn, zero when none
    issued_this_month: int
    revocations: int
    revoked_this_month: int
    batches_awaiting_approval: int


def overview(session: Session, *, today: date) -> Overview:
    """The figures on the regulator's first page; `today` is China's date."""
    first, following = today.replace(day=1), _next_month(today)
    # Revocations carry a time, certificates a date: both counted on China's calendar.
    since = datetime(first.year, first.month, 1, tzinfo=CHINA)
    until = datetime(following.year, following.month, 1, tzinfo=CHINA)
    statuses = dict(session.exec(select(Body.status, func.count()).group_by(Body.status)).all())
    return Overview(
        bodies_by_status={status: statuses.get(status, 0) for status in ("active", "suspended", "withdrawn")},
        issued_this_month=session.exec(
            select(func.count()).select_from(Certificate).where(
                col(Certificate.issued_on) >= first, col(Certificate.issued_on) < following)
        ).one(),
        revocations=session.exec(select(func.count()).select_from(Revocation)).one(),
        revoked_this_month=session.exec(
            select(func.count()).select_from(Revocation).where(
                col(Revocation.revoked_at) >= since, col(Revocation.revoked_at) < until)
        ).one(),
        batches_awaiting_approval=session.exec(
            select(func.count()).select_from(Batch).where(Batch.status == "submitted")
        ).one(),
    )


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True)
class Count:
    """Certificates in one group: all issued (revoked and superseded included) and those valid now."""

    key: str  # month 2026-05, occupation code, level digit, province code, body id
    label: str  # Chinese name where there is one (the web layer translates levels and provinces)
    label_en: str
    issued: int
    valid: int


_VALID = func.sum(case((col(Certificate.status) == "valid", 1), else_=0))


def by_month(session: Session, *, today: date, months: int = 12) -> list[Count]:
    """The last `months` calendar months up to `today`'s, oldest first, months without certificates as 0."""
    keys = _months_back(today, months)
    start = date(int(keys[0][:4]), int(keys[0][5:]), 1)
    year, month = extract("year", col(Certificate.issued_on)), extract("month", col(Certificate.issued_on))
    rows = session.exec(
        select(year, month, func.count(), _VALID)
        .where(col(Certificate.issued_on) >= start, col(Certificate.issued_on) < _next_month(today))
        .group_by(year, month)
    ).all()
    counts = {f"{int(y):04d}-{int(m):02d}": (int(n), int(v or 0)) for y, m, n, v in rows}
    return [Count(key, key, key, *counts.get(key, (0, 0))) for key in keys]


def _months_back(today: date, months: int) -> list[str]:
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def by_occupation(session: Session) -> list[Count]:
    rows = session.exec(
        select(Certificate.occupation_code, func.count(), _VALID).group_by(col(Certificate.occupation_code))
    ).all()
    names = occupation_names(session, {code for code, _, _ in rows})
    counts = [Count(code, *_names(names, code), int(n), int(v or 0)) for code, n, v in rows]
    return sorted(counts, key=lambda c: (-c.issued, c.key))


def _names(names: dict[str, tuple[str, str]], code: str) -> tuple[str, str]:
    return names.get(code, (code, code))


def by_level(session: Session) -> list[Count]:
    """Lowest level (五级) first, as the standards list them."""
    rows = session.exec(select(Certificate.level, func.count(), _VALID).group_by(col(Certificate.level))).all()
    return sorted((Count(str(d), str(d), str(d), int(n), int(v or 0)) for d, n, v in rows),
                  key=lambda c: -int(c.key))


def by_province(session: Session) -> list[Count]:
    """By the issuing body's province, read from the number prefix (positions 6-7) without a join."""
    province = func.substr(Certificate.prefix, 6, 2)
    rows = session.exec(select(province, func.count(), _VALID).group_by(province)).all()
    counts = [Count(code, *_names(PROVINCES, code), int(n), int(v or 0)) for code, n, v in rows]
    return sorted(counts, key=lambda c: (-c.issued, c.key))


def by_body(session: Session) -> list[Count]:
    per_body = (
        select(col(Certificate.body_id).label("body_id"), func.count().label("issued"), _VALID.label("valid"))
        .group_by(col(Certificate.body_id)).subquery()
    )
    rows = session.exec(
        select(Body.id, Body.name, per_body.c.issued, per_body.c.valid).join(per_body, per_body.c.body_id == Body.id)
    ).all()
    counts = [Count(str(body_id), name, name, int(n), int(v or 0)) for body_id, name, n, v in rows]
    return sorted(counts, key=lambda c: (-c.issued, int(c.key)))


@dataclass(frozen=True)
class PassRate:
    """Candidates of issued batches in one group, and how many passed every component."""

    key: str  # body id, or standard code@version
    label: str
    label_en: str
    candidates: int
    passed: int

    @property
    def rate(self) -> float | None:
        """Share passed, 0 to 1; None without candidates."""
        return self.passed / self.candidates if self.candidates else None


_PASSED = func.sum(case((col(Candidate.passed).is_(True), 1), else_=0))


def pass_rates_by_body(session: Session) -> list[PassRate]:
    per_body = (
        select(col(Batch.body_id).label("body_id"), func.count(col(Candidate.id)).label("candidates"),
               _PASSED.label("passed"))
        .join(Batch, col(Batch.id) == Candidate.batch_id).where(Batch.status == "issued")
        .group_by(col(Batch.body_id)).subquery()
    )
    rows = session.exec(
        select(Body.id, Body.name, per_body.c.candidates, per_body.c.passed)
        .join(per_body, per_body.c.body_id == Body.id)
    ).all()
    rates = [PassRate(str(body_id), name, name, int(n), int(p or 0)) for body_id, name, n, p in rows]
    return sorted(rates, key=lambda r: (-r.candidates, int(r.key)))


def pass_rates_by_standard(session: Session) -> list[PassRate]:
    per_standard = (
        select(col(Batch.standard_id).label("standard_id"), func.count(col(Candidate.id)).label("candidates"),
               _PASSED.label("passed"))
        .join(Batch, col(Batch.id) == Candidate.batch_id).where(Batch.status == "issued")
        .group_by(col(Batch.standard_id)).subquery()
    )
    rows = session.execute(
        select_columns(col(PublishedStandard.code), col(PublishedStandard.version), col(PublishedStandard.name),
                       col(PublishedStandard.name_en), per_standard.c.candidates, per_standard.c.passed)
        .join(per_standard, per_standard.c.standard_id == PublishedStandard.id)
    ).all()
    rates = [PassRate(f"{code}@{version}", f"{name}（{version}年版）", f"{name_en} ({version})", int(n), int(p or 0))
             for code, version, name, name_en, n, p in rows]
    return sorted(rates, key=lambda r: (-r.candidates, r.key))


# --- CSV ----------------------------------------------------------------------------------------------------

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell as text a spreadsheet shows and never evaluates: a formula-like start gets a leading apostrophe.

    Numbers are written as numbers (a negative count would be a number, not a formula).
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads Chinese correctly), CRLF line ends, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")
