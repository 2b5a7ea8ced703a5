"""API tokens: issued to a staff account, shown once, stored as a hash, read-only or read-write, revocable.

A token acts as its account (same role, same body), so every rule that binds the person binds their programs,
including that the person who submits a batch is not the one who approves it. Its secret is 256 random bits,
so a plain SHA-256 of it is as good as a slow password hash and costs nothing per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from registry.errors import Forbidden, InvalidInput, NotFound
from registry.models import TOKEN_SCOPES, ApiToken, User
from registry.services.actors import Actor
from registry.services.audit import record_event
from registry.services.validation import require_text

PREFIX = "skr_"
LAST_USE_RESOLUTION = timedelta(minutes=1)  # last use is written at most this often per token


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole token as the client sends it: shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, *, user_id: int, name: str, scope: str, actor: Actor, now: datetime,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """A new token for an account: by its owner, the body's admin for the body's staff, the regulator for
    regulator accounts, or the command line for anyone."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("user-not-found", "未找到该账号，或账号已停用。", "No such active account.", field="user_id")
    _require_manager(actor, user)
    if scope not in TOKEN_SCOPES:
        raise InvalidInput("token-scope", "权限只能是 read（只读）或 write（读写）。",
                           "Scope must be read or write.", field="scope")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("token-expiry", "到期时间必须晚于现在。", "The expiry must be in the future.",
                           field="expires_at")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiToken(
        token_id=token_id, secret_hash=_digest(secret), user_id=user_id, body_id=user.body_id,
        name=require_text(name, "name", "令牌名称", "token name", 100), scope=scope, created_by=actor.label,
        created_at=now, expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    record_event(session, actor=actor, action="token.created", object_type="api_token", object_id=token_id, now=now,
                 after={"user": user.username, "name": row.name, "scope": scope,
                        "expires_at": expires_at.isoformat() if expires_at else None})
    session.commit()
    return IssuedToken(row, f"{PREFIX}{token_id}.{secret}")


def revoke_token(session: Session, *, token_id: str, actor: Actor, now: datetime) -> ApiToken:
    """Stop a token at once. Revoking one already revoked changes nothing."""
    row = session.exec(select(ApiToken).where(ApiToken.token_id == token_id).with_for_update()).first()
    owner = session.get(User, row.user_id) if row else None
    if row is None or owner is None or not _may_see(actor, row):
        raise NotFound("token-not-found", "未找到该令牌。", "No such token.", field="token_id")
    _require_manager(actor, owner)
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = now, actor.label
        record_event(session, actor=actor, action="token.revoked", object_type="api_token", object_id=token_id,
                     now=now, before={"user": owner.username, "name": row.name})
        session.commit()
    return row


def tokens_for(session: Session, actor: Actor) -> list[tuple[ApiToken, User]]:
    """The tokens an actor may see: their own; a body admin's body's; the regulator's, the regulator accounts'."""
    query = select(ApiToken, User).join(User, col(User.id) == col(ApiToken.user_id))
    if actor.role == "body_admin":
        query = query.where(col(ApiToken.body_id) == actor.body_id)
    elif actor.role == "regulator":
        query = query.where(col(ApiToken.body_id).is_(None))
    elif actor.role != "system":
        query = query.where(col(ApiToken.user_id) == actor.user_id)
    rows = session.exec(query.order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc()))
    return [(token, user) for token, user in rows]


def _may_see(actor: Actor, token: ApiToken) -> bool:
    if actor.role == "system":
        return True
    if actor.role == "body_admin":
        return token.body_id == actor.body_id
    if actor.role == "regulator":
        return token.body_id is None
    return token.user_id == actor.user_id


def _require_manager(actor: Actor, user: User) -> None:
    """Who may issue or revoke a token of `user`."""
    allowed = (
        actor.role == "system"
        or actor.user_id == user.id
        or (actor.role == "body_admin" and user.body_id is not None and user.body_id == actor.body_id)
        or (actor.role == "regulator" and user.role == "regulator")
    )
    if not allowed:
        raise Forbidden("token-forbidden", "无权管理该账号的令牌。", "You may not manage this account's tokens.",
                        field="user_id")


def authenticate_token(session: Session, presented: str, *, now: datetime) -> tuple[ApiToken, User] | None:
    """The token and its account when `presented` is a live token of an active account; None otherwise."""
    token_id, _dot, secret = presented.removeprefix(PREFIX).partition(".")
    if not presented.startswith(PREFIX) or not token_id or not secret:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_id == token_id)).first()
    # Compared in constant time even when the id is unknown, so timing tells nothing about which ids exist.
    expected = row.secret_hash if row is not None else _digest("")
    if not hmac.compare_digest(expected, _digest(secret)) or row is None:
        return None
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_RESOLUTION:
        row.last_used_at = now
        session.commit()
    return row, user


def token_actor(token: ApiToken, user: User) -> Actor:
    """The token as the audit trail names it: the account, through which token."""
    return Actor(label=f"user:{user.username}/token:{token.token_id}", role=user.role, user_id=user.id,
                 body_id=user.body_id)
