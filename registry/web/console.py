"""The evaluation body's console (/console): batches, candidates and scores, approval, certificates, staff.

Every object is fetched through the registers service, which answers another body's batch, certificate or
account as not found; the services' own role checks decide who may change what.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlmodel import select

import standards
from certificates import ID_TYPES
from certificates.record import CertificateRecord
from registry import jobs
from registry.config import upload_size
from registry.db import get_session
from registry.errors import Conflict, DomainError, Forbidden, InvalidInput
from registry.models import REVOCATION_REASONS, Batch, Candidate, Certificate, Job, Revocation, User, pk
from registry.runtime import document_settings, import_limits, photo_limits, vault_for
from registry.services import jobs as job_service
from registry.services import registers
from registry.services.actors import Actor, require_body_role
from registry.services.batches import (
    ENTRY_ROLES,
    CandidateInput,
    add_candidates,
    open_batch,
    remove_candidate,
    require_editable,
    return_batch,
    submit_batch,
    update_candidate,
)
from registry.services.bodies import get_body, public_scope
from registry.services.clock import CHINA
from registry.services.documents import certificate_pdf
from registry.services.issuance import approve_batch, certificates_of_batch
from registry.services.photo_import import PhotosRejected, import_photos
from registry.services.printing import bundle_size, print_bundle
from registry.services.revocation import reissue_certificate, revoke_certificate, successor_of
from registry.services.sheets import PastedRowsRejected, add_pasted_candidates, columns
from registry.services.spreadsheet_import import errors_xlsx, import_spreadsheet, require_file_size, template_xlsx
from registry.services.users import create_user, deactivate_user
from registry.services.zip_safety import require_size
from registry.web import job_pages
from registry.web.downloads import pdf_download, xlsx_download
from registry.web.errors import page_errors
from registry.web.forms import (
    CandidateForm,
    ImportForm,
    OpenBatchForm,
    PasteForm,
    PhotosForm,
    ReissueForm,
    ReturnForm,
    RevokeForm,
    ScoresForm,
    StaffAccountForm,
    scores_form,
)
from registry.web.i18n import select_language
from registry.web.staff import current_actor, staff_required

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
page_errors(bp)

BODY_STAFF = ("body_admin", "assessor", "supervisor")
SHOWN_IMPORT_ERRORS = 100  # of a refused file's bad cells, listed on the page (the XLSX report has them all)


@bp.after_request
def _private(response: Response) -> Response:
    """Console pages carry full ID numbers: never kept by a browser or a proxy."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.context_processor
def _labels() -> dict[str, Any]:
    """Labels of data (levels, 证件类型) in the reader's language, for the console's templates."""
    return {"level_label": _level_text, "id_type_label": _id_type_label}


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return datetime.now(CHINA).date()


def _en() -> bool:
    return select_language() == "en"


def _place_error(form: FlaskForm, err: DomainError, fields: dict[str, str]) -> str | None:
    """Put a service's error next to the form field it names; the message to show above the form otherwise."""
    target = fields.get(err.field or "")
    field = getattr(form, target, None) if target else None
    message = err.message(select_language())
    if field is None:
        return message
    field.errors = [*field.errors, message]
    return None


def _id_type_choices() -> list[tuple[str, str]]:
    return [(code, en if _en() else zh) for code, (zh, en) in ID_TYPES.items()]


def _id_type_label(code: str) -> str:
    zh, en = ID_TYPES.get(code, (code, code))
    return en if _en() else zh


def _components(level: standards.Level) -> list[tuple[str, str]]:
    return [(c.kind, c.name_en if _en() else c.name_zh) for c in level.components]


def _level_text(digit: int) -> str:
    return standards.level_label(digit, "en" if _en() else "zh")


# Batches


@bp.get("")
@staff_required(*BODY_STAFF)
def home() -> Any:
    actor = current_actor()
    session = get_session()
    assert actor.body_id is not None  # noqa: S101  (body staff always have a body)
    return render_template(
        "console_home.html", body=get_body(session, actor.body_id),
        batches=registers.batches_by_status(session, actor.body_id),
        scope=public_scope(session, actor.body_id, today=_today()),
    )


def _option_label(option: registers.AssessmentOption) -> str:
    name = option.occupation_name_en if _en() else option.occupation_name
    text = _("%(name)s %(code)s（%(year)s年版）%(level)s", name=name, code=option.standard_code,
             year=option.standard_version, level=_level_text(option.level))
    if option.work_type:
        text += _("，工种：%(work_type)s", work_type=option.work_type)
    if not option.current:
        text += _("（已被新版本替代）")
    return text


@bp.route("/batches/new", methods=["GET", "POST"])
@staff_required(*BODY_STAFF)
def new_batch() -> Any:
    actor = current_actor()
    session = get_session()
    assert actor.body_id is not None  # noqa: S101
    options = registers.assessment_options(session, actor.body_id, today=_today())
    form = OpenBatchForm()
    form.assessment.choices = [(o.key, _option_label(o)) for o in options]
    if request.method == "GET" and form.assessed_on.data is None:
        form.assessed_on.data = _today()
    problem = None
    if form.validate_on_submit():
        chosen = {o.key: o for o in options}[form.assessment.data]
        try:
            batch = open_batch(
                session, body_id=actor.body_id, standard_code=chosen.standard_code,
                standard_version=chosen.standard_version, level=chosen.level, work_type=chosen.work_type,
                assessed_on=form.assessed_on.data, place=form.place.data or "", actor=actor, now=_now(),
            )
        except (InvalidInput, Forbidden) as err:
            problem = _place_error(form, err, {
                "standard": "assessment", "standard_version": "assessment", "level": "assessment",
                "work_type": "assessment", "assessed_on": "assessed_on", "place": "place",
            })
            status = err.status
        else:
            flash(_("已开启批次 %(id)s。请录入考生和成绩。", id=batch.id))
            return redirect(url_for("console.batch", batch_id=batch.id))
    else:
        status = 422 if form.errors else 200
    return render_template("console_batch_new.html", form=form, options=options, problem=problem), status


def _batch_page(batch_id: int, *, status: int = 200, problem: str | None = None, **forms: Any) -> Any:
    """The batch page; a form given (with its errors) replaces the empty one, `problem` shows above the actions."""
    actor = current_actor()
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=actor)
    sheet = registers.batch_sheet(session, batch)
    components = _components(sheet.level)
    certificates = certificates_of_batch(session, batch_id) if batch.status == "issued" else []
    names = {u.id: u.display_name for u in registers.staff_of(session, batch.body_id)}
    limits = import_limits(current_app)
    page = render_template(
        "console_batch.html", sheet=sheet, batch=batch, components=components, certificates=certificates,
        printable=any(c.status == "valid" for c in certificates), names=names, problem=problem,
        columns=[en if _en() else zh for zh, en in columns(sheet.level)],
        candidate_form=forms.get("candidate_form") or _candidate_form(sheet.level),
        paste_form=forms.get("paste_form") or PasteForm(prefix="paste", formdata=None),
        return_form=forms.get("return_form") or ReturnForm(prefix="return", formdata=None),
        paste_errors=forms.get("paste_errors", []), kinds=sheet.level.component_kinds,
        import_form=forms.get("import_form") or ImportForm(prefix="import", formdata=None),
        import_refused=forms.get("import_refused"), shown_errors=SHOWN_IMPORT_ERRORS,
        photos_form=forms.get("photos_form") or PhotosForm(prefix="photos", formdata=None),
        photos_refused=forms.get("photos_refused"),
        limits=limits, import_size=upload_size(limits.max_bytes),
        photos_size=upload_size(photo_limits(current_app).max_bytes),
        jobs=_current_jobs(batch),
    )
    return page, status


def _current_jobs(batch: Batch) -> list[jobs.JobView]:
    """The latest job of each kind on the batch, as the page shows them (an issuance failed before the batch
    was issued by other means is history, not news)."""
    latest: dict[str, jobs.JobView] = {}
    for job in job_service.latest_jobs(get_session(), batch_id=pk(batch)):
        if job.kind not in latest and not (job.kind == "issue" and batch.status == "issued" and
                                           job.status != "running"):
            latest[job.kind] = jobs.view(current_app, job)
    return list(latest.values())


def _candidate_form(level: standards.Level, *, bound: bool = False, data: dict[str, str] | None = None) -> ScoresForm:
    """The one-candidate form for the batch's level: bound to the posted data, or showing `data` (empty if none)."""
    form_class = scores_form(CandidateForm, _components(level))
    form = form_class(prefix="one") if bound else form_class(prefix="one", formdata=None, data=data or {})
    assert isinstance(form, CandidateForm)  # noqa: S101
    form.id_type.choices = _id_type_choices()
    return form


def _candidate_fields(level: standards.Level) -> dict[str, str]:
    """Where a service's error about a candidate belongs on the candidate form."""
    return {"name": "name", "id_type": "id_type", "id_number": "id_number",
            **{f"scores.{kind}": f"score_{kind}" for kind in level.component_kinds}}


@bp.get("/batches/<int:batch_id>")
@staff_required(*BODY_STAFF)
def batch(batch_id: int) -> Any:
    return _batch_page(batch_id)


@bp.post("/batches/<int:batch_id>/candidates")
@staff_required(*BODY_STAFF)
def add_candidate(batch_id: int) -> Any:
    actor = current_actor()
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=actor)
    level = registers.batch_level(session, batch)
    form = _candidate_form(level, bound=True)
    assert isinstance(form, CandidateForm)  # noqa: S101
    if not form.validate_on_submit():
        return _batch_page(batch_id, status=422, candidate_form=form)
    row = CandidateInput(name=form.name.data or "", id_type=form.id_type.data or "",
                         id_number=form.id_number.data or "", scores=form.scores(level.component_kinds))
    try:
        add_candidates(session, batch_id=batch_id, candidates=[row], actor=actor, now=_now())
    except InvalidInput as err:
        # add_candidates names the row ("第 1 行"); one candidate on a form is better told by its field
        cause = err.__cause__ if isinstance(err.__cause__, InvalidInput) else err
        field = (cause.field or "").split("].", 1)[-1]
        located = InvalidInput(cause.reason, cause.message_zh, cause.message_en, field=field)
        return _batch_page(batch_id, status=422, candidate_form=form,
                           problem=_place_error(form, located, _candidate_fields(level)))
    flash(_("已录入考生 %(name)s。", name=row.name))
    return redirect(url_for("console.batch", batch_id=batch_id, _anchor="candidates"))


@bp.post("/batches/<int:batch_id>/paste")
@staff_required(*BODY_STAFF)
def paste(batch_id: int) -> Any:
    actor = current_actor()
    form = PasteForm(prefix="paste")
    if not form.validate_on_submit():
        return _batch_page(batch_id, status=422, paste_form=form)
    try:
        added = add_pasted_candidates(get_session(), batch_id=batch_id, text=form.rows.data or "", actor=actor,
                                      now=_now())
    except PastedRowsRejected as err:
        form.rows.errors = [err.message(select_language())]
        return _batch_page(batch_id, status=422, paste_form=form,
                           paste_errors=[e.message(select_language()) for e in err.errors])
    except InvalidInput as err:
        form.rows.errors = [err.message(select_language())]
        return _batch_page(batch_id, status=err.status, paste_form=form)
    count = len(added)
    flash(ngettext("已录入 %(count)s 名考生。", "已录入 %(count)s 名考生。", count, count=format_decimal(count)))
    return redirect(url_for("console.batch", batch_id=batch_id, _anchor="candidates"))


@bp.get("/batches/<int:batch_id>/template.xlsx")
@staff_required(*BODY_STAFF)
def import_template(batch_id: int) -> Any:
    """The XLSX to fill in for this batch's level (the API's template, for a signed-in person)."""
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=current_actor())
    template = template_xlsx(registers.batch_level(session, batch), import_limits(current_app))
    return xlsx_download(template, f"batch-{batch_id}-template.xlsx")


@bp.post("/batches/<int:batch_id>/import")
@staff_required(*BODY_STAFF)
def import_file(batch_id: int) -> Any:
    """Candidates from an XLSX or CSV file: all of them, or none and every bad cell named (a table on the page, or
    an XLSX report when the second button was pressed)."""
    actor = current_actor()
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=actor)
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)  # refused as for pasted rows, whatever the file
    require_editable(batch)
    form = ImportForm(prefix="import")
    if not form.validate_on_submit():
        return _batch_page(batch_id, status=422, import_form=form)
    upload = form.file.data
    size = upload.stream.seek(0, 2)
    upload.stream.seek(0)
    try:
        if size > current_app.config["JOBS_IMPORT_INLINE_BYTES"]:  # a large file: in the background
            require_file_size(size, import_limits(current_app))
            return _start_job(batch_id, lambda actor: job_service.queue_import(
                session, batch_id=batch_id, actor=actor, filename=upload.filename or "", content=upload.stream.read(),
                lang=select_language(), now=_now()))
        result = import_spreadsheet(session, batch_id=batch_id, filename=upload.filename or "", stream=upload.stream,
                                    actor=actor, now=_now(), limits=import_limits(current_app))
    except PastedRowsRejected as err:
        if form.report.data:
            # 200, not 422: a browser saves a download only from a successful answer
            return xlsx_download(errors_xlsx(err.errors, select_language(), err.omitted),
                                 f"batch-{batch_id}-errors.xlsx")
        return _batch_page(batch_id, status=422, import_form=form, import_refused=err)
    except InvalidInput as err:  # the file as a whole: its size, type or shape
        form.file.errors = [err.message(select_language())]
        return _batch_page(batch_id, status=err.status, import_form=form)
    flash(ngettext("已导入 %(count)s 名考生。", "已导入 %(count)s 名考生。", result.added,
                   count=format_decimal(result.added)))
    return redirect(url_for("console.batch", batch_id=batch_id, _anchor="candidates"))


@bp.post("/batches/<int:batch_id>/photos")
@staff_required(*BODY_STAFF)
def photos_file(batch_id: int) -> Any:
    """The candidates' photos from a ZIP named by 证件号码: all stored, or none and every refused file named; a
    large ZIP in the background."""
    actor = current_actor()
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=actor)
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)
    require_editable(batch)
    form = PhotosForm(prefix="photos")
    if not form.validate_on_submit():
        return _batch_page(batch_id, status=422, photos_form=form)
    upload = form.file.data
    data = upload.stream.read()
    limits = photo_limits(current_app)
    try:
        if len(data) > current_app.config["JOBS_PHOTOS_INLINE_BYTES"]:  # a large ZIP: in the background
            require_size(len(data), limits.max_bytes)
            return _start_job(batch_id, lambda actor: job_service.queue_import(
                session, batch_id=batch_id, actor=actor, filename=upload.filename or "photos.zip", content=data,
                lang=select_language(), now=_now(), kind="photos"))
        result = import_photos(session, batch_id=batch_id, actor=actor, data=data, now=_now(), limits=limits)
    except PhotosRejected as err:
        return _batch_page(batch_id, status=422, photos_form=form, photos_refused=err)
    except InvalidInput as err:  # the archive as a whole
        form.file.errors = [err.message(select_language())]
        return _batch_page(batch_id, status=err.status, photos_form=form)
    flash(ngettext("已保存 %(count)s 张照片。", "已保存 %(count)s 张照片。", result.stored,
                   count=format_decimal(result.stored)))
    return redirect(url_for("console.batch", batch_id=batch_id, _anchor="candidates"))


def _batch_candidate(batch_id: int, candidate_id: int) -> tuple[Any, Candidate]:
    """The body's batch and one of its candidates; anything else is not found."""
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=current_actor())
    found = session.get(Candidate, candidate_id)
    if found is None or found.batch_id != batch.id:
        abort(404)
    return batch, found


@bp.route("/batches/<int:batch_id>/candidates/<int:candidate_id>", methods=["GET", "POST"])
@staff_required(*BODY_STAFF)
def candidate(batch_id: int, candidate_id: int) -> Any:
    """Correct a candidate's name, 证件 or scores before the batch is submitted."""
    actor = current_actor()
    session = get_session()
    batch, found = _batch_candidate(batch_id, candidate_id)
    level = registers.batch_level(session, batch)
    if request.method == "POST":
        form = _candidate_form(level, bound=True)
    else:
        form = _candidate_form(level, data={
            "name": found.name, "id_type": found.id_type, "id_number": found.id_number,
            **{f"score_{k}": str(v) for k, v in found.scores.items()},
        })
    problem, status = None, 200
    if form.validate_on_submit():
        row = CandidateInput(name=form.name.data or "", id_type=form.id_type.data or "",
                             id_number=form.id_number.data or "", scores=form.scores(level.component_kinds))
        try:
            update_candidate(session, candidate_id=candidate_id, data=row, actor=actor, now=_now())
        except DomainError as err:
            problem = _place_error(form, err, _candidate_fields(level))
            status = err.status
        else:
            flash(_("已保存考生 %(name)s 的信息和成绩。", name=row.name))
            return redirect(url_for("console.batch", batch_id=batch_id, _anchor="candidates"))
    elif form.errors:
        status = 422
    outcome = standards.evaluate(level, found.scores)
    return render_template("console_candidate.html", batch=batch, candidate=found, form=form, outcome=outcome,
                           fields=form.score_fields(level.component_kinds), problem=problem), status


@bp.post("/batches/<int:batch_id>/candidates/<int:candidate_id>/remove")
@staff_required(*BODY_STAFF)
def remove(batch_id: int, candidate_id: int) -> Any:
    found = _batch_candidate(batch_id, candidate_id)[1]
    name = found.name
    return _act(batch_id, lambda actor: remove_candidate(get_session(), candidate_id=candidate_id, actor=actor,
                                                         now=_now()),
                _("已从本批次删除考生 %(name)s。", name=name), anchor="candidates")


def _act(batch_id: int, action: Callable[[Actor], object], done: str, *, anchor: str | None = None) -> Any:
    """Run a change of the batch; its refusal shows on the batch page with the service's status."""
    actor = current_actor()
    registers.body_batch(get_session(), batch_id=batch_id, actor=actor)
    try:
        action(actor)
    except DomainError as err:
        return _batch_page(batch_id, status=err.status, problem=err.message(select_language()))
    flash(done)
    return redirect(url_for("console.batch", batch_id=batch_id, _anchor=anchor))


@bp.post("/batches/<int:batch_id>/submit")
@staff_required(*BODY_STAFF)
def submit(batch_id: int) -> Any:
    return _act(batch_id, lambda actor: submit_batch(get_session(), batch_id=batch_id, actor=actor, now=_now()),
                _("已提交审核，等待质量督导员审核。"))


@bp.post("/batches/<int:batch_id>/approve")
@staff_required(*BODY_STAFF)
def approve(batch_id: int) -> Any:
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=current_actor())
    if batch.status == "submitted" and job_service.passed_count(session, batch_id) > current_app.config[
            "JOBS_INLINE_MAX"]:
        return _start_job(batch_id, lambda actor: job_service.queue_issuance(
            session, batch_id=batch_id, actor=actor, now=_now()))

    def issue(actor: Actor) -> None:
        approve_batch(session, batch_id=batch_id, approved_by=actor, vault=vault_for(current_app), now=_now())

    return _act(batch_id, issue, _("已批准，证书已签发。"))


def _start_job(batch_id: int, queue: Callable[[Actor], tuple[Job, bool]]) -> Any:
    """Queue a job (or join the open one of its kind) and show its page; a refusal shows on the batch page."""
    try:
        job, new = queue(current_actor())
    except DomainError as err:
        return _batch_page(batch_id, status=err.status, problem=err.message(select_language()))
    if new:
        jobs.send(current_app, job)
    return redirect(url_for("console.job", job_id=pk(job)))


@bp.post("/batches/<int:batch_id>/return")
@staff_required(*BODY_STAFF)
def return_(batch_id: int) -> Any:
    form = ReturnForm(prefix="return")
    if not form.validate_on_submit():
        return _batch_page(batch_id, status=422, return_form=form)
    return _act(batch_id, lambda actor: return_batch(get_session(), batch_id=batch_id, reason=form.reason.data or "",
                                                     actor=actor, now=_now()),
                _("已退回批次，录入人修改后可重新提交。"))


@bp.get("/batches/<int:batch_id>/bundle.pdf")
@staff_required(*BODY_STAFF)
def bundle(batch_id: int) -> Any:
    session = get_session()
    pages = bundle_size(session, batch_id=batch_id, actor=current_actor())
    if pages > current_app.config["JOBS_INLINE_MAX"]:
        return _start_job(batch_id, lambda actor: job_service.queue_print(
            session, batch_id=batch_id, actor=actor, pages=pages, now=_now()))
    pdf = print_bundle(session, batch_id=batch_id, actor=current_actor(),
                       settings=document_settings(current_app))
    return pdf_download(pdf, f"batch-{batch_id}-certificates.pdf")


# Background jobs (a large batch's issuance or print bundle)


@bp.get("/jobs/<int:job_id>")
@staff_required(*BODY_STAFF)
def job(job_id: int) -> Any:
    return job_pages.page(job_id)


@bp.get("/jobs/<int:job_id>/progress.json")
@staff_required(*BODY_STAFF)
def job_progress(job_id: int) -> Any:
    return job_pages.progress(job_id)


@bp.post("/jobs/<int:job_id>/retry")
@staff_required(*BODY_STAFF)
def job_retry(job_id: int) -> Any:
    return job_pages.retry(job_id)


@bp.get("/jobs/<int:job_id>/file")
@staff_required(*BODY_STAFF)
def job_file(job_id: int) -> Any:
    return job_pages.download(job_id)


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
    revoke_form.reason.choices = [("", _("请选择")), *((code, en if _en() else zh)
                                                    for code, (zh, en) in REVOCATION_REASONS.items())]
    if reissue_form is None:
        reissue_form = ReissueForm(prefix="reissue", formdata=None,
                                   data={"holder_name": cert.holder_name, "id_type": cert.id_type,
                                         "id_number": cert.id_number})
    reissue_form.id_type.choices = _id_type_choices()
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
                          settings=document_settings(current_app), now=_now())
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
                           actor=actor, now=_now())
    except InvalidInput as err:
        problem = _place_error(form, err, {"reason": "reason", "note": "note"})
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
                                  reason=form.reason.data or "", actor=actor, vault=vault_for(current_app), now=_now())
    except InvalidInput as err:
        problem = _place_error(form, err, {"name": "holder_name", "holder_name": "holder_name", "id_type": "id_type",
                                           "id_number": "id_number", "reason": "reason"})
        return _certificate_page(number, status=err.status, problem=problem, reissue_form=form)
    flash(_("已换发新证书 %(new)s，原证书 %(old)s 已被替代。", new=new.number, old=cert.number))
    return redirect(url_for("console.certificate", number=new.number))


# The body: scope, key, staff


def _body_page(*, status: int = 200, problem: str | None = None, form: StaffAccountForm | None = None) -> Any:
    actor = current_actor()
    session = get_session()
    assert actor.body_id is not None  # noqa: S101
    return render_template(
        "console_body.html", body=get_body(session, actor.body_id),
        scope=public_scope(session, actor.body_id, today=_today()),
        key=registers.key_status(session, actor.body_id, now=_now()),
        staff=registers.staff_of(session, actor.body_id), is_admin=actor.role == "body_admin",
        me=actor.user_id, form=form or StaffAccountForm(formdata=None), problem=problem,
    ), status


@bp.get("/body")
@staff_required(*BODY_STAFF)
def body() -> Any:
    return _body_page()


@bp.post("/body/staff")
@staff_required(*BODY_STAFF)
def create_staff() -> Any:
    actor = current_actor()
    form = StaffAccountForm()
    if not form.validate_on_submit():
        return _body_page(status=422, form=form)
    try:
        user = create_user(get_session(), username=form.username.data or "", display_name=form.display_name.data or "",
                           password=form.password.data or "", role=form.role.data or "", body_id=actor.body_id,
                           actor=actor, now=_now())
    except InvalidInput as err:
        problem = _place_error(form, err, {"username": "username", "display_name": "display_name",
                                           "password": "password", "role": "role"})
        return _body_page(status=err.status, problem=problem, form=form)
    flash(_("已创建账号 %(username)s。", username=user.username))
    return redirect(url_for("console.body", _anchor="staff"))


@bp.post("/body/staff/<int:user_id>/deactivate")
@staff_required(*BODY_STAFF)
def deactivate_staff(user_id: int) -> Any:
    actor = current_actor()
    session = get_session()
    user = registers.body_user(session, user_id=user_id, actor=actor)
    try:
        deactivate_user(session, user_id=user_id, actor=actor, now=_now())
    except Conflict as err:  # their own account, or one already closed
        return _body_page(status=err.status, problem=err.message(select_language()))
    flash(_("已停用账号 %(username)s。", username=user.username))
    return redirect(url_for("console.body", _anchor="staff"))


# API tokens (the page is shared with the regulator's console)
from registry.web import token_pages  # noqa: E402


@bp.route("/tokens", methods=["GET", "POST"])
@staff_required(*BODY_STAFF)
def tokens() -> Any:
    return token_pages.page("console_tokens.html", revoke_endpoint="console.revoke_api_token")


@bp.post("/tokens/<string:token_id>/revoke")
@staff_required(*BODY_STAFF)
def revoke_api_token(token_id: str) -> Any:
    return token_pages.revoke(token_id, list_endpoint="console.tokens")
