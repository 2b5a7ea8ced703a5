"""The rate limiter (memory by default, Redis when REGISTRY_RATELIMIT_STORAGE_URI says so)."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
