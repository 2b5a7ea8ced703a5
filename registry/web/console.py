"""The evaluation body's console (/console): batches, candidates and scores, approval, certificates, staff."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from registry.web.errors import page_errors
from registry.web.staff import current_actor, staff_required

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
page_errors(bp)


@bp.get("")
@staff_required("body_admin", "assessor", "supervisor")
def home() -> Any:
    return render_template("error.html", title="console", message=str(current_actor().body_id))
