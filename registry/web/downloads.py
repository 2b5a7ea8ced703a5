"""A file sent to a signed-in person (PDF, XLSX, a credential): an attachment, never kept by a shared cache."""

from __future__ import annotations

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf_download(data: bytes, filename: str) -> Response:
    return _download(data, "application/pdf", filename)


def xlsx_download(data: bytes, filename: str) -> Response:
    return _download(data, XLSX, filename)


def credential_download(data: bytes, filename: str) -> Response:
    return _download(data, "application/ld+json", filename)


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
