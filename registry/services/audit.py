"""Writing the audit trail: one row per state change, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from registry.models import AuditEvent
from registry.services.actors import Actor
from registry.services.clock import CHINA


def record_event(
    session: Session,
    *,
    actor: Actor | str,
    action: str,
    object_type: str,
    object_id: object,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the session; it commits (or rolls back) with the change it describes."""
    event = AuditEvent(
        occurred_at=now,
        actor=actor.label if isinstance(actor, Actor) else actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
    )
    session.add(event)
    return event


def list_events(
    session: Session, *, object_type: str | None = None, object_id: object = None, limit: int = 100
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if object_type is not None:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == str(object_id))
    return list(session.exec(query))


# --- Reading the trail (the regulator's console) ------------------------------------------------------------

AUDIT_PAGE_SIZE = 50
# The trail records no secrets; should a future event carry one by mistake, its value is never shown.
_SECRET_WORDS = ("password", "secret", "private", "token", "master", "passphrase", "pin")
REDACTED = "[已隐去 redacted]"


@dataclass(frozen=True)
class EventSearch:
    """Filters of the audit search; empty text and None match everything. Dates are China's calendar."""

    actor: str = ""  # part of the actor label (user:wang, client:203.0.113.9, system:cli)
    action: str = ""  # exact (body.suspended), or a family ending in a dot (body.)
    object_type: str = ""
    object_id: str = ""  # exact: a certificate number, a body or batch id
    since: date | None = None
    until: date | None = None  # inclusive


@dataclass(frozen=True)
class EventView:
    """An event as shown: the stored row's values, those of secret-looking keys redacted."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class EventPage:
    events: list[EventView]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_events(
    session: Session, search: EventSearch, *, page: int = 1, per_page: int = AUDIT_PAGE_SIZE
) -> EventPage:
    """One page of matching events, newest first, values of secret-looking keys redacted."""
    conditions = []
    if search.actor.strip():
        conditions.append(col(AuditEvent.actor).icontains(search.actor.strip(), autoescape=True))
    action = search.action.strip()
    if action.endswith("."):
        conditions.append(col(AuditEvent.action).startswith(action, autoescape=True))
    elif action:
        conditions.append(col(AuditEvent.action) == action)
    if search.object_type.strip():
        conditions.append(col(AuditEvent.object_type) == search.object_type.strip())
    object_id = search.object_id.strip()
    if object_id:
        conditions.append(col(AuditEvent.object_id).in_({object_id, object_id.upper()}))
    if search.since is not None:
        conditions.append(col(AuditEvent.occurred_at) >= datetime.combine(search.since, time(), CHINA))
    if search.until is not None:
        following = datetime.combine(search.until, time(), CHINA) + timedelta(days=1)
        conditions.append(col(AuditEvent.occurred_at) < following)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    page = max(page, 1)
    query = (select(AuditEvent).where(*conditions).order_by(col(AuditEvent.id).desc())
             .offset((page - 1) * per_page).limit(per_page))
    return EventPage([_redacted(event) for event in session.exec(query)], total, page, per_page)


# The distinct values of an indexed column, one index probe each ("loose index scan"): a trail of millions of
# events (one per certificate issued) holds a few dozen actions, and SELECT DISTINCT would read all of them.
_DISTINCT = """
WITH RECURSIVE v(value) AS (
  SELECT MIN({column}) FROM audit_events
  UNION ALL
  SELECT (SELECT MIN({column}) FROM audit_events WHERE {column} > v.value) FROM v WHERE v.value IS NOT NULL
)
SELECT value FROM v WHERE value IS NOT NULL
"""


def event_vocabulary(session: Session) -> tuple[list[str], list[str]]:
    """The actions and object types the trail holds, in order, for the search form's choices."""
    # Both columns lead an index (ix_audit_events_action, ix_audit_events_object); the names are constants.
    actions = session.execute(text(_DISTINCT.format(column="action"))).scalars().all()
    types = session.execute(text(_DISTINCT.format(column="object_type"))).scalars().all()
    return list(actions), list(types)


def redact(values: Any) -> Any:
    """A copy of a before/after value with every secret-looking key's value replaced."""
    if isinstance(values, dict):
        return {key: REDACTED if _secret(key) else redact(value) for key, value in values.items()}
    if isinstance(values, list):
        return [redact(value) for value in values]
    return values


def _secret(key: object) -> bool:
    words = str(key).lower().replace("-", "_").split("_")
    return any(word in _SECRET_WORDS for word in words)


def _redacted(event: AuditEvent) -> EventView:
    return EventView(id=int(event.id or 0), occurred_at=event.occurred_at, actor=event.actor, action=event.action,
                     object_type=event.object_type, object_id=event.object_id,
                     before=redact(event.before), after=redact(event.after))
