"""What a body's console shows: its batches by state, a batch's sheet with each outcome, its certificates a page
at a time, its staff, its scope and key, and the assessments its scope allows.

Staff see only their own body: another body's batch or certificate is answered as not found, so the console
never reveals that it exists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Integer, cast, func, or_, true
from sqlmodel import Session, col, select

import standards
from certificates import fold_id
from registry.errors import NotFound
from registry.models import Batch, Candidate, Certificate, PublishedStandard, User, pk
from registry.models.batch import BATCH_STATUSES
from registry.services.actors import Actor
from registry.services.batches import get_batch
from registry.services.bodies import scope_of
from registry.services.clock import CHINA
from registry.services.issuance import get_certificate
from registry.services.keys import current_key
from registry.services.standards import as_version, get_published

PAGE_SIZE = 50


def body_batch(session: Session, *, batch_id: int, actor: Actor) -> Batch:
    """The batch if it belongs to the actor's body; NotFound otherwise (as if it did not exist)."""
    batch = get_batch(session, batch_id)
    if actor.body_id is None or batch.body_id != actor.body_id:
        raise NotFound("batch-not-found", "未找到该认定批次。", "No such assessment batch.", field="batch_id")
    return batch


def body_certificate(session: Session, *, number: str, actor: Actor) -> Certificate:
    """The certificate if the actor's body issued it; NotFound otherwise (as if it did not exist)."""
    cert = get_certificate(session, number)
    if actor.body_id is None or cert.body_id != actor.body_id:
        raise NotFound("certificate-not-found", f"未找到证书 {number}。", f"No certificate {number}.",
                       field="number")
    return cert


def body_user(session: Session, *, user_id: int, actor: Actor) -> User:
    user = session.get(User, user_id)
    if user is None or actor.body_id is None or user.body_id != actor.body_id:
        raise NotFound("user-not-found", "未找到该账号。", "No such account.", field="user_id")
    return user


@dataclass(frozen=True)
class BatchSummary:
    batch: Batch
    standard_ref: str
    occupation_name: str
    occupation_name_en: str
    candidates: int
    passed: int


def batches_by_status(session: Session, body_id: int) -> dict[str, list[BatchSummary]]:
    """The body's batches under each status (draft, submitted, returned, issued), newest first."""
    counts = {
        batch_id: (total, passed or 0)
        for batch_id, total, passed in session.exec(
            select(Candidate.batch_id, func.count(), func.sum(cast(col(Candidate.passed), Integer)))
            .join(Batch, col(Batch.id) == col(Candidate.batch_id))
            .where(Batch.body_id == body_id)
            .group_by(col(Candidate.batch_id))
        )
    }
    rows = session.exec(
        select(Batch, PublishedStandard)
        .join(PublishedStandard, col(PublishedStandard.id) == col(Batch.standard_id))
        .where(Batch.body_id == body_id)
        .order_by(col(Batch.id).desc())
    )
    grouped: dict[str, list[BatchSummary]] = {status: [] for status in BATCH_STATUSES}
    for batch, standard in rows:
        total, passed = counts.get(pk(batch), (0, 0))
        grouped[batch.status].append(BatchSummary(
            batch=batch, standard_ref=f"{standard.code}@{standard.version}", occupation_name=standard.name,
            occupation_name_en=standard.name_en, candidates=total, passed=passed,
        ))
    return grouped


@dataclass(frozen=True)
class SheetRow:
    candidate: Candidate
    outcome: standards.Outcome


@dataclass(frozen=True)
class BatchSheet:
    """A batch with the standard version and level it is assessed against, and each candidate's outcome."""

    batch: Batch
    standard: PublishedStandard
    level: standards.Level
    rows: list[SheetRow]

    @property
    def editable(self) -> bool:
        return self.batch.status in ("draft", "returned")

    @property
    def passed(self) -> int:
        return sum(row.outcome.passed for row in self.rows)


def batch_level(session: Session, batch: Batch) -> standards.Level:
    return as_version(get_published(session, batch.standard_id)).level(batch.level)


def batch_sheet(session: Session, batch: Batch) -> BatchSheet:
    """Outcomes computed again from the (immutable) standard, so each shows which component failed and why."""
    standard = get_published(session, batch.standard_id)
    level = as_version(standard).level(batch.level)
    candidates = session.exec(select(Candidate).where(Candidate.batch_id == batch.id).order_by(col(Candidate.id)))
    return BatchSheet(batch, standard, level,
                      [SheetRow(c, standards.evaluate(level, c.scores)) for c in candidates])


@dataclass(frozen=True)
class CertificatePage:
    certificates: list[Certificate]
    total: int  # certificates matching the search, on every page
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def body_certificates(
    session: Session, *, body_id: int, query: str = "", page: int = 1, per_page: int = PAGE_SIZE
) -> CertificatePage:
    """The body's certificates, newest first; `query` matches the number, the holder's name or ID number."""
    text = " ".join(query.split())
    match = or_(
        col(Certificate.number).contains(fold_id(text), autoescape=True),
        col(Certificate.id_number).contains(fold_id(text), autoescape=True),
        col(Certificate.holder_name).contains(text, autoescape=True),
    ) if text else true()
    where = (Certificate.body_id == body_id, match)
    total = session.exec(select(func.count()).select_from(Certificate).where(*where)).one()
    page = max(page, 1)
    rows = session.exec(select(Certificate).where(*where).order_by(col(Certificate.id).desc())
                        .offset((page - 1) * per_page).limit(per_page))
    return CertificatePage(list(rows), total, page, per_page)


def staff_of(session: Session, body_id: int) -> list[User]:
    return list(session.exec(select(User).where(User.body_id == body_id).order_by(col(User.id))))


@dataclass(frozen=True)
class KeyStatus:
    """The public facts of the key the body signs with now (never its private half)."""

    key_id: str
    valid_from: date
    valid_to: date
    in_date: bool


def key_status(session: Session, body_id: int, *, now: datetime) -> KeyStatus | None:
    key = current_key(session, body_id)
    if key is None:
        return None
    return KeyStatus(key.key_id, key.not_before.astimezone(CHINA).date(), key.not_after.astimezone(CHINA).date(),
                     key.not_before <= now <= key.not_after)


@dataclass(frozen=True)
class AssessmentOption:
    """One standard version, level and 工种 the body may open a batch for."""

    standard_code: str
    standard_version: int
    level: int
    work_type: str | None
    occupation_name: str
    occupation_name_en: str
    current: bool  # the version in force today

    @property
    def key(self) -> str:
        return f"{self.standard_code}@{self.standard_version}|{self.level}|{self.work_type or ''}"


def assessment_options(session: Session, body_id: int, *, today: date) -> list[AssessmentOption]:
    """Every version, level and 工种 some scope line allows on some day up to today: a version is offered if it was
    in force during the line's period (so a batch assessed before a new version took effect can still be
    recorded); the service checks the exact day when the batch is opened."""
    entries = [e for e in scope_of(session, body_id) if e.withdrawn_at is None and e.valid_from <= today]
    versions: dict[str, list[PublishedStandard]] = defaultdict(list)
    codes = {entry.occupation_code for entry in entries}
    for row in session.exec(select(PublishedStandard).where(col(PublishedStandard.code).in_(codes))):
        versions[row.code].append(row)
    options: dict[str, AssessmentOption] = {}
    for entry in entries:
        rows = sorted(versions[entry.occupation_code], key=lambda r: (r.effective_from, r.version))
        last_day = min(entry.valid_to, today)
        for index, row in enumerate(rows):
            ends = rows[index + 1].effective_from if index + 1 < len(rows) else None
            if row.effective_from > last_day or (ends is not None and ends <= entry.valid_from):
                continue
            current = row.effective_from <= today and (ends is None or ends > today)
            version = as_version(row)
            for digit in entry.levels:
                if digit not in version.level_digits:
                    continue
                level = version.level(digit)
                if level.work_types:
                    work_types: list[str | None] = (
                        [entry.work_type] if entry.work_type in level.work_types
                        else [] if entry.work_type else list(level.work_types)
                    )
                else:
                    work_types = [None] if entry.work_type is None else []
                for work_type in work_types:
                    option = AssessmentOption(row.code, row.version, digit, work_type, row.name, row.name_en,
                                              current)
                    options[option.key] = option
    return sorted(options.values(),
                  key=lambda o: (o.standard_code, not o.current, -o.standard_version, -o.level, o.work_type or ""))
