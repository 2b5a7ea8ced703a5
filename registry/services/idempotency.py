"""Idempotency keys: the first request with a key claims it; repeats get the first answer, never a second effect.

The claim is its own committed row (unique per caller and key) written before the work starts, so of two
concurrent requests with one key exactly one does the work; the other waits for its answer. A claim whose
request failed (a server error, or the process died) is released or expires, so the client can retry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from registry.errors import Conflict, InvalidInput
from registry.models import IdempotentRequest

KEPT_FOR = timedelta(hours=24)  # a key may be reused for new work after this
STALE_CLAIM = timedelta(minutes=10)  # a claim never answered by then belonged to a request that died
MAX_KEY = 255


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: dict[str, Any]
    body: bytes


def check_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY or not key.isascii() or not key.isprintable():
        raise InvalidInput("idempotency-key-invalid", f"Idempotency-Key 须为 1 到 {MAX_KEY} 个可打印的 ASCII 字符。",
                           f"Idempotency-Key must be 1 to {MAX_KEY} printable ASCII characters.",
                           field="Idempotency-Key")
    return key


def claim(session: Session, *, caller: str, key: str, fingerprint: str, now: datetime,
          wait: float = 10.0) -> int | Answer:
    """The id of a new claim for this request to fill, or the answer an earlier request with the key gave.

    A different request under the same key is refused (422); one still running makes this wait up to `wait`
    seconds for its answer, then gives up with 409.
    """
    deadline = time.monotonic() + wait
    while True:
        row = session.exec(select(IdempotentRequest).where(
            IdempotentRequest.caller == caller, IdempotentRequest.key == key)).first()
        if row is not None and _expired(row, now):
            session.delete(row)
            session.commit()
            row = None
        if row is None:
            new = IdempotentRequest(caller=caller, key=key, fingerprint=fingerprint, created_at=now)
            session.add(new)
            try:
                session.commit()
            except IntegrityError:  # claimed by a concurrent request a moment ago: look again
                session.rollback()
                continue
            assert new.id is not None  # noqa: S101
            return new.id
        if row.fingerprint != fingerprint:
            session.rollback()
            raise InvalidInput(
                "idempotency-key-reused", "这个 Idempotency-Key 已用于另一个不同的请求。",
                "This Idempotency-Key was already used for a different request.", field="Idempotency-Key",
            )
        if row.status_code is not None:
            answer = Answer(row.status_code, dict(row.headers), row.body or b"")
            session.rollback()
            return answer
        session.rollback()  # still running elsewhere: end this snapshot and look again shortly
        if time.monotonic() >= deadline:
            raise Conflict("idempotency-in-progress", "使用同一 Idempotency-Key 的请求仍在处理中，请稍后重试。",
                           "A request with this Idempotency-Key is still being processed; retry shortly.",
                           field="Idempotency-Key")
        time.sleep(0.05)


def _expired(row: IdempotentRequest, now: datetime) -> bool:
    age = now - row.created_at
    return age >= KEPT_FOR or (row.status_code is None and age >= STALE_CLAIM)


def record_answer(session: Session, claim_id: int, answer: Answer) -> None:
    row = session.get(IdempotentRequest, claim_id)
    if row is not None:
        row.status_code, row.headers, row.body = answer.status_code, answer.headers, answer.body
        session.commit()


def release(session: Session, claim_id: int) -> None:
    """Forget a claim whose request failed, so that a retry does the work."""
    session.rollback()
    session.exec(delete(IdempotentRequest).where(col(IdempotentRequest.id) == claim_id))  # type: ignore[call-overload]
    session.commit()


def purge(session: Session, *, now: datetime) -> int:
    """Drop answers older than KEPT_FOR; returns how many."""
    result = session.exec(delete(IdempotentRequest).where(  # type: ignore[call-overload]
        col(IdempotentRequest.created_at) < now - KEPT_FOR))
    session.commit()
    return int(result.rowcount or 0)
