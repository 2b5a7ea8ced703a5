"""The API token pages of both consoles: the tokens one may see, a form that issues one, and revoking.

A new token's secret is on the page that answers the creating POST and nowhere else: not in a flash message or
the session (a cookie the browser keeps), not in a log, not in the database (only its hash is stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry.db import get_session
from registry.errors import DomainError
from registry.models import ApiToken, User
from registry.services import registers
from registry.services.actors import Actor
from registry.services.tokens import IssuedToken, create_token, revoke_token, tokens_for
from registry.web.forms import TokenForm
from registry.web.i18n import select_language
from registry.web.staff import current_actor

# Where a service's refusal belongs on the form (the service's field name → the form's).
FIELDS = {"name": "name", "scope": "scope", "expires_at": "expires", "user_id": "user_id"}


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    user: User
    state: str  # live, revoked or expired
    created_by: str  # who issued it, as a reader names them


def page(template: str, *, revoke_endpoint: str) -> Any:
    """GET: the list and an empty form. POST: issue a token and show its secret once (201), or the form's errors."""
    actor = current_actor()
    form = _form(actor)
    issued: IssuedToken | None = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                issued = _issue(form, actor)
            except DomainError as err:
                status = _place_error(form, err)
            else:
                status = 201
                form = _form(actor, blank=True)
        else:
            status = 422
    return render_template(template, rows=_rows(actor), form=form, issued=issued,
                           revoke_endpoint=revoke_endpoint, chooses_account="user_id" in form), status


def revoke(token_id: str, *, list_endpoint: str) -> Any:
    """Revoke one token the actor may see; another's is not found (404, from the service)."""
    row = revoke_token(get_session(), token_id=token_id, actor=current_actor(), now=_now())
    flash(_("已撤销令牌“%(name)s”（%(token_id)s），使用它的程序将无法再访问。", name=row.name,
            token_id=row.token_id), "ok")
    return redirect(url_for(list_endpoint))


def _now() -> datetime:
    return datetime.now(UTC)


def _form(actor: Actor, *, blank: bool = False) -> TokenForm:
    form = TokenForm(formdata=None) if blank else TokenForm()
    accounts = _accounts(actor)
    if accounts:
        form.user_id.choices = [(u.id, _("%(name)s（%(username)s）", name=u.display_name, username=u.username))
                                for u in accounts]
        if form.user_id.data is None:
            form.user_id.data = actor.user_id
    else:
        del form.user_id  # a token for oneself
    return form


def _accounts(actor: Actor) -> list[User]:
    """The accounts the actor chooses among: a body admin, the body's active staff; everyone else, none."""
    if actor.role != "body_admin" or actor.body_id is None:
        return []
    return [u for u in registers.staff_of(get_session(), actor.body_id) if u.active]


def _issue(form: TokenForm, actor: Actor) -> IssuedToken:
    now = _now()
    days = form.expires.data
    user_id = form.user_id.data if "user_id" in form else actor.user_id
    assert user_id is not None  # noqa: S101  (staff are signed in as a stored account)
    return create_token(get_session(), user_id=user_id, name=form.name.data or "", scope=form.scope.data or "",
                        actor=actor, now=now, expires_at=now + timedelta(days=int(days)) if days else None)


def _place_error(form: TokenForm, err: DomainError) -> int:
    """Show a refusal next to the field it names (in the reader's language), else above the form."""
    message = err.message(select_language())
    name = FIELDS.get(err.field or "")
    if name and name in form:
        form[name].errors = [*form[name].errors, message]
    else:
        form.form_errors.append(message)
    return err.status


def _rows(actor: Actor) -> list[TokenRow]:
    now = _now()
    return [TokenRow(token, user, _state(token, now), _issuer(token.created_by))
            for token, user in tokens_for(get_session(), actor)]


def _state(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "live"


def _issuer(label: str) -> str:
    """An audit label as a reader names its actor: the username, or the system for the command line."""
    kind, _sep, name = label.partition(":")
    return name if kind == "user" else _("系统")
