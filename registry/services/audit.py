"""Writing the audit trail: one row per state change, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from registry.models import AuditEvent
from registry.services.actors import Actor


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
