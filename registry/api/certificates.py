"""GET /api/v1/certificates/<number>/pdf: the signed certificate PDF, for the issuing body and the regulator."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from certificates import fold_id
from registry.api.auth import basic_username_key, current_actor, failed_sign_in
from registry.db import get_session
from registry.limits import limiter
from registry.runtime import document_settings, vault_for
from registry.services.documents import certificate_pdf

blp = Blueprint("certificates", __name__, description="Issued certificates (issuing body and regulator)")


@blp.route("/certificates/<string:number>/pdf")
class CertificatePdf(MethodView):
    decorators = [
        limiter.limit("5 per 15 minutes", key_func=basic_username_key, deduct_when=failed_sign_in),
        limiter.limit("30 per hour", deduct_when=failed_sign_in),
    ]

    @blp.response(200, content_type="application/pdf", description="The PAdES-signed certificate PDF")
    @blp.alt_response(401, description="No or wrong credentials (HTTP Basic)")
    @blp.alt_response(403, description="Neither the issuing body nor the regulator")
    @blp.alt_response(404, description="No such certificate")
    @blp.alt_response(409, description="The body cannot sign now and no signed PDF is kept")
    @blp.alt_response(429, description="Too many failed sign-ins for this username or from this client")
    def get(self, number: str) -> Response:
        """The certificate as a signed PDF (rendered and signed on first request, then kept)."""
        actor = current_actor()
        pdf = certificate_pdf(get_session(), vault_for(current_app), number=number, actor=actor,
                              settings=document_settings(current_app), now=datetime.now(UTC))
        response = Response(pdf, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{fold_id(number)}.pdf"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
