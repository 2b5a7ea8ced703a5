"""Rotating a body's keys: both at once, since a key that leaked with one would have leaked with the other."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from registry.errors import Conflict, NotFound
from registry.models import Body, SigningKey
from registry.services.actors import Actor, require_regulator
from registry.services.audit import record_event
from registry.services.credential_keys import credential_key, retire_credential_key
from registry.services.keys import KeyVault, create_body_key, current_key


def rotate_body_key(session: Session, vault: KeyVault, *, body_id: int, actor: Actor, now: datetime) -> SigningKey:
    """Retire the body's current keys, the one that signs its PDFs and QR codes and the one that signs its Open
    Badges credentials, and create their successors; what the old keys signed keeps verifying."""
    require_regulator(actor)
    body = session.get(Body, body_id, with_for_update=True)
    if body is None:
        raise NotFound("body-not-found", f"评价机构 {body_id} 不存在。", f"No evaluation body {body_id}.")
    if body.status == "withdrawn":
        raise Conflict("body-withdrawn", "机构已撤销备案，不再签发密钥。",
                       "The body's filing is withdrawn; it gets no new key.")
    old = current_key(session, body_id)
    try:
        if old is not None:
            old.retired_at = now
            session.add(old)
            session.flush()
        new = create_body_key(session, vault, body, now=now)
        old_credential = retire_credential_key(session, body_id, now=now)
        new_credential = credential_key(session, vault, body, now=now)
        record_event(
            session, actor=actor, action="body.key-rotated", object_type="body", object_id=body_id, now=now,
            before={"key_id": old.key_id if old else None,
                    "credential_key_id": old_credential.key_id if old_credential else None},
            after={"key_id": new.key_id, "credential_key_id": new_credential.key_id},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return new
