"""Who is calling the API: an API token (`Authorization: Bearer skr_…`), or a staff account by HTTP Basic."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from flask import g, request
from limits import RateLimitItem, parse

from registry.db import get_session
from registry.errors import Forbidden, TooManyRequests, Unauthenticated
from registry.limits import limiter
from registry.services.actors import Actor
from registry.services.tokens import authenticate_token, token_actor
from registry.services.users import authenticate


def current_actor(*, write: bool = False) -> Actor:
    """The authenticated caller, or a 401 that tells the client how to authenticate.

    `write=True` for requests that change something: a read-only token is refused them (403).
    """
    if "api_actor" not in g:  # once per request, however many times it is asked
        g.api_actor, g.api_may_write, g.api_caller = _authenticate()
    if write and not g.api_may_write:
        raise Forbidden("token-read-only", "此 API 令牌只能读取，不能修改数据。",
                        "This API token is read-only: it cannot change anything.")
    actor: Actor = g.api_actor
    return actor


# Failed authentications allowed before 429: per username tried, and per client address (any scheme).
_PER_USERNAME = parse("5 per 15 minutes")
_PER_CLIENT = parse("30 per hour")


def _authenticate() -> tuple[Actor, bool, str]:
    """The caller, whether they may change things, and whose idempotency keys they use.

    Failures are counted here, before any view or request body is looked at, so that guessing passwords or
    tokens is throttled on every endpoint alike.
    """
    windows = _failure_windows()
    if not all(limiter.limiter.test(limit, key) for limit, key in windows):
        raise TooManyRequests("rate-limited", "认证失败次数过多，请稍后再试。",
                              "Too many failed sign-ins; please try again later.")
    try:
        return _check_credentials()
    except Unauthenticated:
        if request.authorization is not None:  # a request without credentials is not a guess
            for limit, key in windows:
                limiter.limiter.hit(limit, key)
        raise


def _failure_windows() -> list[tuple[RateLimitItem, str]]:
    windows: list[tuple[RateLimitItem, str]] = [(_PER_CLIENT, f"api-auth-client:{request.remote_addr or '-'}")]
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        windows.append((_PER_USERNAME, basic_username_key()))
    return windows


def _check_credentials() -> tuple[Actor, bool, str]:
    credentials = request.authorization
    now = datetime.now(UTC)
    if credentials is not None and credentials.type == "bearer" and credentials.token:
        found = authenticate_token(get_session(), credentials.token, now=now)
        if found is None:
            raise Unauthenticated("token-invalid", "API 令牌无效、已撤销或已过期。",
                                  "The API token is not valid, or was revoked or has expired.")
        token, user = found
        return token_actor(token, user), token.scope == "write", f"token:{token.token_id}"
    if credentials is None or credentials.type != "basic" or not credentials.username:
        raise Unauthenticated("login-required", "请提供 API 令牌（Bearer）或账号密码（HTTP Basic）。",
                              "Send an API token (Bearer) or a staff account's credentials (HTTP Basic).")
    account = authenticate(get_session(), username=credentials.username, password=credentials.password or "",
                           client=request.remote_addr or "-", now=now)
    if account is None:
        raise Unauthenticated("login-failed", "用户名或密码不正确。", "Wrong username or password.")
    return Actor.of(account), True, f"user:{account.id}"


def caller_key() -> str:
    """Whom rate limits count: the token or username presented (hashed), else the client address."""
    credentials = request.authorization
    if credentials is None:
        return f"ip:{request.remote_addr or '-'}"
    presented = credentials.token if credentials.type == "bearer" else (credentials.username or "").strip().lower()
    return f"{credentials.type}:" + hashlib.sha256((presented or "").encode()).hexdigest()[:24]


def basic_username_key() -> str:
    """Failed sign-ins count against the username tried (hashed), like the console's sign-in page."""
    credentials = request.authorization
    name = (credentials.username or "") if credentials is not None else ""
    return "api-user:" + hashlib.sha256(name.strip().lower().encode()).hexdigest()[:24]

