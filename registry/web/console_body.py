"""The body console's page about the body itself: scope, key, staff accounts, and API tokens."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from registry.db import get_session
from registry.errors import Conflict, InvalidInput
from registry.services import registers
from registry.services.bodies import get_body, public_scope
from registry.services.users import create_user, deactivate_user
from registry.web import token_pages
from registry.web.console_base import (
    BODY_STAFF,
    bp,
    now,
    place_error,
    today,
)
from registry.web.forms import (
    StaffAccountForm,
)
from registry.web.i18n import select_language
from registry.web.staff import current_actor, staff_required

# The body: scope, key, staff


def _body_page(*, status: int = 200, problem: str | None = None, form: StaffAccountForm | None = None) -> Any:
    actor = current_actor()
    session = get_session()
    assert actor.body_id is not None  # noqa: S101
    return render_template(
        "console_body.html", body=get_body(session, actor.body_id),
        scope=public_scope(session, actor.body_id, today=today()),
        key=registers.key_status(session, actor.body_id, now=now()),
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
                           actor=actor, now=now())
    except InvalidInput as err:
        problem = place_error(form, err, {"username": "username", "display_name": "display_name",
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
        deactivate_user(session, user_id=user_id, actor=actor, now=now())
    except Conflict as err:  # their own account, or one already closed
        return _body_page(status=err.status, problem=err.message(select_language()))
    flash(_("已停用账号 %(username)s。", username=user.username))
    return redirect(url_for("console.body", _anchor="staff"))


# API tokens (the page is shared with the regulator's console)


@bp.route("/tokens", methods=["GET", "POST"])
@staff_required(*BODY_STAFF)
def tokens() -> Any:
    return token_pages.page("console_tokens.html", revoke_endpoint="console.revoke_api_token")


@bp.post("/tokens/<string:token_id>/revoke")
@staff_required(*BODY_STAFF)
def revoke_api_token(token_id: str) -> Any:
    return token_pages.revoke(token_id, list_endpoint="console.tokens")
