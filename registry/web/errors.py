"""A refused operation on a page: the same error page, the message in the reader's language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _

from registry.config import upload_size
from registry.errors import DomainError
from registry.uploads import allowed_upload
from registry.web.i18n import select_language


def domain_error_page(error: DomainError) -> Any:
    return render_template("error.html", title=_("无法完成"), message=error.message(select_language())), error.status


def _forbidden(error: Exception) -> Any:
    return render_template("error.html", title=_("无权访问"), message=_("您的账号不能查看或修改此内容。")), 403


def _not_found(error: Exception) -> Any:
    return render_template("error.html", title=_("页面不存在"), message=_("没有找到您要的页面或记录。")), 404


def _too_large_page() -> str:
    return render_template("error.html", title=_("上传的文件过大"), message=_(
        "上传的文件不能超过 %(size)s。请缩小文件，或拆成几个文件分批导入。",
        size=upload_size(allowed_upload())))


def _too_large(error: Exception) -> Any:
    """Werkzeug refused the request before reading it (MAX_CONTENT_LENGTH)."""
    return _too_large_page(), 413


def page_errors(bp: Blueprint) -> None:
    """A page blueprint's errors as pages, and CSRF checked on every post."""
    from registry.web.security import protect_forms

    bp.before_request(protect_forms)
    bp.register_error_handler(DomainError, domain_error_page)
    bp.register_error_handler(403, _forbidden)
    bp.register_error_handler(404, _not_found)
    bp.register_error_handler(413, _too_large)


def http_error_page(code: int, request_id: str | None) -> Any:
    """The page for an HTTP error outside any page blueprint (an unknown address, a crash)."""
    if code == 404:
        return render_template("error.html", title=_("页面不存在"), message=_("没有找到您要的页面或记录。"))
    if code == 413:
        return _too_large_page()
    if code >= 500:
        return render_template("error.html", title=_("系统出错"),
                               message=_("请稍后再试。如果问题持续，请告知编号 %(id)s。", id=request_id or "-"))
    return render_template("error.html", title=_("无法完成"), message=str(code))
