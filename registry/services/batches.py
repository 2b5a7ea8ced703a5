"""Assessment batches: open inside the body's scope, record candidates and scores, submit, return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

import standards
from certificates import FieldError, mask_id, normalize_id, validate_name
from certificates.payload import require_printable
from registry.errors import Conflict, Forbidden, InvalidInput, NotFound
from registry.models import Batch, Candidate, ScopeEntry, pk
from registry.services.actors import Actor, require_body_role
from registry.services.audit import record_event
from registry.services.bodies import get_body
from registry.services.clock import CHINA
from registry.services.standards import as_version, find_published, get_published, in_force_on
from registry.services.validation import field_error, require_text

ENTRY_ROLES = ("body_admin", "assessor")


@dataclass(frozen=True)
class CandidateInput:
    name: str
    id_type: str
    id_number: str
    scores: Mapping[str, int | None] = field(default_factory=dict)


def open_batch(
    session: Session,
    *,
    body_id: int,
    standard_code: str,
    standard_version: int,
    level: int,
    work_type: str | None,
    assessed_on: date,
    place: str,
    actor: Actor,
    now: datetime,
) -> Batch:
    """Open a batch for one standard version and level, only inside the body's active scope."""
    require_body_role(actor, body_id, *ENTRY_ROLES)
    body = get_body(session, body_id)
    require_active_body(body.status)
    row = find_published(session, standard_code, standard_version)
    version = as_version(row)
    current = in_force_on(session, standard_code, assessed_on)
    if current is None or current.id != row.id:
        in_force = f"{current.code}@{current.version}" if current else "无 / none"
        raise InvalidInput(
            "standard-not-in-force",
            f"{standard_code}@{standard_version} 在考核日期 {assessed_on} 不是现行版本（现行：{in_force}）。",
            f"{standard_code}@{standard_version} is not the version in force on {assessed_on} "
            f"(in force: {in_force}).",
            field="standard_version",
        )
    if level not in version.level_digits:
        raise InvalidInput(
            "level-not-in-standard",
            f"该标准没有{_level_text(level)}（覆盖等级：{'、'.join(map(str, version.level_digits))}）。",
            f"The standard does not define level {level} (it covers {list(version.level_digits)}).",
            field="level",
        )
    work_type = _check_work_type(version.level(level), work_type)
    today = now.astimezone(CHINA).date()
    if assessed_on > today:
        raise InvalidInput(
            "assessment-date-future",
            f"考核日期 {assessed_on} 晚于今天（{today}）：请在考核后登记。",
            f"The assessment date {assessed_on} is after today ({today}): record it after the assessment.",
            field="assessed_on",
        )
    if not _scope_covers(session, body_id, version.code, work_type, level, assessed_on):
        raise Forbidden(
            "outside-scope",
            f"{version.name}{'（' + work_type + '）' if work_type else ''} {_level_text(level)} "
            f"在 {assessed_on} 不在本机构的备案范围内。",
            f"{version.name_en}{' (' + work_type + ')' if work_type else ''} level {level} on {assessed_on} "
            "is outside this body's filed scope.",
            field="level",
        )
    batch = Batch(
        body_id=body_id, standard_id=pk(row), level=level, work_type=work_type, assessed_on=assessed_on,
        place=require_text(place, "place", "考核地点", "place", 200), created_by=_user_id(actor), created_at=now,
    )
    session.add(batch)
    session.flush()
    record_event(
        session, actor=actor, action="batch.opened", object_type="batch", object_id=batch.id, now=now,
        after={"standard": f"{version.code}@{version.version}", "level": level, "work_type": work_type,
               "assessed_on": assessed_on.isoformat()},
    )
    session.commit()
    return batch


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden("staff-only", "此操作须由机构人员执行。", "Only body staff may do this.", field="actor")
    return actor.user_id


def _scope_covers(session: Session, body_id: int, code: str, work_type: str | None, level: int, day: date) -> bool:
    entries = session.exec(select(ScopeEntry).where(ScopeEntry.body_id == body_id)).all()
    return any(entry.covers(code, work_type, level, day) for entry in entries)


def require_scope_still_covers(session: Session, batch: Batch) -> None:
    """At approval: the scope line that allowed the batch may have been withdrawn since."""
    standard = get_published(session, batch.standard_id)
    if not _scope_covers(session, batch.body_id, standard.code, batch.work_type, batch.level, batch.assessed_on):
        raise Forbidden(
            "outside-scope",
            "该批次已不在本机构的备案范围内（备案范围已撤回），不能发证。",
            "The batch is no longer inside the body's filed scope (the scope line was withdrawn): no issuance.",
            field="level",
        )


def _level_text(level: int) -> str:
    return standards.level_label(level) if level in standards.LEVELS else f"等级 {level}"


def _check_work_type(level: standards.Level, work_type: str | None) -> str | None:
    """The 工种 is required exactly when the standard defines 工种 at this level, and must be one of them."""
    work_type = (work_type or "").strip() or None
    if level.work_types and work_type not in level.work_types:
        raise InvalidInput(
            "work-type-required",
            f"该职业在{level.label}须选择工种：{'、'.join(level.work_types)}。",
            f"At level {level.digit} this occupation needs one of its work types: {', '.join(level.work_types)}.",
            field="work_type",
        )
    if not level.work_types and work_type is not None:
        raise InvalidInput(
            "work-type-not-applicable",
            f"该职业标准在{level.label}不分工种。",
            f"This occupation's standard has no work types at level {level.digit}.",
            field="work_type",
        )
    return work_type


def require_active_body(status: str) -> None:
    if status != "active":
        raise Forbidden(
            "body-not-active",
            "评价机构已被暂停或已退出，不能开展认定或发证。",
            "The evaluation body is suspended or withdrawn: it cannot assess or issue.",
            field="body_id",
        )


def get_batch(session: Session, batch_id: int, *, for_update: bool = False) -> Batch:
    query = select(Batch).where(Batch.id == batch_id)
    if for_update:
        query = query.with_for_update()
    batch = session.exec(query).first()
    if batch is None:
        raise NotFound("batch-not-found", "未找到该认定批次。", "No such assessment batch.", field="batch_id")
    return batch


def add_candidates(
    session: Session, *, batch_id: int, candidates: Sequence[CandidateInput], actor: Actor, now: datetime
) -> list[Candidate]:
    """Add candidates with their scores; every row is checked before any is written."""
    batch = get_batch(session, batch_id)
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)
    require_editable(batch)
    level = _batch_level(session, batch)
    seen = {(c.id_type, c.id_number) for c in session.exec(select(Candidate).where(Candidate.batch_id == batch_id))}
    rows: list[Candidate] = []
    for index, data in enumerate(candidates):
        try:
            row = _candidate_row(batch, level, data)
        except InvalidInput as err:
            raise _in_row(err, index) from err
        if (row.id_type, row.id_number) in seen:
            raise _in_row(
                InvalidInput(
                    "candidate-duplicate",
                    f"证件号码 {row.id_number} 在本批次中重复。",
                    f"ID number {row.id_number} appears twice in this batch.",
                    field="id_number",
                ),
                index,
            )
        seen.add((row.id_type, row.id_number))
        rows.append(row)
    session.add_all(rows)
    session.flush()
    record_event(
        session, actor=actor, action="batch.candidates-added", object_type="batch", object_id=batch_id, now=now,
        after={"count": len(rows), "passed": sum(r.passed for r in rows)},
    )
    session.commit()
    return rows


def _batch_level(session: Session, batch: Batch) -> standards.Level:
    """The level of the standard version the batch is assessed against (its components and 工种)."""
    return as_version(get_published(session, batch.standard_id)).level(batch.level)


def _in_row(err: InvalidInput, index: int) -> InvalidInput:
    return InvalidInput(
        err.reason, f"第 {index + 1} 行：{err.message_zh}", f"Row {index + 1}: {err.message_en}",
        field=f"candidates[{index}].{err.field}",
    )


def _candidate_row(batch: Batch, level: standards.Level, data: CandidateInput) -> Candidate:
    try:
        name = validate_name(data.name)
        require_printable(name=name)  # refused at entry, long before a number could be allocated
        id_number = normalize_id(data.id_type, data.id_number)
    except FieldError as err:
        raise field_error(err) from err
    scores = check_scores(level, data.scores)
    return Candidate(
        batch_id=pk(batch), name=name, id_type=data.id_type, id_number=id_number, scores=scores,
        passed=standards.evaluate(level, scores).passed,
    )


def check_scores(level: standards.Level, scores: Mapping[str, int | None]) -> dict[str, int]:
    """Whole-number scores 0-100 for components the level has; absent components stay absent."""
    clean: dict[str, int] = {}
    for kind, value in scores.items():
        if kind not in level.component_kinds:
            names = "、".join(standards.COMPONENT_KINDS[k][0] for k in level.component_kinds)
            raise InvalidInput(
                "score-component-unknown",
                f"该等级没有考核项目“{kind}”（本等级考核：{names}）。",
                f"Level {level.digit} has no component '{kind}' (it has: {', '.join(level.component_kinds)}).",
                field=f"scores.{kind}",
            )
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise InvalidInput(
                "score-range",
                f"{standards.COMPONENT_KINDS[kind][0]}成绩必须是 0 到 100 的整数，收到 {value!r}。",
                f"{standards.COMPONENT_KINDS[kind][1]} score must be a whole number 0-100, got {value!r}.",
                field=f"scores.{kind}",
            )
        clean[kind] = value
    return clean


def _editable_candidate(session: Session, candidate_id: int, actor: Actor) -> tuple[Candidate, Batch]:
    """A candidate the actor may change: entry staff of its body, batch still being prepared."""
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound("candidate-not-found", "未找到该考生。", "No such candidate.", field="candidate_id")
    batch = get_batch(session, candidate.batch_id, for_update=True)
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)
    require_editable(batch)
    return candidate, batch


def record_scores(
    session: Session, *, candidate_id: int, scores: Mapping[str, int | None], actor: Actor, now: datetime
) -> Candidate:
    """Replace one candidate's scores while the batch is still being prepared."""
    candidate, batch = _editable_candidate(session, candidate_id, actor)
    level = _batch_level(session, batch)
    before = {"scores": dict(candidate.scores), "passed": candidate.passed}
    candidate.scores = check_scores(level, scores)
    candidate.passed = standards.evaluate(level, candidate.scores).passed
    record_event(
        session, actor=actor, action="candidate.scored", object_type="candidate", object_id=candidate.id,
        now=now, before=before, after={"scores": dict(candidate.scores), "passed": candidate.passed},
    )
    session.commit()
    return candidate


def update_candidate(
    session: Session, *, candidate_id: int, data: CandidateInput, actor: Actor, now: datetime
) -> Candidate:
    """Correct a candidate's name, 证件 or scores while the batch is still being prepared.

    The same checks as entry apply; the audit trail keeps what changed, with ID numbers masked.
    """
    candidate, batch = _editable_candidate(session, candidate_id, actor)
    level = _batch_level(session, batch)
    row = _candidate_row(batch, level, data)
    if (row.id_type, row.id_number) != (candidate.id_type, candidate.id_number):
        twin = session.exec(select(Candidate.id).where(
            Candidate.batch_id == batch.id, Candidate.id_type == row.id_type, Candidate.id_number == row.id_number,
        )).first()
        if twin is not None:
            raise InvalidInput(
                "candidate-duplicate",
                f"证件号码 {row.id_number} 在本批次中已有考生。",
                f"ID number {row.id_number} already belongs to another candidate in this batch.",
                field="id_number",
            )
    fields = ("name", "id_type", "id_number", "scores", "passed")
    changed = [f for f in fields if getattr(candidate, f) != getattr(row, f)]
    before, after = _audit_view(candidate), _audit_view(row)
    for f in changed:
        setattr(candidate, f, getattr(row, f))
    if changed:
        record_event(
            session, actor=actor, action="candidate.updated", object_type="candidate", object_id=candidate.id,
            now=now, before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
        )
    session.commit()
    return candidate


def remove_candidate(session: Session, *, candidate_id: int, actor: Actor, now: datetime) -> Candidate:
    """Take a wrongly entered candidate out of a batch that is still being prepared."""
    candidate, batch = _editable_candidate(session, candidate_id, actor)
    record_event(
        session, actor=actor, action="candidate.removed", object_type="candidate", object_id=candidate.id,
        now=now, before={"batch_id": batch.id, **_audit_view(candidate)},
    )
    session.delete(candidate)
    session.commit()
    return candidate


def _audit_view(candidate: Candidate) -> dict[str, object]:
    """What the audit trail keeps of a candidate: the ID number masked, as on every public page."""
    return {"name": candidate.name, "id_type": candidate.id_type, "id_number": mask_id(candidate.id_number),
            "scores": dict(candidate.scores), "passed": candidate.passed}


def require_editable(batch: Batch) -> None:
    if batch.status not in ("draft", "returned"):
        raise Conflict(
            "batch-not-editable",
            "批次已提交或已发证，不能再修改。",
            f"The batch is {batch.status}: it can no longer be changed.",
            field="status",
        )


def candidates_of(session: Session, batch_id: int) -> list[Candidate]:
    return list(session.exec(select(Candidate).where(Candidate.batch_id == batch_id).order_by(col(Candidate.id))))


def submit_batch(session: Session, *, batch_id: int, actor: Actor, now: datetime) -> Batch:
    batch = get_batch(session, batch_id, for_update=True)
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)
    require_editable(batch)
    count = len(candidates_of(session, batch_id))
    if count == 0:
        raise InvalidInput("batch-empty", "批次没有考生，不能提交。", "The batch has no candidates to submit.",
                           field="candidates")
    before = {"status": batch.status}
    batch.status, batch.submitted_by, batch.submitted_at = "submitted", actor.user_id, now
    record_event(
        session, actor=actor, action="batch.submitted", object_type="batch", object_id=batch.id, now=now,
        before=before, after={"status": "submitted", "candidates": count},
    )
    session.commit()
    return batch


def require_second_person(batch: Batch, actor: Actor) -> None:
    """Approval and return need a supervisor of the body who is not the one who submitted."""
    require_body_role(actor, batch.body_id, "supervisor")
    if actor.user_id is not None and actor.user_id in (batch.submitted_by, batch.created_by):
        raise Forbidden(
            "second-person-required",
            "审核须由提交人和录入人以外的质量督导员进行。",
            "A supervisor other than the person who entered or submitted the results must decide.",
            field="actor",
        )
    if batch.status != "submitted":
        raise Conflict(
            "batch-not-submitted",
            "批次未处于待审核状态。",
            f"The batch is {batch.status}, not awaiting approval.",
            field="status",
        )


def return_batch(session: Session, *, batch_id: int, reason: str, actor: Actor, now: datetime) -> Batch:
    batch = get_batch(session, batch_id, for_update=True)
    require_second_person(batch, actor)
    reason = require_text(reason, "reason", "退回原因", "reason", 500)
    batch.status, batch.decided_by, batch.decided_at, batch.return_reason = "returned", actor.user_id, now, reason
    record_event(
        session, actor=actor, action="batch.returned", object_type="batch", object_id=batch.id, now=now,
        before={"status": "submitted"}, after={"status": "returned", "reason": reason},
    )
    session.commit()
    return batch


def list_batches(session: Session, *, body_id: int | None = None, status: str | None = None) -> list[Batch]:
    query = select(Batch).order_by(col(Batch.id))
    if body_id is not None:
        query = query.where(Batch.body_id == body_id)
    if status is not None:
        query = query.where(Batch.status == status)
    return list(session.exec(query))
