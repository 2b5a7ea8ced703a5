"""The evaluation body's console (/console): batches, candidates and scores, approval and
issuance, and the background jobs they start. Certificates, uploads and the body's staff have modules of their
own (console_certificates, console_uploads, console_body) on the same blueprint (console_base).

Every object is fetched through the registers service, which answers another body's batch, certificate or
account as not found; the services' own role checks decide who may change what.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

import standards
from registry import jobs
from registry.config import upload_size
from registry.db import get_session
from registry.errors import DomainError, Forbidden, InvalidInput
from registry.models import Batch, Candidate, Job, pk
from registry.runtime import document_settings, import_limits, photo_limits, vault_for
from registry.services import jobs as job_service
from registry.services import registers
from registry.services.actors import Actor
from registry.services.batches import (
    CandidateInput,
    add_candidates,
    open_batch,
    remove_candidate,
    return_batch,
    submit_batch,
    update_candidate,
)
from registry.services.bodies import get_body, public_scope
from registry.services.issuance import approve_batch, certificates_of_batch
from registry.services.printing import bundle_size, print_bundle
from registry.services.sheets import PastedRowsRejected, add_pasted_candidates, columns
from registry.web import job_pages
from registry.web.console_base import (
    BODY_STAFF,
    bp,
    component_names,
    english,
    id_type_choices,
    level_text,
    now,
    place_error,
    today,
)
from registry.web.downloads import pdf_download
from registry.web.forms import (
    CandidateForm,
    ImportForm,
    OpenBatchForm,
    PasteForm,
    PhotosForm,
    ReturnForm,
    ScoresForm,
    scores_form,
)
from registry.web.i18n import select_language
from registry.web.staff import current_actor, staff_required

SHOWN_IMPORT_ERRORS = 100  # of a refused file's bad cells, listed on the page (the XLSX report has them all)


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
        scope=public_scope(session, actor.body_id, today=today()),
    )


def _option_label(option: registers.AssessmentOption) -> str:
    name = option.occupation_name_en if english() else option.occupation_name
    text = _("%(name)s %(code)s（%(year)s年版）%(level)s", name=name, code=option.standard_code,
             year=option.standard_version, level=level_text(option.level))
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
    options = registers.assessment_options(session, actor.body_id, today=today())
    form = OpenBatchForm()
    form.assessment.choices = [(o.key, _option_label(o)) for o in options]
    if request.method == "GET" and form.assessed_on.data is None:
        form.assessed_on.data = today()
    problem = None
    if form.validate_on_submit():
        chosen = {o.key: o for o in options}[form.assessment.data]
        try:
            batch = open_batch(
                session, body_id=actor.body_id, standard_code=chosen.standard_code,
                standard_version=chosen.standard_version, level=chosen.level, work_type=chosen.work_type,
                assessed_on=form.assessed_on.data, place=form.place.data or "", actor=actor, now=now(),
            )
        except (InvalidInput, Forbidden) as err:
            problem = place_error(form, err, {
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


def batch_page(batch_id: int, *, status: int = 200, problem: str | None = None, **forms: Any) -> Any:
    """The batch page; a form given (with its errors) replaces the empty one, `problem` shows above the actions."""
    actor = current_actor()
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=actor)
    sheet = registers.batch_sheet(session, batch)
    components = component_names(sheet.level)
    certificates = certificates_of_batch(session, batch_id) if batch.status == "issued" else []
    names = {u.id: u.display_name for u in registers.staff_of(session, batch.body_id)}
    limits = import_limits(current_app)
    page = render_template(
        "console_batch.html", sheet=sheet, batch=batch, components=components, certificates=certificates,
        printable=any(c.status == "valid" for c in certificates), names=names, problem=problem,
        columns=[en if english() else zh for zh, en in columns(sheet.level)],
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
    form_class = scores_form(CandidateForm, component_names(level))
    form = form_class(prefix="one") if bound else form_class(prefix="one", formdata=None, data=data or {})
    assert isinstance(form, CandidateForm)  # noqa: S101
    form.id_type.choices = id_type_choices()
    return form


def _candidate_fields(level: standards.Level) -> dict[str, str]:
    """Where a service's error about a candidate belongs on the candidate form."""
    return {"name": "name", "id_type": "id_type", "id_number": "id_number",
            **{f"scores.{kind}": f"score_{kind}" for kind in level.component_kinds}}


@bp.get("/batches/<int:batch_id>")
@staff_required(*BODY_STAFF)
def batch(batch_id: int) -> Any:
    return batch_page(batch_id)


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
        return batch_page(batch_id, status=422, candidate_form=form)
    row = CandidateInput(name=form.name.data or "", id_type=form.id_type.data or "",
                         id_number=form.id_number.data or "", scores=form.scores(level.component_kinds))
    try:
        add_candidates(session, batch_id=batch_id, candidates=[row], actor=actor, now=now())
    except InvalidInput as err:
        # add_candidates names the row ("第 1 行"); one candidate on a form is better told by its field
        cause = err.__cause__ if isinstance(err.__cause__, InvalidInput) else err
        field = (cause.field or "").split("].", 1)[-1]
        located = InvalidInput(cause.reason, cause.message_zh, cause.message_en, field=field)
        return batch_page(batch_id, status=422, candidate_form=form,
                           problem=place_error(form, located, _candidate_fields(level)))
    flash(_("已录入考生 %(name)s。", name=row.name))
    return redirect(url_for("console.batch", batch_id=batch_id, _anchor="candidates"))


@bp.post("/batches/<int:batch_id>/paste")
@staff_required(*BODY_STAFF)
def paste(batch_id: int) -> Any:
    actor = current_actor()
    form = PasteForm(prefix="paste")
    if not form.validate_on_submit():
        return batch_page(batch_id, status=422, paste_form=form)
    try:
        added = add_pasted_candidates(get_session(), batch_id=batch_id, text=form.rows.data or "", actor=actor,
                                      now=now())
    except PastedRowsRejected as err:
        form.rows.errors = [err.message(select_language())]
        return batch_page(batch_id, status=422, paste_form=form,
                           paste_errors=[e.message(select_language()) for e in err.errors])
    except InvalidInput as err:
        form.rows.errors = [err.message(select_language())]
        return batch_page(batch_id, status=err.status, paste_form=form)
    count = len(added)
    flash(ngettext("已录入 %(count)s 名考生。", "已录入 %(count)s 名考生。", count, count=format_decimal(count)))
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
            update_candidate(session, candidate_id=candidate_id, data=row, actor=actor, now=now())
        except DomainError as err:
            problem = place_error(form, err, _candidate_fields(level))
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
                                                         now=now()),
                _("已从本批次删除考生 %(name)s。", name=name), anchor="candidates")


def _act(batch_id: int, action: Callable[[Actor], object], done: str, *, anchor: str | None = None) -> Any:
    """Run a change of the batch; its refusal shows on the batch page with the service's status."""
    actor = current_actor()
    registers.body_batch(get_session(), batch_id=batch_id, actor=actor)
    try:
        action(actor)
    except DomainError as err:
        return batch_page(batch_id, status=err.status, problem=err.message(select_language()))
    flash(done)
    return redirect(url_for("console.batch", batch_id=batch_id, _anchor=anchor))


@bp.post("/batches/<int:batch_id>/submit")
@staff_required(*BODY_STAFF)
def submit(batch_id: int) -> Any:
    return _act(batch_id, lambda actor: submit_batch(get_session(), batch_id=batch_id, actor=actor, now=now()),
                _("已提交审核，等待质量督导员审核。"))


@bp.post("/batches/<int:batch_id>/approve")
@staff_required(*BODY_STAFF)
def approve(batch_id: int) -> Any:
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=current_actor())
    if batch.status == "submitted" and job_service.passed_count(session, batch_id) > current_app.config[
            "JOBS_INLINE_MAX"]:
        return start_job(batch_id, lambda actor: job_service.queue_issuance(
            session, batch_id=batch_id, actor=actor, now=now()))

    def issue(actor: Actor) -> None:
        approve_batch(session, batch_id=batch_id, approved_by=actor, vault=vault_for(current_app), now=now())

    return _act(batch_id, issue, _("已批准，证书已签发。"))


def start_job(batch_id: int, queue: Callable[[Actor], tuple[Job, bool]]) -> Any:
    """Queue a job (or join the open one of its kind) and show its page; a refusal shows on the batch page."""
    try:
        job, new = queue(current_actor())
    except DomainError as err:
        return batch_page(batch_id, status=err.status, problem=err.message(select_language()))
    if new:
        jobs.send(current_app, job)
    return redirect(url_for("console.job", job_id=pk(job)))


@bp.post("/batches/<int:batch_id>/return")
@staff_required(*BODY_STAFF)
def return_(batch_id: int) -> Any:
    form = ReturnForm(prefix="return")
    if not form.validate_on_submit():
        return batch_page(batch_id, status=422, return_form=form)
    return _act(batch_id, lambda actor: return_batch(get_session(), batch_id=batch_id, reason=form.reason.data or "",
                                                     actor=actor, now=now()),
                _("已退回批次，录入人修改后可重新提交。"))


@bp.get("/batches/<int:batch_id>/bundle.pdf")
@staff_required(*BODY_STAFF)
def bundle(batch_id: int) -> Any:
    session = get_session()
    pages = bundle_size(session, batch_id=batch_id, actor=current_actor())
    if pages > current_app.config["JOBS_INLINE_MAX"]:
        return start_job(batch_id, lambda actor: job_service.queue_print(
            session, batch_id=batch_id, actor=actor, pages=pages, now=now()))
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


