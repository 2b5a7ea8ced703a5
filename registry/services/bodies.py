"""Filing evaluation bodies and their scope; suspension, reinstatement and withdrawal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from certificates import (
    FieldError,
    fold_id,
    validate_body_code,
    validate_province,
    validate_site_code,
    validate_uscc,
)
from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import Body, PublishedStandard, ScopeEntry, pk
from registry.services.actors import Actor, require_regulator
from registry.services.audit import record_event
from registry.services.clock import CHINA
from registry.services.credential_keys import credential_key
from registry.services.keys import KeyVault, create_body_key, current_key, require_root
from registry.services.standards import occupation_names
from registry.services.validation import field_error, require_text


@dataclass(frozen=True)
class BodyFiling:
    name: str
    kind: str
    credit_code: str
    province: str
    body_code: str
    site_code: str
    contact_name: str
    contact_phone: str


def file_body(session: Session, *, filing: BodyFiling, actor: Actor, vault: KeyVault, now: datetime) -> Body:
    """Record a body's 备案: every identifier checked, the number prefix unique, its signing key issued."""
    require_regulator(actor)
    require_root(session)
    name = require_text(filing.name, "name", "备案名称", "filed name", 200)
    if filing.kind not in ("Y", "S"):
        raise InvalidInput(
            "body-kind",
            "机构类型必须为 Y（用人单位）或 S（社会培训评价组织）。",
            "Body kind must be Y (employer) or S (social training-evaluation organisation).",
            field="kind",
        )
    try:
        credit_code = validate_uscc(filing.credit_code)
        province = validate_province(filing.province)
        body_code = validate_body_code(filing.body_code)
        site_code = validate_site_code(filing.site_code)
    except FieldError as err:
        raise field_error(err) from err
    body = Body(
        name=name,
        kind=filing.kind,
        credit_code=credit_code,
        province=province,
        body_code=body_code,
        site_code=site_code,
        contact_name=require_text(filing.contact_name, "contact_name", "联系人", "contact name", 100),
        contact_phone=require_text(filing.contact_phone, "contact_phone", "联系电话", "contact phone", 40),
        filed_at=now,
    )
    _refuse_duplicates(session, body)
    session.add(body)
    session.flush()
    key = create_body_key(session, vault, body, now=now)
    credential_key(session, vault, body, now=now)  # listed in the trust bundle before its first credential
    record_event(
        session, actor=actor, action="body.filed", object_type="body", object_id=body.id, now=now,
        after={"name": body.name, "kind": body.kind, "credit_code": body.credit_code, "prefix": body.number_prefix,
               "key_id": key.key_id},
    )
    try:
        session.commit()
    except IntegrityError:  # a concurrent filing took a code between our check and our commit
        session.rollback()
        _refuse_duplicates(session, body)  # names the field that clashed
        raise
    return body


def _refuse_duplicates(session: Session, body: Body) -> None:
    if session.exec(select(Body.id).where(Body.credit_code == body.credit_code)).first() is not None:
        raise InvalidInput(
            "body-credit-code-taken",
            f"统一社会信用代码 {body.credit_code} 已备案。",
            f"Unified social credit code {body.credit_code} is already filed.",
            field="credit_code",
        )
    same_prefix = select(Body.id).where(
        Body.kind == body.kind,
        Body.body_code == body.body_code,
        Body.province == body.province,
        Body.site_code == body.site_code,
    )
    if session.exec(same_prefix).first() is not None:
        raise _duplicate_error(body.number_prefix)


def _duplicate_error(prefix: str) -> InvalidInput:
    return InvalidInput(
        "body-prefix-taken",
        f"证书编号前缀 {prefix} 已被其他机构使用（类型、机构代码、省份与站点代码的组合必须唯一）。",
        f"Certificate number prefix {prefix} is used by another body (kind, body code, province and site "
        "code must be unique together).",
        field="site_code",
    )


def require_not_withdrawn(body: Body) -> None:
    if body.status == "withdrawn":
        raise Conflict(
            "body-withdrawn",
            f"{body.name} 已退出（撤销备案），不能再变更其备案范围或人员。",
            f"{body.name} has been withdrawn: its scope and staff can no longer change.",
            field="body_id",
        )


def get_body(session: Session, body_id: int, *, for_update: bool = False) -> Body:
    body = session.get(Body, body_id, with_for_update=for_update)
    if body is None:
        raise NotFound("body-not-found", "未找到该评价机构。", "No such evaluation body.", field="body_id")
    return body


def add_scope(
    session: Session,
    *,
    body_id: int,
    occupation_code: str,
    work_type: str | None,
    levels: list[int],
    valid_from: date,
    valid_to: date,
    actor: Actor,
    now: datetime,
) -> ScopeEntry:
    """File a scope line; the occupation, 工种 and levels must exist in a published standard."""
    require_regulator(actor)
    body = get_body(session, body_id)
    require_not_withdrawn(body)
    rows = session.exec(select(PublishedStandard).where(PublishedStandard.code == occupation_code)).all()
    if not rows:
        raise InvalidInput(
            "scope-occupation-unknown",
            f"职业编码 {occupation_code} 没有已发布的标准。",
            f"Occupation code {occupation_code} has no published standard.",
            field="occupation_code",
        )
    known_work_types = {wt for row in rows for wt in row.content["work_types"]}
    if work_type is not None and work_type not in known_work_types:
        raise InvalidInput(
            "scope-work-type-unknown",
            f"工种“{work_type}”不属于该职业标准。",
            f"Work type '{work_type}' is not defined by this occupation's standard.",
            field="work_type",
        )
    # The levels offered for this 工种 (or for the occupation as a whole) in any published version.
    known_levels = {lv["digit"] for row in rows for lv in row.content["levels"]
                    if work_type is None or work_type in lv["work_types"]}
    bad_levels = sorted(set(levels) - known_levels)
    if not levels or bad_levels:
        raise InvalidInput(
            "scope-level-unknown",
            f"等级 {bad_levels or '（空）'} 不在该职业标准覆盖的等级 {sorted(known_levels)} 内。",
            f"Levels {bad_levels or '(none)'} are not among the standard's levels {sorted(known_levels)}.",
            field="levels",
        )
    if valid_to < valid_from:
        raise InvalidInput(
            "scope-period", "有效期止不能早于有效期起。", "valid_to cannot be before valid_from.", field="valid_to"
        )
    entry = ScopeEntry(
        body_id=pk(body), occupation_code=occupation_code, work_type=work_type,
        levels=sorted(set(levels), reverse=True), valid_from=valid_from, valid_to=valid_to,
    )
    session.add(entry)
    session.flush()
    record_event(
        session, actor=actor, action="scope.added", object_type="body", object_id=body.id, now=now,
        after=_scope_summary(entry),
    )
    session.commit()
    return entry


def withdraw_scope(session: Session, *, scope_id: int, actor: Actor, now: datetime) -> ScopeEntry:
    require_regulator(actor)
    entry = session.get(ScopeEntry, scope_id)
    if entry is None:
        raise NotFound("scope-not-found", "未找到该备案范围。", "No such scope entry.", field="scope_id")
    if entry.withdrawn_at is not None:
        raise Conflict("scope-already-withdrawn", "该备案范围已撤回。", "This scope entry is already withdrawn.")
    before = _scope_summary(entry)
    entry.withdrawn_at = now
    record_event(
        session, actor=actor, action="scope.withdrawn", object_type="body", object_id=entry.body_id, now=now,
        before=before, after={**before, "withdrawn_at": now.isoformat()},
    )
    session.commit()
    return entry


def _scope_summary(entry: ScopeEntry) -> dict[str, object]:
    return {
        "scope_id": entry.id,
        "occupation_code": entry.occupation_code,
        "work_type": entry.work_type,
        "levels": list(entry.levels),
        "valid_from": entry.valid_from.isoformat(),
        "valid_to": entry.valid_to.isoformat(),
    }


# status change -> (allowed from, new status, audit action)
_TRANSITIONS = {
    "suspend": (("active",), "suspended", "body.suspended"),
    "reinstate": (("suspended",), "active", "body.reinstated"),
    "withdraw": (("active", "suspended"), "withdrawn", "body.withdrawn"),
}
_STATUS_ZH = {"active": "正常", "suspended": "暂停", "withdrawn": "已退出"}


def change_body_status(
    session: Session, *, body_id: int, change: str, reason: str, actor: Actor, now: datetime
) -> Body:
    """Suspend, reinstate or withdraw a body; each needs a reason and is audited."""
    require_regulator(actor)
    if change not in _TRANSITIONS:
        raise InvalidInput(
            "body-status-change-unknown",
            f"未知的状态变更：{change}（可用：suspend、reinstate、withdraw）。",
            f"Unknown status change {change!r} (use suspend, reinstate or withdraw).",
            field="change",
        )
    allowed_from, new_status, action = _TRANSITIONS[change]
    reason = require_text(reason, "reason", "原因", "reason", 500)
    body = get_body(session, body_id, for_update=True)
    if body.status not in allowed_from:
        raise Conflict(
            f"body-cannot-{change}",
            f"机构当前状态为“{_STATUS_ZH[body.status]}”，不能执行此操作。",
            f"The body is {body.status}; it cannot be {new_status} from that state.",
            field="status",
        )
    before = {"status": body.status, "reason": body.status_reason}
    body.status, body.status_reason, body.status_changed_at = new_status, reason, now
    record_event(
        session, actor=actor, action=action, object_type="body", object_id=body.id, now=now,
        before=before, after={"status": new_status, "reason": reason},
    )
    session.commit()
    return body


def list_bodies(session: Session) -> list[Body]:
    return list(session.exec(select(Body).order_by(col(Body.id))))


def scope_of(session: Session, body_id: int) -> list[ScopeEntry]:
    return list(session.exec(select(ScopeEntry).where(ScopeEntry.body_id == body_id).order_by(col(ScopeEntry.id))))


# The public catalogue (the national body lookup's counterpart): what anyone may see of a filed body.
# Contact person and phone are personal data and never leave through these functions.

PAGE_SIZE = 50


@dataclass(frozen=True)
class PublicBody:
    name: str
    kind: str
    credit_code: str
    province: str
    number_prefix: str
    status: str
    status_reason: str
    status_since: date | None  # China date of the last status change; None if it never changed
    filed_on: date

    @classmethod
    def of(cls, body: Body) -> PublicBody:
        changed = body.status_changed_at
        return cls(
            name=body.name, kind=body.kind, credit_code=body.credit_code, province=body.province,
            number_prefix=body.number_prefix, status=body.status, status_reason=body.status_reason,
            status_since=changed.astimezone(CHINA).date() if changed else None,
            filed_on=body.filed_at.astimezone(CHINA).date(),
        )


@dataclass(frozen=True)
class BodyPage:
    bodies: list[PublicBody]
    total: int  # bodies matching the search, on every page
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_bodies(session: Session, *, query: str = "", page: int = 1, per_page: int = PAGE_SIZE) -> BodyPage:
    """Filed bodies of any status whose name or credit code contains `query`, in filing order, one page."""
    text = " ".join(query.split())
    match = or_(col(Body.name).icontains(text, autoescape=True),
                col(Body.credit_code).contains(fold_id(text), autoescape=True)) if text else true()
    total = session.exec(select(func.count()).select_from(Body).where(match)).one()
    listing = BodyPage([], total, max(page, 1), per_page)
    if listing.page > listing.pages:  # past the end (the caller says so); never an offset the database refuses
        return listing
    rows = session.exec(select(Body).where(match).order_by(col(Body.id))
                        .offset((listing.page - 1) * per_page).limit(per_page))
    return BodyPage([PublicBody.of(row) for row in rows], total, listing.page, per_page)


def find_body(session: Session, credit_code: str) -> Body:
    body = session.exec(select(Body).where(Body.credit_code == fold_id(credit_code))).first()
    if body is None:
        raise NotFound("body-not-found", f"没有统一社会信用代码为 {credit_code} 的已备案评价机构。",
                       f"No evaluation body is filed with unified social credit code {credit_code}.",
                       field="credit_code")
    return body


@dataclass(frozen=True)
class ScopeLine:
    occupation_code: str
    occupation_name: str
    occupation_name_en: str
    work_type: str | None  # None: every 工种 of the occupation
    levels: tuple[int, ...]  # highest digit (lowest level) first, as filed
    valid_from: date
    valid_to: date
    state: str  # in-force | upcoming | expired | withdrawn
    withdrawn_on: date | None


def public_scope(session: Session, body_id: int, *, today: date) -> list[ScopeLine]:
    """A body's filed scope with each line's state on `today` (withdrawn lines included, so marked)."""
    entries = scope_of(session, body_id)
    names = occupation_names(session, {entry.occupation_code for entry in entries})
    lines = []
    for entry in entries:
        if entry.withdrawn_at is not None:
            state = "withdrawn"
        elif today < entry.valid_from:
            state = "upcoming"
        elif today > entry.valid_to:
            state = "expired"
        else:
            state = "in-force"
        name, name_en = names.get(entry.occupation_code, ("", ""))
        lines.append(ScopeLine(
            occupation_code=entry.occupation_code, occupation_name=name, occupation_name_en=name_en,
            work_type=entry.work_type, levels=tuple(entry.levels), valid_from=entry.valid_from,
            valid_to=entry.valid_to, state=state,
            withdrawn_on=entry.withdrawn_at.astimezone(CHINA).date() if entry.withdrawn_at else None,
        ))
    return lines


@dataclass(frozen=True)
class PublicKeyInfo:
    """The public facts of a body's signing key in use: its id and the validity of its certificate."""

    key_id: str
    valid_from: date
    valid_to: date


def public_key_info(session: Session, body_id: int) -> PublicKeyInfo | None:
    key = current_key(session, body_id)
    if key is None:
        return None
    return PublicKeyInfo(key.key_id, key.not_before.astimezone(CHINA).date(), key.not_after.astimezone(CHINA).date())
