"""How API tests authenticate a staff actor (one place, so every API test follows the real scheme)."""

from __future__ import annotations

import base64

from tests import factories as f


def auth_headers(session, actor, *, write: bool = True) -> dict[str, str]:
    """Headers that authenticate `actor` (a factories staff Actor) for reading, or reading and writing."""
    del session, write  # tokens come next; HTTP Basic until then
    username = actor.label.removeprefix("user:")
    token = base64.b64encode(f"{username}:{f.PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
