"""Idempotency-Key for creating requests (being written): the same key and body give the same response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a creating view (POST) as honouring the `Idempotency-Key` header."""
    return view
