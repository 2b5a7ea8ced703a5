"""Public pages: what the QR code opens (/v/...), the manual lookup (/verify) and the home page."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, current_app, json, render_template, request
from flask_babel import gettext as _

from registry.db import get_read_session
from registry.limits import limiter
from registry.services.qr_check import check_qr
from registry.services.verification import VerificationResult, verify_by_id_number, verify_by_number
from registry.web.errors import page_errors
from registry.web.forms import LookupForm

bp = Blueprint("public", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")
page_errors(bp)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.args.get("format") == "json" or (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


@bp.get("/")
def home() -> str:
    return render_template("home.html", form=LookupForm())


@bp.get("/v/<string:digits>")
@limiter.limit(lambda: current_app.config["VERIFY_CEILING"])
def qr(digits: str) -> Any:
    """The page a phone camera opens: genuine and valid (green), genuine but no longer valid (amber), not
    genuine (red); details only behind a valid signature. JSON for programs that ask for it."""
    check = check_qr(get_read_session(), digits)
    if _wants_json():
        return _qr_json(check)
    response = Response(render_template("qr.html", check=check, result=check.result))
    response.headers["Cache-Control"] = "no-store"  # the status can change at any moment
    return response


def _qr_json(check: Any) -> Response:
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
    response.headers["Cache-Control"] = "no-store"
    return response


def _is_miss(response: Response) -> bool:
    return request.method == "POST" and response.headers.get("X-Lookup-Result") != "found"


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], deduct_when=_is_miss, methods=["POST"])
@limiter.limit(lambda: current_app.config["VERIFY_CEILING"], methods=["POST"])
def lookup() -> Any:
    """证书编号 + 姓名, or 证件号码 + 姓名, as on the national lookup; misses are rate-limited."""
    form = LookupForm()
    results: list[VerificationResult] | None = None
    if form.validate_on_submit():
        session = get_read_session()
        if form.kind.data == "number":
            results = verify_by_number(session, number=form.identifier.data, name=form.name.data)
        else:
            results = verify_by_id_number(session, id_number=form.identifier.data, name=form.name.data)
    response = Response(render_template("lookup.html", form=form, results=results),
                        status=422 if form.errors else 200)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Lookup-Result"] = "found" if results else "none"
    return response


@bp.errorhandler(429)
def too_many(error: Exception) -> Any:
    return render_template("error.html", title=_("查询过于频繁"),
                           message=_("请稍后再试。为防止批量查询，每个网络地址的查询次数有限制。")), 429
