"""/api/v1/certificates…: issued certificates for the issuing body's staff and the regulator: listings, the whole
record, revocation, reissue, the signed PDF and the Open Badges credential.

A body's staff reach only their own body's certificates: another body's is answered as not found (404), as if it
did not exist. Which role may revoke or reissue is decided by the revocation service.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import current_actor
from registry.api.idempotency import idempotent
from registry.db import get_session
from registry.runtime import document_settings, vault_for
from registry.schemas.certificates import (
    CertificateDetailSchema,
    CertificateListArgsSchema,
    CertificatePageSchema,
    ReissueSchema,
    RevokeSchema,
)
from registry.schemas.common import ErrorSchema
from registry.services import api_queries
from registry.services.badges import credential_json
from registry.services.documents import certificate_badge, certificate_pdf
from registry.services.revocation import reissue_certificate, revoke_certificate

blp = Blueprint("certificates", __name__, description="Issued certificates (issuing body and regulator)")

_CERTIFICATE = {
    "number": "S000144440001264000001", "status": "valid", "holder_name": "张伟", "id_type": "resident",
    "id_type_label": "居民身份证", "id_number": "11010519491231002X", "id_number_masked": "110105********002X",
    "occupation_code": "6-31-01-03", "occupation_name": "电工", "work_type": "--", "level": 4,
    "level_label": "四级/中级工", "level_label_en": "Level 4 / Intermediate Worker", "standard": "6-31-01-03@2018",
    "standard_title": "国家职业技能标准 电工（2018年版）", "body_id": 7, "body_name": "广东省电工技能评价中心",
    "body_credit_code": "52440100MJ0000017X", "batch_id": 3, "assessed_on": "2026-05-10", "issued_on": "2026-05-20",
    "issued_at": "2026-05-20T02:00:00+00:00", "key_id": "k4f1c2d9e0a1b2c3",
}
_DETAIL = _CERTIFICATE | {"genuine": True, "revocation": None, "superseded_by": None, "supersedes": None}
_REVOKED = _DETAIL | {"status": "revoked", "revocation": {
    "reason": "fraud", "reason_zh": "弄虚作假取得", "reason_en": "Obtained by fraud or false documents",
    "note": "伪造工作年限证明", "revoked_at": "2026-06-01T01:30:00+00:00", "revoked_on": "2026-06-01",
    "revoked_by": "supervisor1"}}

_UNAUTHENTICATED = "No, wrong or expired credentials (API token or HTTP Basic)"
_NOT_FOUND = "No such certificate, or another body's (a body's staff see only their own)"



def _now() -> datetime:
    return datetime.now(UTC)


@blp.route("/certificates")
class Certificates(MethodView):
    @blp.arguments(CertificateListArgsSchema, location="query")
    @blp.response(200, CertificatePageSchema,
                  example={"items": [_CERTIFICATE], "page": 1, "per_page": 50, "total": 1})
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(422, schema=ErrorSchema, description="A filter or paging argument is malformed (names it)")
    def get(self, args: dict[str, Any]) -> api_queries.Page[api_queries.CertificateFacts]:
        """Certificates newest first: the caller's body's, or for the regulator every body's (`body_id` narrows).

        `number` and `holder_name` match a part, `id_number` the whole number; `issued_from`/`issued_to` are
        inclusive dates; `standard` is an occupation code or code@version.
        """
        actor = current_actor()
        page, per_page = args.pop("page"), args.pop("per_page")
        return api_queries.find_certificates(get_session(), api_queries.CertificateSearch(**args), actor=actor,
                                             page=page, per_page=per_page)


@blp.route("/certificates/<string:number>")
class Certificate(MethodView):
    @blp.response(200, CertificateDetailSchema, example=_DETAIL)
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    def get(self, number: str) -> api_queries.CertificateDetail:
        """The whole record: what it says, its status, revocation, the certificate it replaced or that replaces it."""
        actor = current_actor()
        return api_queries.certificate_detail(get_session(), number=number, actor=actor)


@blp.route("/certificates/<string:number>/revoke")
class Revocation(MethodView):
    @blp.arguments(RevokeSchema, example={"reason": "fraud", "note": "伪造工作年限证明"})
    @blp.response(200, CertificateDetailSchema, example=_REVOKED)
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(403, schema=ErrorSchema,
                      description="Neither the issuing body's admin or supervisor nor the regulator")
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.alt_response(409, schema=ErrorSchema, description="Already revoked or superseded")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown reason, or no note for the reason other")
    @idempotent
    def post(self, data: dict[str, Any], number: str) -> api_queries.CertificateDetail:
        """Revoke a certificate for a listed reason; every verifier sees it revoked from now on. Cannot be undone."""
        actor = current_actor(write=True)
        session = get_session()
        cert = api_queries.visible_certificate(session, number=number, actor=actor)
        revoke_certificate(session, number=cert.number, reason=data["reason"], note=data["note"], actor=actor,
                           now=_now())
        return api_queries.certificate_detail(session, number=cert.number, actor=actor)


@blp.route("/certificates/<string:number>/reissue")
class Reissue(MethodView):
    @blp.arguments(ReissueSchema, example={"holder_name": "王伟明", "reason": "姓名更正"})
    @blp.response(201, CertificateDetailSchema,
                  example=_DETAIL | {"number": "S000144440001264000004", "holder_name": "王伟明",
                                     "supersedes": "S000144440001264000001"},
                  headers={"Location": {"description": "the new certificate's address", "schema": {"type": "string"}}})
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(403, schema=ErrorSchema, description="Not the issuing body's admin or supervisor")
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Already revoked or superseded, or the body cannot issue (suspended, no key)")
    @blp.alt_response(422, schema=ErrorSchema,
                      description="A corrected field is invalid, nothing would change, or no reason")
    @idempotent
    def post(self, data: dict[str, Any], number: str) -> Any:
        """Reissue with a corrected name or ID: a new certificate under a new number; the old one becomes superseded."""
        actor = current_actor(write=True)
        session = get_session()
        cert = api_queries.visible_certificate(session, number=number, actor=actor)
        new = reissue_certificate(session, number=cert.number, holder_name=data.get("holder_name"),
                                  id_type=data.get("id_type"), id_number=data.get("id_number"), reason=data["reason"],
                                  actor=actor, vault=vault_for(current_app), now=_now())
        detail = api_queries.certificate_detail(session, number=new.number, actor=actor)
        return detail, 201, {"Location": url_for("certificates.Certificate", number=new.number)}


@blp.route("/certificates/<string:number>/pdf")
class CertificatePdf(MethodView):
    @blp.response(200, content_type="application/pdf", description="The PAdES-signed certificate PDF")
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Revoked or superseded, or the body cannot sign now, and no signed PDF is kept")
    @blp.alt_response(429, schema=ErrorSchema,
                      description="Too many failed sign-ins for this username or from this client")
    def get(self, number: str) -> Response:
        """The certificate as a signed PDF (rendered and signed on first request, then kept)."""
        actor = current_actor()
        session = get_session()
        cert = api_queries.visible_certificate(session, number=number, actor=actor)
        pdf = certificate_pdf(session, vault_for(current_app), number=cert.number, actor=actor,
                              settings=document_settings(current_app), now=_now())
        response = Response(pdf, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{cert.number}.pdf"'
        response.headers["Cache-Control"] = "private, no-store"
        return response


BADGE_MEDIA_TYPE = "application/ld+json"


@blp.route("/certificates/<string:number>/badge")
class CertificateBadge(MethodView):
    @blp.response(200, content_type=BADGE_MEDIA_TYPE,
                  description="The certificate as an Open Badges 3.0 OpenBadgeCredential (W3C VC 2.0), signed with "
                              "eddsa-rdfc-2022 by the body's did:key (docs/open-badges.md)")
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Revoked or superseded, or the body cannot sign now: no fresh credential is signed")
    def get(self, number: str) -> Response:
        """The certificate as a signed Open Badges 3.0 credential (JSON-LD); the holder is a salted hash of the ID."""
        actor = current_actor()
        session = get_session()
        cert = api_queries.visible_certificate(session, number=number, actor=actor)
        credential = certificate_badge(session, vault_for(current_app), number=cert.number, actor=actor,
                                       settings=document_settings(current_app), now=_now())
        response = Response(credential_json(credential), mimetype=BADGE_MEDIA_TYPE)
        response.headers["Content-Disposition"] = f'attachment; filename="{cert.number}.credential.json"'
        return response
