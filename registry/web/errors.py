"""A refused operation on a page: the same error page, the message in the reader's language."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext as _

from registry.errors import DomainError
from registry.web.i18n import select_language


def domain_error_page(error: DomainError) -> Any:
    return render_template("error.html", title=_("无法完成"), message=error.message(select_language())), error.status
