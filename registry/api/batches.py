"""API v1: batches (being written)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("batches", __name__, description="batches")
