"""The reader's language: an explicit choice (?lang= or the cookie it sets), else Accept-Language, else Chinese."""

from __future__ import annotations

from flask import g, request

LANGUAGES = {"zh": "zh-CN", "en": "en"}


def select_language() -> str:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        g.set_language = chosen
        return chosen
    cookie = request.cookies.get("lang")
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(list(LANGUAGES), default="zh") or "zh"
