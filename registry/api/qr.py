"""What the QR code opens (/v/<payload>), and the files offline verifiers fetch under /.well-known/.

JSON for now; the web pages give /v/ a human face later, from the same service.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, json

from registry.db import get_read_session
from registry.limits import limiter
from registry.runtime import vault_for
from registry.services.qr_check import check_qr
from registry.services.trust import status_snapshot, trust_bundle

bp = Blueprint("qr", __name__)
WELL_KNOWN = "/.well-known/skill-registry"


@bp.get("/v/<string:digits>")
@limiter.limit(lambda: current_app.config["VERIFY_CEILING"])
def qr_check(digits: str) -> Any:
    """Genuine or not, and the current status; personal details (ID masked) only for a genuine payload."""
    check = check_qr(get_read_session(), digits)
    answer: dict[str, Any] = {
        "genuine": check.genuine, "outcome": check.outcome,
        "message_zh": check.message_zh, "message_en": check.message_en,
    }
    if check.genuine and check.result is not None:
        result = asdict(check.result)
        result["issued_on"] = check.result.issued_on.isoformat()
        if check.result.revoked_on:
            result["revoked_on"] = check.result.revoked_on.isoformat()
        answer["status"] = check.result.status
        answer["certificate"] = result
        answer["checks"] = {"qr_signature": True, "key_issued_by_registry": True,
                            "matches_registry_record": True, "record_signature": check.result.genuine}
    response = current_app.response_class(json.dumps(answer, ensure_ascii=False), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"  # the status can change at any moment
    return response


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
