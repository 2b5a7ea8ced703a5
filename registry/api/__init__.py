"""JSON API v1: one error shape for every failure, `reason` a stable slug."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from registry.api import idempotency
from registry.api.auth import caller_key, current_actor
from registry.config import upload_size
from registry.errors import DomainError
from registry.limits import limiter
from registry.schemas.common import ErrorSchema
from registry.uploads import allowed_upload

log = logging.getLogger(__name__)

_REASONS = {422: "validation-failed", 429: "rate-limited", 404: "not-found", 405: "method-not-allowed",
            400: "bad-request", 413: "too-large", 500: "internal-error"}


def reader_language() -> str:
    return request.accept_languages.best_match(["zh", "en"], default="zh") or "zh"


# Every operation but the public ones (security: []) needs one of these.
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "skr token",
                   "description": "An API token: `Authorization: Bearer skr_…` (read-only or read-write)"},
    "basicAuth": {"type": "http", "scheme": "basic",
                  "description": "A staff account's username and password (HTTP Basic)"},
}
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"basicAuth": []}]


class RegistryApi(Api):
    # The one error shape (DomainError and HTTP errors alike): flask-smorest's `Error` component, which every
    # operation's `default` response and the lazily registered status responses point to.
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        payload, code, headers = super().handle_http_exception(error)
        payload.setdefault("reason", _REASONS.get(code, "http-error"))
        if code == 422 and isinstance(payload.get("errors"), Mapping):
            field = first_invalid_field(payload["errors"])
            if field is not None:
                payload.setdefault("field", field)
        if "message" not in payload:
            if code == 422:
                payload["message"] = ("请求数据不符合要求。" if reader_language() == "zh"
                                      else "The request data is not valid.")
            elif code == 429:
                payload["message"] = ("查询过于频繁，请稍后再试。" if reader_language() == "zh"
                                      else "Too many lookups; please try again later.")
            elif code == 413:
                size = upload_size(allowed_upload())
                payload["message"] = (f"请求过大：上传的文件不能超过 {size}。" if reader_language() == "zh"
                                      else f"The request is too large: an uploaded file may be at most {size}.")
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


def first_invalid_field(errors: Mapping[Any, Any]) -> str | None:
    """The first input marshmallow refused, named as the API names inputs, without its location.

    `{"json": {"name": [...]}}` gives `name`; `{"json": {"candidates": {1: {"id_number": [...]}}}}` gives
    `candidates[1].id_number`; a dictionary field's entry `{"scores": {"review": {"key": [...]}}}` gives
    `scores.review`. None when only the input as a whole was refused.
    """
    for messages in errors.values():  # by location: json, query, path, headers…
        found = _first_path(messages, "")
        if found:
            return found
    return None


def _first_path(node: Any, prefix: str) -> str | None:
    if not isinstance(node, Mapping):
        return prefix or None  # the messages of the field reached
    if prefix and node and set(node) <= {"key", "value"} and all(not isinstance(v, Mapping) for v in node.values()):
        return prefix  # a dictionary field: its entry's key or value was refused
    for key, sub in node.items():
        if key == "_schema":  # the object as a whole (a @validates_schema without a field name)
            if prefix:
                return prefix
            continue
        step = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else str(key)
        found = _first_path(sub, step)
        if found:
            return found
    return None


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
    from registry.api.imports import blp as imports_blp
    from registry.api.jobs import blp as jobs_blp
    from registry.api.photos import blp as photos_blp
    from registry.api.standards import blp as standards_blp
    from registry.api.statistics import blp as statistics_blp
    from registry.api.status_lists import blp as status_lists_blp
    from registry.api.trust import bp as trust_bp
    from registry.api.verify import blp as verify_blp

    app.config.setdefault("API_TITLE", "Skill-level certification registry")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api.init_app(app, spec_kwargs={"security": SECURITY})  # private by default; public operations say security: []
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    api.spec.tag({"name": "service", "description": "What this server offers (public)"})
    api.register_blueprint(verify_blp, url_prefix="/api/v1")
    api.register_blueprint(status_lists_blp, url_prefix="/api/v1")  # public, like verification
    for blueprint in (certificates_blp, standards_blp, bodies_blp, batches_blp, imports_blp, statistics_blp,
                      jobs_blp, photos_blp):
        if blueprint.name not in _BUDGETED:  # the limiter is global: one budget per blueprint, however many apps
            limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=caller_key)(blueprint)
            _BUDGETED.add(blueprint.name)
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    # Published national standards are public; the rest is for staff and their tokens.
    app.extensions["registry.api_private"] = {b.name for b in (certificates_blp, bodies_blp, batches_blp,
                                                                imports_blp, statistics_blp, jobs_blp,
                                                                photos_blp)}
    app.before_request(_authenticated)
    app.after_request(_private)
    app.register_blueprint(trust_bp)
    app.register_blueprint(docs_bp)
    app.register_error_handler(DomainError, handle_domain_error)
    idempotency.init_app(app)
    app.add_url_rule("/api/v1/", "api_index", _index)
    api.spec.path(rule=next(app.url_map.iter_rules("api_index")), operations={"get": _INDEX_OPERATION})


def _authenticated() -> None:
    """Who calls, before the request body is even read: a stranger gets 401 and a read-only token 403, never
    a validation error that would tell them about the endpoint."""
    if request.blueprint in current_app.extensions["registry.api_private"]:
        current_actor(write=request.method not in ("GET", "HEAD", "OPTIONS"))


def _private(response: Response) -> Response:
    """Every answer of a private endpoint is for its caller alone (full ID numbers, photos, a body's batches):
    never kept by a browser or a shared cache."""
    if request.blueprint in current_app.extensions["registry.api_private"]:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _index() -> Any:
    """What this server offers, until the web pages arrive."""
    return _INDEX


_INDEX = {
    "service": "职业技能等级证书登记系统 / Skill-level certification registry",
    "verify": {"method": "POST", "path": "/api/v1/verify",
               "body": {"number": "证书编号 (22 characters)", "name": "姓名"},
               "or": {"id_number": "证件号码", "name": "姓名"}},
    "qr": {"method": "GET", "path": "/v/<digits>", "format": "docs/verification-format.md"},
    "trust_bundle": "/.well-known/skill-registry/trust.json",
    "status_snapshot": "/.well-known/skill-registry/status.json",
    "openapi": "/api/v1/openapi.json",
}

# The index is a plain Flask view: documented here, by hand, as the blueprints' operations are by flask-smorest.
_INDEX_OPERATION: dict[str, Any] = {
    "tags": ["service"],
    "summary": "What this server offers: verification, the QR format, the trust bundle and this document.",
    "description": "Public (no authentication).",
    "security": [],
    "responses": {
        "200": {"description": "Where the public services are",
                "content": {"application/json": {"schema": {"type": "object"}, "example": _INDEX}}},
        "default": RegistryApi.DEFAULT_ERROR_RESPONSE_NAME,
    },
}
