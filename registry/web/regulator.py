"""The regulator's console (/regulator): standards, bodies and scope, keys, batches, revocations, audit, statistics."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from itertools import groupby
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from certificates import ID_TYPES, PROVINCES, fold_id
from registry.db import get_read_session, get_session
from registry.errors import DomainError, NotFound
from registry.models import REVOCATION_REASONS, Body, pk
from registry.models.batch import BATCH_STATUSES
from registry.runtime import vault_for
from registry.services import batch_register, oversight, statistics
from registry.services.audit import AUDIT_PAGE_SIZE, EventPage, EventSearch, event_vocabulary, search_events
from registry.services.bodies import (
    BodyFiling,
    add_scope,
    change_body_status,
    file_body,
    get_body,
    scope_of,
    withdraw_scope,
)
from registry.services.clock import CHINA
from registry.services.key_rotation import rotate_body_key
from registry.services.revocation import revoke_certificate
from registry.services.standards import as_version, catalogue, occupation_versions
from registry.web.errors import page_errors
from registry.web.forms import (
    AuditFilterForm,
    BodyFilingForm,
    BodyStatusForm,
    RegulatorActionForm,
    RevokeByNumberForm,
    ScopeForm,
)
from registry.web.i18n import select_language
from registry.web.regulator_charts import TABLES, build_table, chart_svg, csv_file
from registry.web.staff import current_actor, staff_required
from standards import LEVELS, level_label
from standards.diff import diff_versions

bp = Blueprint("regulator", __name__, url_prefix="/regulator", template_folder="templates")
page_errors(bp)

MAX_QUERY = 100
# A chart is a picture of our own drawing: pygal's <style> is inline, it has no script and loads nothing.
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


@bp.after_request
def _private(response: Response) -> Response:
    """Console pages name holders and contact people: no shared or browser cache keeps them."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def _today() -> date:
    return datetime.now(CHINA).date()


def _now() -> datetime:
    return datetime.now(UTC)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    lang = select_language()

    def pick(zh: str, en: str) -> str:
        return en if lang == "en" and en else zh

    return {
        "pick": pick,
        "sep": ", " if lang == "en" else "、",  # between the items of a list in running text
        "level_name": lambda digit: level_label(digit, lang),
        "province_name": lambda code: pick(*PROVINCES.get(code, (code, code))),
        "reason_name": lambda key: pick(*REVOCATION_REASONS.get(key, (key, key))),
        "body_status_name": _body_status_name,
        "kind_name": lambda kind: {"Y": _("用人单位"), "S": _("社会培训评价组织")}.get(kind, kind),
        "id_type_name": lambda code: pick(*ID_TYPES.get(code, (code, code))),
        "when": lambda moment: moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else "",
    }


def _body_status_name(status: str) -> str:
    return {"active": _("正常"), "suspended": _("暂停"), "withdrawn": _("已撤销备案")}.get(status, status)


def _refuse(form: FlaskForm, error: DomainError, aliases: dict[str, str] | None = None) -> int:
    """Show a refusal next to the field it names (in the reader's language), else above the form."""
    message = error.message(select_language())
    name = (aliases or {}).get(error.field or "", error.field or "")
    field = form[name] if name and name in form else None
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)
    return error.status


# --- Overview and standards ----------------------------------------------------------------------------------

@bp.get("")
@staff_required("regulator")
def home() -> Any:
    figures = statistics.overview(get_read_session(), today=_today())
    return render_template("regulator_home.html", figures=figures)


@bp.get("/standards")
@staff_required("regulator")
def standards() -> Any:
    entries = catalogue(get_read_session(), today=_today())
    occupations = [(code, list(group)) for code, group in groupby(entries, key=lambda e: e.row.code)]
    return render_template("regulator_standards.html", occupations=occupations)


@bp.get("/standards/<string:code>/diff")
@staff_required("regulator")
def standard_diff(code: str) -> Any:
    """What changed from one version to another; by default from the one before the newest to the newest."""
    versions = occupation_versions(get_read_session(), code, today=_today())
    rows = {entry.row.version: entry.row for entry in versions}
    numbers = sorted(rows)
    new = request.args.get("to", numbers[-1], type=int)
    old = request.args.get("from", max((n for n in numbers if n < new), default=new), type=int)
    if old not in rows or new not in rows:
        raise NotFound("standard-not-found", f"职业编码 {code} 没有这个版本。",
                       f"Occupation code {code} has no such version.", field="version")
    diff = diff_versions(as_version(rows[old]), as_version(rows[new]))
    return render_template("regulator_standard_diff.html", code=code, versions=versions, diff=diff,
                           old=rows[old], new=rows[new])


# --- Bodies ----------------------------------------------------------------------------------------------------

@bp.get("/bodies")
@staff_required("regulator")
def bodies() -> Any:
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY]
    status = request.args.get("status", "")
    listing = oversight.find_bodies(get_read_session(), query=query, status=status,
                                    page=request.args.get("page", 1, type=int))
    return render_template("regulator_bodies.html", listing=listing, query=query, status=status,
                           statuses=oversight.BODY_STATUSES)


def _filing_form() -> BodyFilingForm:
    form = BodyFilingForm()
    lang = select_language()
    form.province.choices = [("", _("请选择"))] + [
        (code, f"{code} {en if lang == 'en' else zh}") for code, (zh, en) in PROVINCES.items()
    ]
    return form


@bp.route("/bodies/new", methods=["GET", "POST"])
@staff_required("regulator")
def new_body() -> Any:
    form = _filing_form()
    status = 200
    if form.validate_on_submit():
        filing = BodyFiling(
            name=form.name.data or "", kind=form.kind.data or "", credit_code=form.credit_code.data or "",
            province=form.province.data or "", body_code=(form.body_code.data or "").strip(),
            site_code=(form.site_code.data or "").strip(), contact_name=form.contact_name.data or "",
            contact_phone=form.contact_phone.data or "",
        )
        try:
            filed = file_body(get_session(), filing=filing, actor=current_actor(), vault=vault_for(current_app),
                              now=_now())
        except DomainError as err:
            status = _refuse(form, err)
        else:
            flash(_("已备案：%(name)s，证书编号前缀 %(prefix)s。", name=filed.name, prefix=filed.number_prefix), "ok")
            return redirect(url_for("regulator.body", body_id=pk(filed)))
    elif form.errors:
        status = 422
    return render_template("regulator_body_new.html", form=form), status


def _scope_form(session: Any) -> ScopeForm:
    """Occupations and their 工种 as one choice (`code` or `code|工种`), levels as check boxes."""
    form = ScopeForm()
    lang = select_language()
    choices: list[tuple[str, str]] = [("", _("请选择"))]
    for code, group in groupby(catalogue(session, today=_today()), key=lambda e: e.row.code):
        rows = [entry.row for entry in group]
        newest = rows[-1]
        name = newest.name_en if lang == "en" else newest.name
        choices.append((code, _("%(name)s %(code)s（全部工种）", name=name, code=code)))
        work_types = dict.fromkeys(wt for row in rows for wt in row.content["work_types"])
        choices.extend((f"{code}|{wt}", f"{name} {code} · {wt}") for wt in work_types)
    form.occupation.choices = choices
    form.levels.choices = [(digit, level_label(digit, lang)) for digit in LEVELS]
    if request.method == "GET":
        form.valid_from.data = _today()
    return form


def _status_form(body: Body) -> BodyStatusForm:
    form = BodyStatusForm()
    names = {"suspend": _("暂停（停止签发新证书）"), "reinstate": _("恢复"),
             "withdraw": _("撤销备案（退出，不可恢复）")}
    allowed = {"active": ("suspend", "withdraw"), "suspended": ("reinstate", "withdraw")}.get(body.status, ())
    form.change.choices = [(change, names[change]) for change in allowed]
    return form


def _body_page(body_id: int, *, scope_form: ScopeForm | None = None, status_form: BodyStatusForm | None = None,
               status: int = 200) -> Any:
    session = get_session()  # after a change: read what was just written
    found = get_body(session, body_id)
    page = render_template(
        "regulator_body.html", body=found,
        scope=oversight.scope_rows(session, body_id, today=_today()),
        keys=oversight.keys_of(session, body_id),
        credential_keys=oversight.credential_keys_of(session, body_id),
        counts=oversight.certificate_counts(session, body_id),
        scope_form=scope_form or _scope_form(session),
        status_form=status_form or _status_form(found),
        action_form=RegulatorActionForm(),
    )
    return page, status


@bp.get("/bodies/<int:body_id>")
@staff_required("regulator")
def body(body_id: int) -> Any:
    return _body_page(body_id)


@bp.post("/bodies/<int:body_id>/scope")
@staff_required("regulator")
def add_scope_line(body_id: int) -> Any:
    session = get_session()
    form = _scope_form(session)
    status = 422
    if form.validate_on_submit():
        code, _sep, work_type = (form.occupation.data or "").partition("|")
        try:
            add_scope(session, body_id=body_id, occupation_code=code, work_type=work_type or None,
                      levels=list(form.levels.data or []), valid_from=form.valid_from.data,
                      valid_to=form.valid_to.data, actor=current_actor(), now=_now())
        except DomainError as err:
            status = _refuse(form, err, {"occupation_code": "occupation", "work_type": "occupation"})
        else:
            flash(_("已添加备案范围。"), "ok")
            return redirect(url_for("regulator.body", body_id=body_id, _anchor="scope"))
    return _body_page(body_id, scope_form=form, status=status)


@bp.post("/bodies/<int:body_id>/scope/<int:scope_id>/withdraw")
@staff_required("regulator")
def withdraw_scope_line(body_id: int, scope_id: int) -> Any:
    session = get_session()
    if scope_id not in {entry.id for entry in scope_of(session, body_id)}:
        abort(404)
    withdraw_scope(session, scope_id=scope_id, actor=current_actor(), now=_now())
    flash(_("已撤回该备案范围。"), "ok")
    return redirect(url_for("regulator.body", body_id=body_id, _anchor="scope"))


@bp.post("/bodies/<int:body_id>/status")
@staff_required("regulator")
def change_status(body_id: int) -> Any:
    session = get_session()
    form = _status_form(get_body(session, body_id))
    status = 422
    if form.validate_on_submit():
        try:
            changed = change_body_status(session, body_id=body_id, change=form.change.data or "",
                                         reason=form.reason.data or "", actor=current_actor(), now=_now())
        except DomainError as err:
            status = _refuse(form, err, {"status": "change"})
        else:
            flash(_("机构状态已改为“%(status)s”。", status=_body_status_name(changed.status)), "ok")
            return redirect(url_for("regulator.body", body_id=body_id, _anchor="status"))
    return _body_page(body_id, status_form=form, status=status)


@bp.post("/bodies/<int:body_id>/key")
@staff_required("regulator")
def rotate_key(body_id: int) -> Any:
    key = rotate_body_key(get_session(), vault_for(current_app), body_id=body_id, actor=current_actor(), now=_now())
    flash(_("已轮换签名密钥与凭证密钥，新签名密钥编号 %(key_id)s。旧密钥已停用，其签发的证书和凭证仍可验证。",
            key_id=key.key_id), "ok")
    return redirect(url_for("regulator.body", body_id=body_id, _anchor="keys"))


# --- Batches ----------------------------------------------------------------------------------------------------

@bp.get("/batches")
@staff_required("regulator")
def batches() -> Any:
    """Every body's assessment batches with their counts, filtered by the address; 50 to a page."""
    session, actor = get_read_session(), current_actor()
    errors: dict[str, str] = {}
    search = batch_register.BatchSearch(
        body_id=request.args.get("body", type=int),
        status=request.args.get("status", ""),
        standard_code=" ".join(request.args.get("code", "").split())[:10],
        assessed_from=_date_arg("from", errors),
        assessed_to=_date_arg("to", errors),
    )
    if search.assessed_from and search.assessed_to and search.assessed_from > search.assessed_to:
        errors["to"] = _("截止日期不能早于起始日期。")
    choices = batch_register.batch_choices(session, actor=actor)
    if errors:  # a date that is no date: the form says which, and nothing is listed
        listing = batch_register.BatchListing([], 0, 1, batch_register.PAGE_SIZE)
        return render_template("regulator_batches.html", listing=listing, search=search, choices=choices,
                               statuses=BATCH_STATUSES, errors=errors), 422
    listing = batch_register.find_batches(session, search, actor=actor, page=request.args.get("page", 1, type=int))
    return render_template("regulator_batches.html", listing=listing, search=search, choices=choices,
                           statuses=BATCH_STATUSES, errors=errors)


def _date_arg(name: str, errors: dict[str, str]) -> date | None:
    """A date from the address (YYYY-MM-DD, as a date control sends it); a wrong one is noted in `errors`."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        errors[name] = _("请按“年-月-日”填写日期，例如 2026-05-10。")
        return None


@bp.get("/batches/<int:batch_id>")
@staff_required("regulator")
def batch(batch_id: int) -> Any:
    """One batch of any body, read-only: its facts, candidates (ID numbers masked), scores and certificates."""
    found = batch_register.batch_file(get_read_session(), batch_id=batch_id, actor=current_actor())
    return render_template("regulator_batch.html", file=found)


# --- Revocations and the audit trail ---------------------------------------------------------------------------

@bp.route("/revocations", methods=["GET", "POST"])
@staff_required("regulator")
def revocations() -> Any:
    form = RevokeByNumberForm()
    lang = select_language()
    form.reason.choices = [("", _("请选择")),  # nothing chosen for the reader: a revocation cannot be undone
                           *((key, en if lang == "en" else zh) for key, (zh, en) in REVOCATION_REASONS.items())]
    status = 200
    if form.validate_on_submit():
        try:
            revoke_certificate(get_session(), number=form.number.data or "", reason=form.reason.data or "",
                               note=form.note.data or "", actor=current_actor(), now=_now())
        except DomainError as err:
            status = _refuse(form, err)
        else:
            flash(_("证书 %(number)s 已撤销。", number=fold_id(form.number.data or "")), "ok")
            return redirect(url_for("regulator.revocations"))
    elif form.errors:
        status = 422
    number = " ".join(request.args.get("number", "").split())[:40]
    body_id = request.args.get("body", type=int)
    listing = oversight.find_revocations(get_session(), number=number, body_id=body_id,
                                         page=request.args.get("page", 1, type=int))
    return render_template("regulator_revocations.html", form=form, listing=listing, number=number,
                           body_id=body_id), status


@bp.get("/audit")
@staff_required("regulator")
def audit() -> Any:
    """The trail, newest first, filtered by actor, action, object and China dates; 50 to a page."""
    session = get_read_session()
    actions, object_types = event_vocabulary(session)
    form = AuditFilterForm(formdata=request.args)
    families = sorted({action.split(".")[0] + "." for action in actions if "." in action})
    form.action.choices = [("", _("全部")), *((f, f + "*") for f in families), *((a, a) for a in actions)]
    form.object_type.choices = [("", _("全部")), *((t, t) for t in object_types)]
    if not form.validate():  # a date that is no date: the form says which, and nothing is listed
        return render_template("regulator_audit.html", form=form, events=EventPage([], 0, 1, AUDIT_PAGE_SIZE),
                               show=_show_values), 422
    search = EventSearch(actor=form.actor.data or "", action=form.action.data or "",
                         object_type=form.object_type.data or "", object_id=form.object_id.data or "",
                         since=form.since.data, until=form.until.data)
    page = search_events(session, search, page=request.args.get("page", 1, type=int))
    return render_template("regulator_audit.html", form=form, events=page, show=_show_values)


def _show_values(values: Any) -> list[tuple[str, str]]:
    """A before/after record as key and value lines (nested values as compact JSON)."""
    if values is None:
        return []
    if not isinstance(values, dict):
        return [("", json.dumps(values, ensure_ascii=False))]
    return [(str(key), "—" if value is None else value if isinstance(value, str)
             else json.dumps(value, ensure_ascii=False, sort_keys=True))
            for key, value in sorted(values.items())]


# --- Statistics -------------------------------------------------------------------------------------------------

@bp.get("/statistics")
@staff_required("regulator")
def statistics_page() -> Any:
    session, today, lang = get_read_session(), _today(), select_language()
    tables = [build_table(key, session, today=today, lang=lang) for key in TABLES]
    return render_template("regulator_statistics.html", tables=tables, today=today)


def _table(key: str) -> Any:
    if key not in TABLES:
        abort(404)
    return build_table(key, get_read_session(), today=_today(), lang=select_language())


@bp.get("/statistics/<string:table>.csv")
@staff_required("regulator")
def statistics_csv(table: str) -> Any:
    response = Response(csv_file(_table(table)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="statistics-{table}-{_today().isoformat()}.csv"'
    return response


@bp.get("/statistics/<string:table>.svg")
@staff_required("regulator")
def statistics_chart(table: str) -> Any:
    narrow = request.args.get("size") == "narrow"
    response = Response(chart_svg(_table(table), narrow=narrow), mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_POLICY
    return response


# --- API tokens (the page is shared with the body console) ---------------------------------------------------
from registry.web import token_pages  # noqa: E402


@bp.route("/tokens", methods=["GET", "POST"])
@staff_required("regulator")
def tokens() -> Any:
    return token_pages.page("regulator_tokens.html", revoke_endpoint="regulator.revoke_api_token")


@bp.post("/tokens/<string:token_id>/revoke")
@staff_required("regulator")
def revoke_api_token(token_id: str) -> Any:
    return token_pages.revoke(token_id, list_endpoint="regulator.tokens")
