"""The regulator's register of assessment batches across every body: a filtered list with counts, and one batch's
file with its candidates, ID numbers masked.

Read-only. The counts are grouped subqueries joined to the page's rows, so a page costs two queries, whatever its
length.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

import standards
from certificates import mask_id
from registry.models import Batch, Body, Candidate, Certificate, PublishedStandard, User
from registry.models.batch import BATCH_STATUSES
from registry.services.actors import Actor, require_regulator
from registry.services.batches import get_batch
from registry.services.bodies import get_body
from registry.services.standards import as_version, get_published, occupation_names

PAGE_SIZE = 50

_PASSED = func.sum(case((col(Candidate.passed).is_(True), 1), else_=0))


@dataclass(frozen=True)
class BatchSearch:
    """What the regulator narrows the register by; an empty field does not narrow it."""

    body_id: int | None = None
    status: str = ""  # one of BATCH_STATUSES; anything else is ignored
    standard_code: str = ""  # an occupation code, every version of its standard
    assessed_from: date | None = None
    assessed_to: date | None = None  # inclusive


@dataclass(frozen=True)
class BatchRow:
    batch_id: int
    body_id: int
    body_name: str
    standard_code: str
    standard_version: int
    occupation_name: str
    occupation_name_en: str
    level: int
    work_type: str | None
    assessed_on: date
    status: str
    candidates: int
    passed: int
    certificates: int  # candidates certified: a reissued certificate does not count twice


@dataclass(frozen=True)
class BatchListing:
    batches: list[BatchRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def find_batches(
    session: Session, search: BatchSearch, *, actor: Actor, page: int = 1, per_page: int = PAGE_SIZE
) -> BatchListing:
    """Every body's batches matching `search`, the latest assessment first."""
    require_regulator(actor)
    return batch_rows(session, search, page=page, per_page=per_page)


def batch_rows(session: Session, search: BatchSearch, *, page: int = 1, per_page: int = PAGE_SIZE,
               batch_id: int | None = None) -> BatchListing:
    """Batches matching `search` (and only `batch_id` when given) with their counts, the latest assessment first.

    No permission check: callers decide whose batches `search` may name.
    """
    conditions = [] if batch_id is None else [col(Batch.id) == batch_id]
    if search.body_id is not None:
        conditions.append(col(Batch.body_id) == search.body_id)
    if search.status in BATCH_STATUSES:
        conditions.append(col(Batch.status) == search.status)
    if search.standard_code:
        conditions.append(col(PublishedStandard.code) == search.standard_code)
    if search.assessed_from is not None:
        conditions.append(col(Batch.assessed_on) >= search.assessed_from)
    if search.assessed_to is not None:
        conditions.append(col(Batch.assessed_on) <= search.assessed_to)
    total = session.exec(
        select(func.count()).select_from(Batch)
        .join(PublishedStandard, col(PublishedStandard.id) == col(Batch.standard_id)).where(*conditions)
    ).one()
    page = max(page, 1)
    per_candidates = (
        select(col(Candidate.batch_id).label("batch_id"), func.count(col(Candidate.id)).label("candidates"),
               _PASSED.label("passed"))
        .group_by(col(Candidate.batch_id)).subquery()
    )
    per_certificates = (
        select(col(Certificate.batch_id).label("batch_id"),
               func.count(func.distinct(col(Certificate.candidate_id))).label("certificates"))
        .group_by(col(Certificate.batch_id)).subquery()
    )
    query = (
        select_columns(col(Batch.id), col(Batch.body_id), col(Body.name), col(PublishedStandard.code),
                       col(PublishedStandard.version), col(PublishedStandard.name), col(PublishedStandard.name_en),
                       col(Batch.level), col(Batch.work_type), col(Batch.assessed_on), col(Batch.status),
                       func.coalesce(per_candidates.c.candidates, 0), func.coalesce(per_candidates.c.passed, 0),
                       func.coalesce(per_certificates.c.certificates, 0))
        .select_from(Batch)
        .join(Body, col(Body.id) == col(Batch.body_id))
        .join(PublishedStandard, col(PublishedStandard.id) == col(Batch.standard_id))
        .outerjoin(per_candidates, per_candidates.c.batch_id == col(Batch.id))
        .outerjoin(per_certificates, per_certificates.c.batch_id == col(Batch.id))
        .where(*conditions)
        .order_by(col(Batch.assessed_on).desc(), col(Batch.id).desc())
        .offset((page - 1) * per_page).limit(per_page)
    )
    rows = [BatchRow(batch_id, body_id, body_name, code, version, name, name_en, level, work_type, assessed_on,
                     status, int(candidates), int(passed), int(certificates))
            for (batch_id, body_id, body_name, code, version, name, name_en, level, work_type, assessed_on, status,
                 candidates, passed, certificates) in session.execute(query)]
    return BatchListing(rows, total, page, per_page)


@dataclass(frozen=True)
class Occupation:
    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class BatchChoices:
    """The values the register's filters offer: filed bodies and published occupations."""

    bodies: list[tuple[int, str]]  # id, name as filed
    occupations: list[Occupation]


def batch_choices(session: Session, *, actor: Actor) -> BatchChoices:
    require_regulator(actor)
    bodies = [(int(body_id or 0), name) for body_id, name in
              session.exec(select(Body.id, Body.name).order_by(col(Body.name), col(Body.id)))]
    codes = sorted(set(session.exec(select(PublishedStandard.code).distinct())))
    names = occupation_names(session, codes)
    return BatchChoices(bodies, [Occupation(code, *names[code]) for code in codes])


@dataclass(frozen=True)
class CandidateLine:
    """A candidate as the regulator's page shows them: never the full ID number."""

    name: str
    id_type: str
    id_number_masked: str
    scores: dict[str, int]
    passed: bool
    certificates: list[tuple[str, str]]  # number and status, the first issued first


@dataclass(frozen=True)
class BatchFile:
    batch: Batch
    body: Body
    standard: PublishedStandard
    level: standards.Level  # its components are the score columns
    candidates: list[CandidateLine]
    staff: dict[int, str]  # user id -> display name, for who entered, submitted and decided

    @property
    def passed(self) -> int:
        return sum(line.passed for line in self.candidates)

    @property
    def certified(self) -> int:
        return sum(bool(line.certificates) for line in self.candidates)


def batch_file(session: Session, *, batch_id: int, actor: Actor) -> BatchFile:
    """One batch of any body with its candidates and their certificates; NotFound for an unknown id."""
    require_regulator(actor)
    batch = get_batch(session, batch_id)
    body = get_body(session, batch.body_id)
    standard = get_published(session, batch.standard_id)
    numbers: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for candidate_id, number, status in session.exec(
        select(Certificate.candidate_id, Certificate.number, Certificate.status)
        .where(Certificate.batch_id == batch_id).order_by(col(Certificate.id))
    ):
        numbers[candidate_id].append((number, status))
    lines = [
        CandidateLine(c.name, c.id_type, mask_id(c.id_number), dict(c.scores), c.passed, numbers[int(c.id or 0)])
        for c in session.exec(select(Candidate).where(Candidate.batch_id == batch_id).order_by(col(Candidate.id)))
    ]
    people = {user for user in (batch.created_by, batch.submitted_by, batch.decided_by) if user is not None}
    staff = {int(user_id or 0): name for user_id, name in
             session.exec(select(User.id, User.display_name).where(col(User.id).in_(people)))}
    level = as_version(standard).level(batch.level)
    return BatchFile(batch, body, standard, level, lines, staff)
