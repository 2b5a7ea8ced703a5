"""Settings: defaults overridden by REGISTRY_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("REGISTRY_INSTANCE_DIR", PROJECT_ROOT / "instance"))

# name -> (default, parser)
_SETTINGS: dict[str, tuple[Any, Any]] = {
    "DATABASE_URL": (f"sqlite:///{INSTANCE_DIR / 'registry.sqlite3'}", str),
    "READ_DATABASE_URL": (None, str),
    "SECRET_KEY": (None, str),
    "BASE_URL": ("http://127.0.0.1:5000", lambda v: v.rstrip("/")),
    # Encrypts every private key of the registry's PKI; never in the database. The text itself, or a file.
    "MASTER_KEY": (None, str),
    "MASTER_KEY_FILE": (str(INSTANCE_DIR / "master.key"), str),
    # Print the holder's full ID number on the PDF (False: masked, first 6 and last 4 kept).
    "PDF_FULL_ID": (False, lambda v: v.strip().lower() in ("1", "true", "yes", "on")),
    "VERIFY_RATE_LIMIT": ("10 per minute", str),
    "BULK_VERIFY_RATE_LIMIT": ("30 per minute", str),  # POST /api/v1/verify/bulk, per token
    # Every authenticated API request, counted per token (or account, or client address when there is none).
    "API_RATE_LIMIT": ("1200 per minute", str),
    # Counted for every lookup, found or not: concurrent misses all pass the miss check before any is counted.
    "VERIFY_CEILING": ("60 per minute", str),
    # Holder portal sign-in: failures per ID number (then locked out until the window passes) and per client.
    "HOLDER_LOCKOUT": ("5 per 30 minutes", str),
    "HOLDER_CLIENT_LIMIT": ("20 per hour", str),
    # How many proxies in front set X-Forwarded-For (0: use the socket address).
    "PROXY_COUNT": (0, int),
    "RATELIMIT_STORAGE_URI": ("memory://", str),
    "ENV": ("production", str),
}

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from defaults, REGISTRY_* variables and explicit overrides (tests)."""
    config: dict[str, Any] = {}
    for name, (default, parse) in _SETTINGS.items():
        raw = os.environ.get(f"REGISTRY_{name}")
        config[name] = parse(raw) if raw is not None else default
    config.update(overrides or {})
    _check_base_url(config["BASE_URL"])
    if not config["SECRET_KEY"]:
        # Only for a laptop: wsgi.py (the production entry point) warns when this key is used.
        config["SECRET_KEY"] = DEVELOPMENT_SECRET
    return config


def _check_base_url(url: str) -> None:
    """The QR code of every certificate carries this address: it must be short enough to leave room for the
    certificate (docs/verification-format.md) and a plain http(s) address."""
    from certificates.payload import MAX_BASE_URL

    if len(url) > MAX_BASE_URL or not url.startswith(("https://", "http://")) or any(c in url for c in "?# "):
        raise ValueError(
            f"REGISTRY_BASE_URL {url!r} must be an http(s) address without '?', '#' or spaces, at most "
            f"{MAX_BASE_URL} characters, so that every certificate's QR code fits (version 12, level M)"
        )
