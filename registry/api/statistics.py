"""API v1: statistics (being written)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("statistics", __name__, description="statistics")
