"""Page security: CSRF on every form post, and the headers every response carries."""

from __future__ import annotations

from flask import Response, g, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

# No inline script or style anywhere: every asset is ours, served from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def protect_forms() -> None:
    """Before every request to a page blueprint: a POST without the session's CSRF token is refused (400)."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if getattr(g, "set_language", None):
        response.set_cookie("lang", g.set_language, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=request.is_secure, httponly=True)
    return response
