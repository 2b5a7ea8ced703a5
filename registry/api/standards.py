"""API v1: standards (being written)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("standards", __name__, description="standards")
