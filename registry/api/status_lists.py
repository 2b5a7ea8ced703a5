"""/api/v1/status-lists/<key id>/<n>: the Bitstring Status Lists that Open Badges verifiers fetch (public).

A list is signed again only when its bits changed or it is older than the TTL; in between the same bytes are served
from memory, so anonymous traffic drives a small indexed query, not the signing key.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from registry.db import get_read_session
from registry.limits import limiter
from registry.runtime import vault_for
from registry.schemas.common import ErrorSchema
from registry.services.badges import STATUS_LIST_TTL, credential_json, signed_status_list, status_list_facts

blp = Blueprint("status_lists", __name__, description="Revocation status lists of Open Badges credentials (public)")
MEDIA_TYPE = "application/ld+json"
_lock = threading.Lock()


@blp.route("/status-lists/<string:key_id>/<int:list_number>")
class StatusList(MethodView):
    decorators = [limiter.limit(lambda: current_app.config["VERIFY_CEILING"])]

    @blp.response(200, content_type=MEDIA_TYPE,
                  description="A BitstringStatusListCredential (statusPurpose revocation), signed by the key "
                              "that signed the credentials pointing to it")
    @blp.alt_response(404, schema=ErrorSchema, description="No credential key with that id, or no such list")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many requests from this client")
    @blp.doc(security=[])  # public: verifiers of any holder's credential fetch it
    def get(self, key_id: str, list_number: int) -> Response:
        """A status list: bit n set when the certificate at index n is revoked or superseded."""
        facts = status_list_facts(get_read_session(), key_id=key_id, list_number=list_number)
        store: dict[tuple[str, int], tuple[float, tuple[int, ...], bytes]] = current_app.extensions.setdefault(
            "registry.status_lists", {})
        now = time.monotonic()
        with _lock:
            kept = store.get((key_id, list_number))
            if kept is None or kept[1] != facts.revoked or now - kept[0] > STATUS_LIST_TTL.total_seconds():
                document = signed_status_list(vault_for(current_app), facts, base_url=current_app.config["BASE_URL"],
                                              now=datetime.now(UTC))
                kept = store[(key_id, list_number)] = (now, facts.revoked, credential_json(document))
        response = current_app.response_class(kept[2], mimetype=MEDIA_TYPE)
        response.headers["Cache-Control"] = f"public, max-age={int(STATUS_LIST_TTL.total_seconds())}"
        response.headers["Access-Control-Allow-Origin"] = "*"  # browser wallets verify from other origins
        return response
