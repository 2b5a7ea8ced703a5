"""Staff accounts: creation with role rules, argon2 password hashes, login with audited failures."""

from __future__ import annotations

import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from registry.errors import Conflict, Forbidden, InvalidInput, NotFound
from registry.models import User
from registry.models.user import ROLES
from registry.services.actors import Actor
from registry.services.audit import record_event
from registry.services.bodies import get_body, require_not_withdrawn
from registry.services.validation import require_text

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 10
# Verifying against this keeps a login for an unknown user as slow as one for a known user.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: str,
    body_id: int | None,
    actor: Actor,
    now: datetime,
) -> User:
    """The regulator creates regulators and body admins; a body admin creates its own staff."""
    if role not in ROLES:
        raise InvalidInput("role-unknown", f"未知角色：{role}。", f"Unknown role: {role}.", field="role")
    _authorise_creation(actor, role, body_id)
    if role == "regulator":
        body_id = None
    elif body_id is None:
        raise InvalidInput("body-required", "机构人员必须属于一个评价机构。", "Body staff need a body.",
                           field="body_id")
    else:
        require_not_withdrawn(get_body(session, body_id))
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise InvalidInput(
            "username-format",
            "用户名须为 3-64 位小写字母、数字、点、下划线或连字符，并以字母或数字开头。",
            "Username must be 3-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.",
            field="username",
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "password-too-short",
            f"密码至少 {MIN_PASSWORD_LENGTH} 个字符。",
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters.",
            field="password",
        )
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise InvalidInput("username-taken", f"用户名 {username} 已存在。", f"Username {username} is taken.",
                           field="username")
    user = User(
        username=username,
        display_name=require_text(display_name, "display_name", "姓名", "display name", 100),
        password_hash=_hasher.hash(password),
        role=role,
        body_id=body_id,
        created_at=now,
    )
    session.add(user)
    session.flush()
    record_event(
        session, actor=actor, action="user.created", object_type="user", object_id=user.id, now=now,
        after={"username": username, "role": role, "body_id": body_id},
    )
    session.commit()
    return user


def _authorise_creation(actor: Actor, role: str, body_id: int | None) -> None:
    if actor.role in ("regulator", "system"):
        return
    if actor.role == "body_admin" and role in ("assessor", "supervisor", "body_admin") and body_id == actor.body_id:
        return
    raise Forbidden(
        "user-create-forbidden",
        "无权创建该类账户。",
        "You may not create this kind of account.",
        field="role",
    )


def authenticate(session: Session, *, username: str, password: str, client: str, now: datetime) -> User | None:
    """The user if the password matches an active account; a failed attempt is audited."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and user is not None:
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
            session.commit()
        return user
    record_event(
        session, actor=f"client:{client}", action="login.failed", object_type="user",
        object_id=user.id if user else "-", now=now, after={"username": username[:64]},
    )
    session.commit()
    return None


def deactivate_user(session: Session, *, user_id: int, actor: Actor, now: datetime) -> User:
    """Close an account: it can no longer sign in, and its signed-in sessions end at their next request. The
    account stays (audit and approvals name it). A body admin closes its own body's staff, never itself."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("user-not-found", "未找到该账号。", "No such account.", field="user_id")
    if actor.role not in ("regulator", "system") and not (actor.role == "body_admin" and user.body_id is not None
                                                          and user.body_id == actor.body_id):
        raise Forbidden("user-deactivate-forbidden", "无权停用该账号。", "You may not deactivate this account.",
                        field="user_id")
    if user.id == actor.user_id:
        raise Conflict("user-deactivate-self", "不能停用自己的账号。", "You cannot deactivate your own account.",
                       field="user_id")
    if not user.active:
        raise Conflict("user-already-inactive", f"账号 {user.username} 已停用。",
                       f"Account {user.username} is already deactivated.", field="user_id")
    user.active = False
    record_event(session, actor=actor, action="user.deactivated", object_type="user", object_id=user.id, now=now,
                 before={"active": True}, after={"active": False, "username": user.username})
    session.commit()
    return user
