"""Settings: defaults overridden by REGISTRY_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
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
    # Spreadsheet import of a batch's candidates (CSV or XLSX; API and console): a file over a limit is refused
    # whole, nothing of it written.
    "IMPORT_MAX_BYTES": (20 * 1024 * 1024, int),  # the uploaded file
    "IMPORT_MAX_ROWS": (100_000, int),  # candidate rows in one file, the header row not counted
    "IMPORT_MAX_COLUMNS": (50, int),  # cells in a row, trailing empty cells not counted
    "IMPORT_MAX_ERRORS": (1000, int),  # bad cells named in a refusal; the rest are only counted
    "IMPORT_MAX_UNZIPPED_BYTES": (400 * 1024 * 1024, int),  # all parts of an XLSX together, once unzipped
    # A zip bomb: one XLSX part larger than the floor, unzipped, and more than this many times its zipped size.
    "IMPORT_MAX_RATIO": (200, int),
    "IMPORT_RATIO_FLOOR": (1024 * 1024, int),
    "IMPORT_MAX_ZIP_ENTRIES": (5_000, int),  # parts in an XLSX
    # Candidates' photos as a ZIP of images named by 证件号码 (API and console): all stored, or none.
    "PHOTOS_MAX_BYTES": (200 * 1024 * 1024, int),  # the ZIP as uploaded; its endpoints accept requests this large
    "PHOTOS_MAX_UNZIPPED_BYTES": (256 * 1024 * 1024, int),  # all its entries together, once unzipped
    "PHOTOS_MAX_ENTRIES": (20_000, int),  # entries in the ZIP, folders and system files included
    "PHOTOS_MAX_ENTRY_BYTES": (20 * 1024 * 1024, int),  # one image, unzipped
    # The task queue for long work: sqlite:///file (embedded default; `registry run` starts a worker thread),
    # redis://host:port/db in production (run `registry worker` on any number of machines), or immediate.
    "JOBS_URL": (f"sqlite:///{INSTANCE_DIR / 'jobs.sqlite3'}", str),
    # Work larger than this many items (passed candidates to issue, pages to print) goes to the queue.
    "JOBS_INLINE_MAX": (500, int),
    # A spreadsheet larger than this (bytes; about 20,000 CSV rows) is imported by a background job.
    "JOBS_IMPORT_INLINE_BYTES": (1024 * 1024, int),
    # A ZIP of photos larger than this (bytes; some hundreds of photos) is imported by a background job.
    "JOBS_PHOTOS_INLINE_BYTES": (10 * 1024 * 1024, int),
    # A running job whose worker has not reported for this long is interrupted and is sent again.
    "JOBS_STALE_SECONDS": (30.0, float),
}

# The settings that bound an uploaded file: a request body larger than the largest of them plus REQUEST_OVERHEAD
# (multipart framing, the CSRF token) is refused with 413 before it is read (Flask's MAX_CONTENT_LENGTH). The
# photo endpoints raise the cap to REGISTRY_PHOTOS_MAX_BYTES for themselves only (registry/uploads.py).
UPLOAD_LIMITS = ("IMPORT_MAX_BYTES",)
REQUEST_OVERHEAD = 1024 * 1024

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from defaults, REGISTRY_* variables and explicit overrides (tests)."""
    config: dict[str, Any] = {}
    for name, (default, parse) in _SETTINGS.items():
        raw = os.environ.get(f"REGISTRY_{name}")
        config[name] = parse(raw) if raw is not None else default
    config.update(overrides or {})
    config.setdefault("MAX_CONTENT_LENGTH", largest_upload(config) + REQUEST_OVERHEAD)
    _check_base_url(config["BASE_URL"])
    if not config["SECRET_KEY"]:
        # Only for a laptop: wsgi.py (the production entry point) warns when this key is used.
        config["SECRET_KEY"] = DEVELOPMENT_SECRET
    return config


def largest_upload(config: Mapping[str, Any]) -> int:
    """The largest file any upload accepts, in bytes (what a 413 answer names)."""
    return max(int(config[name]) for name in UPLOAD_LIMITS)


def upload_size(size: int) -> str:
    """A size limit as people read it: 20 MB, 1.5 MB, 900 KB; rounded down, so a file of the size shown is never
    refused."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            tenths = size * 10 // scale
            return f"{tenths // 10}.{tenths % 10}".removesuffix(".0") + f" {unit}"
    return f"{size} B"


def _check_base_url(url: str) -> None:
    """The QR code of every certificate carries this address: it must be short enough to leave room for the
    certificate (docs/verification-format.md) and a plain http(s) address."""
    from certificates.payload import MAX_BASE_URL

    if len(url) > MAX_BASE_URL or not url.startswith(("https://", "http://")) or any(c in url for c in "?# "):
        raise ValueError(
            f"REGISTRY_BASE_URL {url!r} must be an http(s) address without '?', '#' or spaces, at most "
            f"{MAX_BASE_URL} characters, so that every certificate's QR code fits (version 12, level M)"
        )
