"""How API tests authenticate a staff actor: with an API token of that account, as programs do."""

from __future__ import annotations

import base64

from registry.services.actors import SYSTEM
from registry.services.tokens import create_token
from tests import factories as f


def auth_headers(session, actor, *, write: bool = True) -> dict[str, str]:
    """`Authorization` for `actor` (a factories staff Actor): a read-write token, or a read-only one."""
    issued = create_token(session, user_id=actor.user_id, name="tests", scope="write" if write else "read",
                          actor=SYSTEM, now=f.NOW)
    return {"Authorization": f"Bearer {issued.secret}"}


def basic_headers(actor) -> dict[str, str]:
    """HTTP Basic with the account's password: for people trying the API by hand."""
    username = actor.label.removeprefix("user:")
    token = base64.b64encode(f"{username}:{f.PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
