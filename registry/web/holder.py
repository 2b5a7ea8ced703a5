"""The holder portal at /holder: sign in with 证件号码 + 姓名 + one 证书编号, see every certificate, download each
signed PDF or its Open Badges credential (for a wallet), copy its share link (the QR's URL). Failed sign-ins are
limited per client and locked out per ID."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from registry.db import get_read_session, get_session
from registry.limits import limiter
from registry.models import Certificate
from registry.runtime import document_settings, vault_for
from registry.services.badges import credential_json, signed_credential
from registry.services.documents import certificate_url, signed_pdf
from registry.services.holders import Holder, attempt_key, authenticate_holder, certificates_of, holder_by_certificate
from registry.services.issuance import get_certificate
from registry.web.downloads import credential_download, pdf_download
from registry.web.errors import page_errors
from registry.web.forms import HolderLoginForm, LogoutForm

bp = Blueprint("holder", __name__, url_prefix="/holder", template_folder="templates")
page_errors(bp)

SESSION_KEY = "holder_certificate"
SESSION_LIFETIME = timedelta(minutes=30)


def _failed(response: Response) -> bool:
    return request.method == "POST" and response.headers.get("X-Holder-Login") == "failed"


def _lockout_key() -> str:
    """Failures count against the ID number tried (hashed), so guessing one person's details is stopped
    whichever client tries; an empty field counts against the client."""
    id_number = request.form.get("id_number", "")
    if not id_number.strip():
        return f"holder-client:{request.remote_addr}"
    return "holder-id:" + attempt_key(id_number, current_app.config["SECRET_KEY"])


def current_holder() -> Holder | None:
    certificate_id = session.get(SESSION_KEY)
    if not isinstance(certificate_id, int):
        return None
    return holder_by_certificate(get_read_session(), certificate_id)


@bp.route("", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["HOLDER_LOCKOUT"], key_func=_lockout_key, deduct_when=_failed,
               methods=["POST"])
@limiter.limit(lambda: current_app.config["HOLDER_CLIENT_LIMIT"], deduct_when=_failed, methods=["POST"])
def sign_in() -> Any:
    if request.method == "GET" and current_holder() is not None:
        return redirect(url_for("holder.certificates"))
    form = HolderLoginForm()
    failed = False
    if form.validate_on_submit():
        holder = authenticate_holder(get_read_session(), id_number=form.id_number.data or "",
                                     name=form.name.data or "", number=form.number.data or "")
        if holder is not None:
            session.clear()  # a fresh session: nothing from before the sign-in carries over
            session.permanent = True
            session[SESSION_KEY] = holder.certificate_id
            return redirect(url_for("holder.certificates"))
        failed = True
    response = Response(render_template("holder_sign_in.html", form=form, failed=failed),
                        status=422 if (failed or form.errors) else 200)
    if request.method == "POST" and (failed or form.errors):
        response.headers["X-Holder-Login"] = "failed"
    return response


@bp.get("/certificates")
def certificates() -> Any:
    holder = current_holder()
    if holder is None:
        return redirect(url_for("holder.sign_in"))
    results = certificates_of(get_read_session(), holder)
    settings = document_settings(current_app)
    links = {r.number: certificate_url(get_certificate(get_read_session(), r.number), settings) for r in results}
    response = Response(render_template("holder_certificates.html", holder=holder, results=results, links=links,
                                        logout=LogoutForm()))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _own_certificate(number: str) -> Certificate | Any:
    """The signed-in holder's certificate of that number; otherwise the page to answer with instead."""
    holder = current_holder()
    if holder is None:
        return redirect(url_for("holder.sign_in"))
    cert = get_certificate(get_session(), number)
    if (cert.id_type, cert.id_number) != (holder.id_type, holder.id_number):
        return render_template("error.html", title=_("未找到证书"), message=_("您的证书中没有这个编号。")), 404
    return cert


@bp.get("/certificates/<string:number>.pdf")
def pdf(number: str) -> Any:
    cert = _own_certificate(number)
    if not isinstance(cert, Certificate):
        return cert
    data = signed_pdf(get_session(), vault_for(current_app), cert, settings=document_settings(current_app),
                      now=datetime.now(UTC))
    return pdf_download(data, f"{cert.number}.pdf")


@bp.get("/certificates/<string:number>.json")
def credential(number: str) -> Any:
    """The certificate's Open Badges 3.0 credential, signed by its body, for the holder's wallet."""
    cert = _own_certificate(number)
    if not isinstance(cert, Certificate):
        return cert
    session = get_session()
    signed = signed_credential(session, vault_for(current_app), cert, base_url=document_settings(current_app).base_url,
                               now=datetime.now(UTC))
    session.commit()  # the body's credential key, if this was its first credential
    return credential_download(credential_json(signed), f"{cert.number}.credential.json")


@bp.post("/logout")
def logout() -> Any:
    session.pop(SESSION_KEY, None)
    return redirect(url_for("holder.sign_in"))


@bp.errorhandler(429)
def locked_out(error: Exception) -> Any:
    return render_template("error.html", title=_("尝试次数过多"),
                           message=_("为保护持证人信息，登录已暂时锁定。请 30 分钟后再试，或联系发证机构。")), 429
