"""Who is calling the API: HTTP Basic with a staff account (API tokens replace this for machines later)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from flask import request

from registry.db import get_session
from registry.errors import Unauthenticated
from registry.services.actors import Actor
from registry.services.users import authenticate


def current_actor(*, write: bool = False) -> Actor:
    """The authenticated caller, or a 401 that tells the client how to authenticate.

    `write=True` for requests that change something: a read-only token is refused them (403).
    """
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        raise Unauthenticated("login-required", "请使用机构或监管账号登录（HTTP Basic）。",
                           "Sign in with a body or regulator account (HTTP Basic).")
    user = authenticate(get_session(), username=credentials.username, password=credentials.password or "",
                        client=request.remote_addr or "-", now=datetime.now(UTC))
    if user is None:
        raise Unauthenticated("login-failed", "用户名或密码不正确。", "Wrong username or password.")
    return Actor.of(user)


def basic_username_key() -> str:
    """Failed sign-ins count against the username tried (hashed), like the console's sign-in page."""
    credentials = request.authorization
    name = (credentials.username or "") if credentials is not None else ""
    return "api-user:" + hashlib.sha256(name.strip().lower().encode()).hexdigest()[:24]


def failed_sign_in(response: Any) -> bool:
    return response.status_code == HTTPStatus.UNAUTHORIZED
