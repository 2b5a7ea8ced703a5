"""JSON API v1: one error shape for every failure, `reason` a stable slug."""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from registry.api import idempotency
from registry.api.auth import caller_key, current_actor
from registry.errors import DomainError
from registry.limits import limiter

log = logging.getLogger(__name__)

_REASONS = {422: "validation-failed", 429: "rate-limited", 404: "not-found", 405: "method-not-allowed",
            400: "bad-request", 500: "internal-error"}


def reader_language() -> str:
    return request.accept_languages.best_match(["zh", "en"], default="zh") or "zh"


class RegistryApi(Api):
    def handle_http_exception(self, error: HTTPException) -> Any:
        payload, code, headers = super().handle_http_exception(error)
        payload.setdefault("reason", _REASONS.get(code, "http-error"))
        if "message" not in payload:
            if code == 422:
                payload["message"] = ("请求数据不符合要求。" if reader_language() == "zh"
                                      else "The request data is not valid.")
            elif code == 429:
                payload["message"] = ("查询过于频繁，请稍后再试。" if reader_language() == "zh"
                                      else "Too many lookups; please try again later.")
            else:
                payload["message"] = error.description if code < 500 else "Internal error"
        if code >= 500:
            request_id = uuid.uuid4().hex[:12]
            original = getattr(error, "original_exception", None) or error
            log.error("unhandled error, request id %s", request_id, exc_info=original)
            payload["message"] = f"Internal error (request id {request_id})"
            payload["request_id"] = request_id
        page = current_app.extensions.get("registry.error_page")
        if page is not None and _wants_page():
            return page(code, payload.get("request_id")), code, headers
        return payload, code, headers


def _wants_page() -> bool:
    """A person's browser outside the API gets an error page; programs and API paths get the JSON shape."""
    if request.path.startswith(("/api/", "/.well-known/")):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


api = RegistryApi()


def handle_domain_error(error: DomainError) -> Any:
    status = error.status
    payload: dict[str, Any] = {
        "code": status,
        "status": _status_name(status),
        "message": error.message(reader_language()),
        "reason": error.reason,
    }
    if error.field:
        payload["field"] = error.field
    if status == HTTPStatus.UNAUTHORIZED:
        return payload, status, {"WWW-Authenticate": 'Bearer realm="registry", Basic realm="registry", charset="UTF-8"'}
    return payload, status


def _status_name(code: int) -> str:
    return HTTPStatus(code).phrase


_BUDGETED: set[str] = set()


def init_app(app: Flask) -> None:
    from registry.api.batches import blp as batches_blp
    from registry.api.bodies import blp as bodies_blp
    from registry.api.certificates import blp as certificates_blp
    from registry.api.docs import bp as docs_bp
    from registry.api.standards import blp as standards_blp
    from registry.api.statistics import blp as statistics_blp
    from registry.api.trust import bp as trust_bp
    from registry.api.verify import blp as verify_blp

    app.config.setdefault("API_TITLE", "Skill-level certification registry")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api.init_app(app)
    api.register_blueprint(verify_blp, url_prefix="/api/v1")
    for blueprint in (certificates_blp, standards_blp, bodies_blp, batches_blp, statistics_blp):
        if blueprint.name not in _BUDGETED:  # the limiter is global: one budget per blueprint, however many apps
            limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=caller_key)(blueprint)
            _BUDGETED.add(blueprint.name)
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    # Published national standards are public; the rest is for staff and their tokens.
    app.extensions["registry.api_private"] = {b.name for b in (certificates_blp, bodies_blp, batches_blp,
                                                                statistics_blp)}
    app.before_request(_authenticated)
    app.register_blueprint(trust_bp)
    app.register_blueprint(docs_bp)
    app.register_error_handler(DomainError, handle_domain_error)
    idempotency.init_app(app)
    app.add_url_rule("/api/v1/", "api_index", _index)


def _authenticated() -> None:
    """Who calls, before the request body is even read: a stranger gets 401 and a read-only token 403, never
    a validation error that would tell them about the endpoint."""
    if request.blueprint in current_app.extensions["registry.api_private"]:
        current_actor(write=request.method not in ("GET", "HEAD", "OPTIONS"))


def _index() -> Any:
    """What this server offers, until the web pages arrive."""
    return {
        "service": "职业技能等级证书登记系统 / Skill-level certification registry",
        "verify": {"method": "POST", "path": "/api/v1/verify",
                   "body": {"number": "证书编号 (22 characters)", "name": "姓名"},
                   "or": {"id_number": "证件号码", "name": "姓名"}},
        "qr": {"method": "GET", "path": "/v/<digits>", "format": "docs/verification-format.md"},
        "trust_bundle": "/.well-known/skill-registry/trust.json",
        "status_snapshot": "/.well-known/skill-registry/status.json",
        "openapi": "/api/v1/openapi.json",
    }
