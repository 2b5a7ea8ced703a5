"""What every page of the body's console shares: its blueprint (private, never cached), and the labels,
clock and error placement its pages use."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response
from flask_wtf import FlaskForm

import standards
from certificates import ID_TYPES
from registry.errors import DomainError
from registry.services.clock import CHINA
from registry.web.errors import page_errors
from registry.web.i18n import select_language

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
page_errors(bp)

BODY_STAFF = ("body_admin", "assessor", "supervisor")


@bp.after_request
def _private(response: Response) -> Response:
    """Console pages carry full ID numbers: never kept by a browser or a proxy."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.context_processor
def _labels() -> dict[str, Any]:
    """Labels of data (levels, 证件类型) in the reader's language, for the console's templates."""
    return {"level_label": level_text, "id_type_label": id_type_label}


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(CHINA).date()


def english() -> bool:
    return select_language() == "en"


def place_error(form: FlaskForm, err: DomainError, fields: dict[str, str]) -> str | None:
    """Put a service's error next to the form field it names; the message to show above the form otherwise."""
    target = fields.get(err.field or "")
    field = getattr(form, target, None) if target else None
    message = err.message(select_language())
    if field is None:
        return message
    field.errors = [*field.errors, message]
    return None


def id_type_choices() -> list[tuple[str, str]]:
    return [(code, en if english() else zh) for code, (zh, en) in ID_TYPES.items()]


def id_type_label(code: str) -> str:
    zh, en = ID_TYPES.get(code, (code, code))
    return en if english() else zh


def component_names(level: standards.Level) -> list[tuple[str, str]]:
    return [(c.kind, c.name_en if english() else c.name_zh) for c in level.components]


def level_text(digit: int) -> str:
    return standards.level_label(digit, "en" if english() else "zh")

