"""The regulator's console (/regulator): standards, bodies and scope, keys, revocations, audit, statistics."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from registry.web.errors import page_errors
from registry.web.staff import staff_required

bp = Blueprint("regulator", __name__, url_prefix="/regulator", template_folder="templates")
page_errors(bp)


@bp.get("")
@staff_required("regulator")
def home() -> Any:
    return render_template("error.html", title="regulator", message="")
