"""The body console's certificates: the list, one certificate with its PDF, revocation and reissue."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from certificates import ID_TYPES
from certificates.record import CertificateRecord
from registry.db import get_session
from registry.errors import InvalidInput
from registry.models import REVOCATION_REASONS, Certificate, Revocation, User
from registry.runtime import document_settings, vault_for
from registry.services import registers
from registry.services.documents import certificate_pdf
from registry.services.revocation import reissue_certificate, revoke_certificate, successor_of
from registry.web.console_base import (
    BODY_STAFF,
    bp,
    english,
    id_type_choices,
    now,
    place_error,
)
from registry.web.downloads import pdf_download
from registry.web.forms import (
    ReissueForm,
    RevokeForm,
)
from registry.web.staff import current_actor, staff_required

# Certificates


@bp.get("/certificates")
@staff_required(*BODY_STAFF)
def certificates() -> Any:
    actor = current_actor()
    assert actor.body_id is not None  # noqa: S101
    query = " ".join(request.args.get("q", "").split())[:100]
    listing = registers.body_certificates(get_session(), body_id=actor.body_id, query=query,
                                          page=request.args.get("page", 1, type=int))
    return render_template("console_certificates.html", listing=listing, query=query)


def _certificate_page(number: str, *, status: int = 200, problem: str | None = None,
                      revoke_form: RevokeForm | None = None, reissue_form: ReissueForm | None = None) -> Any:
    session = get_session()
    cert = registers.body_certificate(session, number=number, actor=current_actor())
    record = CertificateRecord.from_dict(cert.record)
    if revoke_form is None:
        revoke_form = RevokeForm(prefix="revoke", formdata=None)
    revoke_form.reason.choices = [("", _("请选择")), *((code, en if english() else zh)
                                                    for code, (zh, en) in REVOCATION_REASONS.items())]
    if reissue_form is None:
        reissue_form = ReissueForm(prefix="reissue", formdata=None,
                                   data={"holder_name": cert.holder_name, "id_type": cert.id_type,
                                         "id_number": cert.id_number})
    reissue_form.id_type.choices = id_type_choices()
    revocation = session.exec(select(Revocation).where(Revocation.certificate_id == cert.id)).first()
    predecessor = session.get(Certificate, cert.supersedes_id) if cert.supersedes_id else None
    revoked_by = session.get(User, revocation.revoked_by) if revocation and revocation.revoked_by else None
    return render_template(
        "console_certificate.html", cert=cert, record=record, revocation=revocation, revoked_by=revoked_by,
        reasons=REVOCATION_REASONS, successor=successor_of(session, cert), predecessor=predecessor,
        revoke_form=revoke_form, reissue_form=reissue_form, problem=problem,
        may_change=current_actor().role in ("body_admin", "supervisor"),
    ), status


@bp.get("/certificates/<string:number>")
@staff_required(*BODY_STAFF)
def certificate(number: str) -> Any:
    return _certificate_page(number)


@bp.get("/certificates/<string:number>.pdf")
@staff_required(*BODY_STAFF)
def certificate_file(number: str) -> Any:
    session = get_session()
    actor = current_actor()
    cert = registers.body_certificate(session, number=number, actor=actor)
    pdf = certificate_pdf(session, vault_for(current_app), number=cert.number, actor=actor,
                          settings=document_settings(current_app), now=now())
    return pdf_download(pdf, f"{cert.number}.pdf")


@bp.post("/certificates/<string:number>/revoke")
@staff_required(*BODY_STAFF)
def revoke(number: str) -> Any:
    session = get_session()
    actor = current_actor()
    cert = registers.body_certificate(session, number=number, actor=actor)
    form = RevokeForm(prefix="revoke")
    form.reason.choices = ["", *REVOCATION_REASONS]
    if not form.validate_on_submit():
        return _certificate_page(number, status=422, revoke_form=form)
    try:
        revoke_certificate(session, number=cert.number, reason=form.reason.data or "", note=form.note.data or "",
                           actor=actor, now=now())
    except InvalidInput as err:
        problem = place_error(form, err, {"reason": "reason", "note": "note"})
        return _certificate_page(number, status=err.status, problem=problem, revoke_form=form)
    flash(_("证书 %(number)s 已撤销。", number=cert.number))
    return redirect(url_for("console.certificate", number=cert.number))


@bp.post("/certificates/<string:number>/reissue")
@staff_required(*BODY_STAFF)
def reissue(number: str) -> Any:
    session = get_session()
    actor = current_actor()
    cert = registers.body_certificate(session, number=number, actor=actor)
    form = ReissueForm(prefix="reissue")
    form.id_type.choices = list(ID_TYPES)
    if not form.validate_on_submit():
        return _certificate_page(number, status=422, reissue_form=form)
    try:
        new = reissue_certificate(session, number=cert.number, holder_name=form.holder_name.data,
                                  id_type=form.id_type.data, id_number=form.id_number.data,
                                  reason=form.reason.data or "", actor=actor, vault=vault_for(current_app), now=now())
    except InvalidInput as err:
        problem = place_error(form, err, {"name": "holder_name", "holder_name": "holder_name", "id_type": "id_type",
                                           "id_number": "id_number", "reason": "reason"})
        return _certificate_page(number, status=err.status, problem=problem, reissue_form=form)
    flash(_("已换发新证书 %(new)s，原证书 %(old)s 已被替代。", new=new.number, old=cert.number))
    return redirect(url_for("console.certificate", number=new.number))


