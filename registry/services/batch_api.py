"""What the batches API reads: the batches an actor may see (a body's own, or every body's for the regulator),
one batch with its counts and the people who acted on it, and candidates with their computed outcomes.

A body's staff asking for another body's batch or candidate get NotFound, as if it did not exist; the regulator
reads every body's batches (the services refuse the regulator any change).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

import standards
from registry.errors import Forbidden, NotFound
from registry.models import Batch, Candidate, User, pk
from registry.services.actors import Actor, require_regulator
from registry.services.batch_register import BatchListing, BatchRow, BatchSearch, batch_rows, find_batches
from registry.services.batches import get_batch
from registry.services.registers import batch_level, batch_sheet, body_batch

_PASSED = func.sum(case((col(Candidate.passed).is_(True), 1), else_=0))


def readable_batch(session: Session, *, batch_id: int, actor: Actor) -> Batch:
    """The batch if the actor may see it: their own body's, or any for the regulator; NotFound otherwise."""
    if actor.body_id is None:
        require_regulator(actor)
        return get_batch(session, batch_id)
    return body_batch(session, batch_id=batch_id, actor=actor)


def batch_candidate(session: Session, *, batch_id: int, candidate_id: int, actor: Actor) -> tuple[Batch, Candidate]:
    """A readable batch and one of its candidates; a candidate of any other batch is not found."""
    batch = readable_batch(session, batch_id=batch_id, actor=actor)
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.batch_id != batch.id:
        raise NotFound("candidate-not-found", "未找到该考生。", "No such candidate.", field="candidate_id")
    return batch, candidate


def own_body_id(actor: Actor) -> int:
    """The body a batch is opened for: always the caller's own (the regulator has none)."""
    if actor.body_id is None:
        raise Forbidden("body-staff-only", "只有评价机构人员可以开启认定批次。",
                        "Only an evaluation body's staff may open an assessment batch.", field="actor")
    return actor.body_id


def batch_listing(
    session: Session, search: BatchSearch, *, actor: Actor, page: int, per_page: int
) -> BatchListing:
    """The regulator's register of every body's batches; for body staff, their own body's batches only."""
    if actor.body_id is None:
        return find_batches(session, search, actor=actor, page=page, per_page=per_page)
    if search.body_id not in (None, actor.body_id):
        return BatchListing([], 0, max(page, 1), per_page)
    return batch_rows(session, replace(search, body_id=actor.body_id), page=page, per_page=per_page)


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str


@dataclass(frozen=True)
class BatchDetail(BatchRow):
    """One batch as the API answers it: the register's row, where and by whom, and why it was returned."""

    place: str
    created_by: Person | None
    created_at: datetime
    submitted_by: Person | None
    submitted_at: datetime | None
    decided_by: Person | None
    decided_at: datetime | None
    return_reason: str | None


def batch_detail(session: Session, batch: Batch) -> BatchDetail:
    """A batch the caller may read (fetch it with `readable_batch` first), with its counts and people."""
    [row] = batch_rows(session, BatchSearch(), page=1, per_page=1, batch_id=pk(batch)).batches
    ids = {user for user in (batch.created_by, batch.submitted_by, batch.decided_by) if user is not None}
    names = {int(user_id or 0): name for user_id, name in
             session.exec(select(User.id, User.display_name).where(col(User.id).in_(ids)))}

    def person(user_id: int | None) -> Person | None:
        return None if user_id is None else Person(user_id, names.get(user_id, ""))

    return BatchDetail(
        **vars(row), place=batch.place,
        created_by=person(batch.created_by), created_at=batch.created_at,
        submitted_by=person(batch.submitted_by), submitted_at=batch.submitted_at,
        decided_by=person(batch.decided_by), decided_at=batch.decided_at,
        return_reason=batch.return_reason or None,
    )


@dataclass(frozen=True)
class CandidateResult:
    """A candidate with the full ID number and the outcome computed again from the standard."""

    candidate_id: int
    batch_id: int
    name: str
    id_type: str
    id_number: str
    scores: dict[str, int | None]  # every component of the level; None where no score is recorded
    passed: bool
    reason_zh: str
    reason_en: str

    @classmethod
    def of(cls, candidate: Candidate, outcome: standards.Outcome) -> CandidateResult:
        return cls(pk(candidate), candidate.batch_id, candidate.name, candidate.id_type, candidate.id_number,
                   outcome.scores, outcome.passed, outcome.reason_zh, outcome.reason_en)


def candidate_results(session: Session, batch: Batch) -> list[CandidateResult]:
    return [CandidateResult.of(row.candidate, row.outcome) for row in batch_sheet(session, batch).rows]


def candidate_result(session: Session, batch: Batch, candidate: Candidate) -> CandidateResult:
    return CandidateResult.of(candidate, standards.evaluate(batch_level(session, batch), candidate.scores))


def results_of(session: Session, batch: Batch, candidates: list[Candidate]) -> list[CandidateResult]:
    level = batch_level(session, batch)
    return [CandidateResult.of(c, standards.evaluate(level, c.scores)) for c in candidates]

