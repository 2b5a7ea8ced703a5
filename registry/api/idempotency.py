"""`Idempotency-Key` on creating requests: the same key and body give the same answer, once.

A view opts in with `@idempotent` (innermost decorator). The key is claimed before the view runs and the
answer kept after it; a repeat gets that answer (with `Idempotent-Replayed: true`), the same key with another
body gets 422, and a concurrent duplicate waits for the first request's answer (registry.services.idempotency).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request

from registry.api.auth import current_actor
from registry.db import get_session
from registry.services.idempotency import Answer, check_key, claim, record_answer, release

HEADER = "Idempotency-Key"
_KEPT_HEADERS = ("Content-Type", "Location", "Content-Disposition")


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a creating view (POST) as honouring the `Idempotency-Key` header."""
    setattr(view, "idempotent", True)  # noqa: B010  (copied outwards by functools.wraps)
    return view


def init_app(app: Flask) -> None:
    app.before_request(_claim)
    app.after_request(_keep_answer)
    app.teardown_request(_release_unanswered)


def _opted_in() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, request.method.lower(), None) if view_class is not None else view
    return bool(getattr(handler, "idempotent", False))


def _claim() -> Response | None:
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST" or not _opted_in():
        return None
    check_key(key)
    current_actor(write=True)  # the key space is the caller's, so they must be known first
    outcome = claim(get_session(), caller=g.api_caller, key=key, fingerprint=_fingerprint(), now=datetime.now(UTC))
    if isinstance(outcome, Answer):
        replay = current_app.response_class(outcome.body, status=outcome.status_code, headers=outcome.headers)
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
    g.idempotency_claim = outcome
    return None


def _fingerprint() -> str:
    """What makes two requests the same: method, path, query and body.

    A multipart body (a file upload) is taken part by part, each file's own bytes included: the boundary between
    the parts is chosen afresh by the client for every request, so the raw body of a retry differs from the first.
    """
    digest = hashlib.sha256(f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode())
    if request.mimetype != "multipart/form-data":
        digest.update(request.get_data())
        return digest.hexdigest()
    for name, value in sorted(request.form.items(multi=True)):
        digest.update(json.dumps(["field", name, value]).encode() + b"\n")
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):  # stable: keeps order
        stream = upload.stream
        stream.seek(0, io.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        digest.update(json.dumps(["file", name, upload.filename, size]).encode() + b"\n")
        while chunk := stream.read(1 << 16):
            digest.update(chunk)
        stream.seek(0)  # the view reads the file again
    return digest.hexdigest()


def _keep_answer(response: Response) -> Response:
    claim_id = g.pop("idempotency_claim", None)
    if claim_id is None:
        return response
    if response.status_code >= 500 or response.is_streamed:
        release(get_session(), claim_id)
    else:
        headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
        record_answer(get_session(), claim_id, Answer(response.status_code, headers, response.get_data()))
    return response


def _release_unanswered(_error: BaseException | None) -> None:
    claim_id = g.pop("idempotency_claim", None)
    if claim_id is not None:
        release(get_session(), claim_id)
