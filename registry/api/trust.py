"""The files offline verifiers fetch under /.well-known/ (docs/trust-bundle.md).

Each is made (and signed by the root) at most once per FRESHNESS per process and served from memory in
between, so anonymous traffic never drives the root key or a full scan of the revocations.
What the QR code opens, /v/<payload>, is a page of registry.web (JSON when asked for).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, json

from registry.db import get_read_session
from registry.limits import limiter
from registry.runtime import vault_for
from registry.services.trust import status_snapshot, trust_bundle

bp = Blueprint("trust", __name__)
WELL_KNOWN = "/.well-known/skill-registry"
FRESHNESS = 300  # seconds; also the Cache-Control max-age

_lock = threading.Lock()


def _cached(name: str, make: Callable[[], dict[str, Any]]) -> bytes:
    store: dict[str, tuple[float, bytes]] = current_app.extensions.setdefault("registry.trust_files", {})
    now = time.monotonic()
    with _lock:
        kept = store.get(name)
        if kept is None or now - kept[0] > FRESHNESS:
            body = json.dumps(make(), ensure_ascii=False, indent=2, sort_keys=True).encode()
            kept = store[name] = (now, body)
    return kept[1]


def _json_file(body: bytes, name: str) -> Response:
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={FRESHNESS}"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.get(f"{WELL_KNOWN}/trust.json")
@limiter.limit(lambda: current_app.config["VERIFY_CEILING"])
def trust() -> Response:
    """The trust bundle: root certificate and every body key, signed by the root."""
    body = _cached("trust.json", lambda: trust_bundle(get_read_session(), vault_for(current_app),
                                                      now=datetime.now(UTC),
                                                      registry_url=current_app.config["BASE_URL"]))
    return _json_file(body, "trust.json")


@bp.get(f"{WELL_KNOWN}/status.json")
@limiter.limit(lambda: current_app.config["VERIFY_CEILING"])
def status() -> Response:
    """The status snapshot: every revoked or superseded certificate, signed by the root."""
    body = _cached("status.json", lambda: status_snapshot(get_read_session(), vault_for(current_app),
                                                          now=datetime.now(UTC)))
    return _json_file(body, "status.json")
