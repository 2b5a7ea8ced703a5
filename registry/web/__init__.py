"""Server-rendered pages: verification, lookup and public catalogues (the consoles come later).

Chinese is the source language of every message (the msgid), English its translation (translations/en);
the reader's language comes from ?lang=, then the `lang` cookie, then Accept-Language, else zh.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, g, request, url_for
from flask_babel import Babel, format_date, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

from certificates import ID_TYPES
from certificates.record import NO_WORK_TYPE
from registry.db import get_session
from registry.services.standards import occupation_names
from registry.web.errors import http_error_page
from registry.web.i18n import LANGUAGES, select_language
from registry.web.security import csrf, security_headers
from standards.levels import LEVELS


def init_app(app: Flask) -> None:
    from registry.web import console, console_body, console_certificates, console_uploads  # noqa: F401  (routes)
    from registry.web.catalogue import bp as catalogue_bp
    from registry.web.console_base import bp as console_bp
    from registry.web.holder import SESSION_LIFETIME
    from registry.web.holder import bp as holder_bp
    from registry.web.public import bp as public_bp
    from registry.web.regulator import bp as regulator_bp
    from registry.web.staff import init_staff

    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "web/translations")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")  # a moment's date is the date in China
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tied to the session instead of a clock
    # Every page's POST is checked (below); the JSON API authenticates each request and sets no cookie.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["ENV"] != "development" and not app.config.get("TESTING"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    Babel(app, locale_selector=select_language)
    csrf.init_app(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(holder_bp)
    init_staff(app)
    app.register_blueprint(console_bp)
    app.register_blueprint(regulator_bp)
    app.extensions["registry.error_page"] = http_error_page
    app.after_request(security_headers)
    app.context_processor(_page_context)
    app.add_template_filter(_day, "day")
    app.add_template_filter(format_decimal, "number")
    app.add_template_filter(_work_type, "work_type")
    app.add_template_filter(_id_type_en, "id_type_en")
    app.add_template_filter(_standard_ref, "standard_ref")
    app.add_template_global(_occupation_en, "occupation_en")
    app.add_template_filter(_level_en, "level_en")
    app.add_template_filter(_status_label, "status_label")


def _day(day: date | None) -> str:
    """A date as the reader writes it: 2026年5月20日 or 20 May 2026."""
    return format_date(day, "long") if day else ""


def _work_type(value: str | None) -> Markup:
    """A registered 工种 (Chinese in either language), or the reader's word for none."""
    if not value or value == NO_WORK_TYPE:
        return escape(_("无"))
    return Markup('<span lang="zh-CN">%s</span>') % value


def _id_type_en(code: str) -> str:
    return ID_TYPES.get(code, ("", ""))[1]


def _standard_ref(ref: str) -> str:
    """`6-31-01-03@2018` as a reader writes it: 6-31-01-03（2018年版） or 6-31-01-03 (2018 edition)."""
    code, _sep, version = ref.partition("@")
    return _("%(code)s（%(year)s年版）", code=code, year=version) if version else ref


def _occupation_en(code: str) -> str:
    """The English name of an occupation, from its newest published standard ("" when unknown).

    Asked once per code and request: a holder's page shows many certificates of few occupations.
    """
    known: dict[str, str] = g.setdefault("occupation_en", {})
    if code not in known:
        known[code] = occupation_names(get_session(), [code]).get(code, ("", ""))[1]
    return known[code]


def _level_en(digit: int) -> str:
    info = LEVELS.get(digit)
    return info.label_en if info else ""


def _status_label(status: str) -> str:
    return {"valid": _("有效"), "revoked": _("已撤销"), "superseded": _("已被替代")}.get(status, status)


def _page_context() -> dict[str, Any]:
    language = select_language()
    other = "en" if language == "zh" else "zh"
    if request.endpoint and request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        switch = this_page(lang=other)
    else:
        switch = url_for("public.home", lang=other)
    return {"lang": language, "html_lang": LANGUAGES[language], "other_lang": other, "switch_url": switch,
            "page_url": lambda page: this_page(page=page)}


def this_page(**changes: Any) -> str:
    """This page's address with the same filters, some of them changed (language, page of results)."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args, **changes}
    return url_for(request.endpoint or "public.home", **values)

