"""Public catalogues: the filed evaluation bodies (/bodies) and the published standards (/standards)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from certificates import PROVINCES
from registry.db import get_read_session
from registry.errors import NotFound
from registry.models import pk
from registry.services.bodies import PublicBody, find_body, public_key_info, public_scope, search_bodies
from registry.services.clock import CHINA
from registry.services.standards import as_version, catalogue, occupation_versions
from registry.web.errors import page_errors
from standards import level_label

bp = Blueprint("catalogue", __name__, template_folder="templates")
page_errors(bp)

MAX_QUERY = 100


def _today() -> date:
    """Which standard is current, and which scope is in force, is decided on China's calendar."""
    return datetime.now(CHINA).date()


def _lang() -> str:
    locale = get_locale()
    return locale.language if locale else "zh"


@bp.get("/bodies")
def bodies() -> Any:
    """Every filed body, whatever its status, 50 to a page; ?q= matches the name or the credit code."""
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY]
    listing = search_bodies(get_read_session(), query=query, page=request.args.get("page", 1, type=int))
    if listing.page > listing.pages:
        raise NotFound("page-not-found", "机构目录没有这一页。", "The catalogue has no such page.", field="page")
    return render_template("bodies.html", listing=listing, query=query)


@bp.get("/bodies/<string:credit_code>")
def body(credit_code: str) -> Any:
    """One body: what it is, its status, its filed scope and the key it signs with (the certificate's
    body lookup address points here)."""
    session = get_read_session()
    found = find_body(session, credit_code)
    return render_template(
        "body.html", body=PublicBody.of(found), scope=public_scope(session, pk(found), today=_today()),
        key=public_key_info(session, pk(found)),
    )


@bp.get("/standards")
def standards_catalogue() -> Any:
    return render_template("standards.html", entries=catalogue(get_read_session(), today=_today()))


@bp.get("/standards/<string:code>")
def standard(code: str) -> Any:
    """One occupation's versions, newest first, each with its levels, 工种 and components."""
    entries = occupation_versions(get_read_session(), code, today=_today())
    return render_template("standard.html", code=code,
                           versions=[(entry, as_version(entry.row)) for entry in reversed(entries)])


@bp.errorhandler(NotFound)
def not_found(error: NotFound) -> Any:
    """An unknown body or occupation: the page-not-found title, the service's words for what is missing."""
    return render_template("error.html", title=_("页面不存在"), message=error.message(_lang())), 404


@bp.context_processor
def _labels() -> dict[str, Any]:
    lang = _lang()

    def body_status(status: str) -> str:
        return {"active": _("正常"), "suspended": _("暂停"), "withdrawn": _("已撤销备案")}.get(status, status)

    def body_kind(kind: str) -> str:
        return {"Y": _("用人单位"), "S": _("社会培训评价组织")}.get(kind, kind)

    def standard_status(status: str) -> str:
        return {"current": _("现行"), "superseded": _("已被新版替代"), "upcoming": _("尚未施行")}.get(status, status)

    def scope_state(state: str) -> str:
        return {"in-force": _("有效期内"), "upcoming": _("尚未生效"), "expired": _("已到期"),
                "withdrawn": _("已撤回")}.get(state, state)

    def province(code: str) -> str:
        names = PROVINCES.get(code)
        return (names[1] if lang == "en" else names[0]) if names else code

    def level_name(digit: int) -> str:
        return level_label(digit, "en" if lang == "en" else "zh")

    return {"body_status": body_status, "body_kind": body_kind, "standard_status": standard_status,
            "scope_state": scope_state, "province": province, "level_name": level_name}
