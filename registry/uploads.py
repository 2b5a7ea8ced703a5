"""How large a request each endpoint reads: the application's cap (Flask's MAX_CONTENT_LENGTH, from the
spreadsheet import's limit) everywhere, and REGISTRY_PHOTOS_MAX_BYTES on the photo ZIP's endpoints, raised for
them alone before anything (the CSRF check included) reads the body."""

from __future__ import annotations

from flask import Flask, current_app, request

from registry.config import REQUEST_OVERHEAD, largest_upload

PHOTO_ENDPOINTS = frozenset({"photos.BatchPhotos", "console.photos_file"})


def init_app(app: Flask) -> None:
    app.before_request(_raise_cap)


def allowed_upload() -> int:
    """The largest file this request may upload, in bytes: what a 413 answer names."""
    if request.endpoint in PHOTO_ENDPOINTS:
        return int(current_app.config["PHOTOS_MAX_BYTES"])
    return largest_upload(current_app.config)


def _raise_cap() -> None:
    if request.endpoint in PHOTO_ENDPOINTS and request.method == "POST":
        request.max_content_length = allowed_upload() + REQUEST_OVERHEAD
