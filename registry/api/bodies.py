"""API v1: bodies (being written)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("bodies", __name__, description="bodies")
