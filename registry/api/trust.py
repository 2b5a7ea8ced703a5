"""The files offline verifiers fetch under /.well-known/ (docs/trust-bundle.md).

What the QR code opens, /v/<payload>, is a page of registry.web (JSON when asked for).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, json

from registry.db import get_read_session
from registry.runtime import vault_for
from registry.services.trust import status_snapshot, trust_bundle

bp = Blueprint("qr", __name__)
WELL_KNOWN = "/.well-known/skill-registry"


def _json_file(document: dict[str, Any], name: str) -> Response:
    response = current_app.response_class(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True),
                                          mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.get(f"{WELL_KNOWN}/trust.json")
def trust() -> Response:
    """The trust bundle: root certificate and every body key, signed by the root."""
    bundle = trust_bundle(get_read_session(), vault_for(current_app), now=datetime.now(UTC),
                          registry_url=current_app.config["BASE_URL"])
    return _json_file(bundle, "trust.json")


@bp.get(f"{WELL_KNOWN}/status.json")
def status() -> Response:
    """The status snapshot: every revoked or superseded certificate, signed by the root."""
    return _json_file(status_snapshot(get_read_session(), vault_for(current_app), now=datetime.now(UTC)),
                      "status.json")
