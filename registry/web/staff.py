"""Staff sign-in for the consoles (Flask-Login): throttled per username and per client, the session renewed at
sign-in, the user reloaded and checked on every request."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, Response, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user

from registry.db import get_session
from registry.limits import limiter
from registry.models import User
from registry.services.actors import Actor
from registry.services.users import authenticate
from registry.web.errors import page_errors
from registry.web.forms import LogoutForm, StaffLoginForm

bp = Blueprint("staff", __name__, template_folder="templates")
page_errors(bp)

login_manager = LoginManager()
login_manager.login_view = "staff.sign_in"
login_manager.login_message = _l("请先登录。")
login_manager.session_protection = "strong"

F = TypeVar("F", bound=Callable[..., Any])


class StaffUser:
    """What Flask-Login keeps per request: the stored user, reloaded each time (a disabled account is out)."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.actor = Actor.of(user)

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.user.id)


@login_manager.user_loader
def _load(user_id: str) -> StaffUser | None:
    user = get_session().get(User, int(user_id)) if user_id.isdigit() else None
    return StaffUser(user) if user is not None and user.active else None


def init_staff(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)


def current_actor() -> Actor:
    return cast(StaffUser, current_user).actor


def staff_required(*roles: str) -> Callable[[F], F]:
    """Signed-in staff with one of `roles` (any staff role when none is given); others get 403, strangers a
    redirect to sign in."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_actor().role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, guarded)

    return decorate


def _failed(response: Response) -> bool:
    return request.method == "POST" and response.headers.get("X-Staff-Login") == "failed"


def _username_key() -> str:
    name = request.form.get("username", "").strip().lower()
    return "staff-user:" + hashlib.sha256(name.encode()).hexdigest()[:24]


def home_of(actor: Actor) -> str:
    return url_for("regulator.home") if actor.role == "regulator" else url_for("console.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", key_func=_username_key, deduct_when=_failed, methods=["POST"])
@limiter.limit("30 per hour", deduct_when=_failed, methods=["POST"])
def sign_in() -> Any:
    if current_user.is_authenticated:
        return redirect(home_of(current_actor()))
    form = StaffLoginForm()
    failed = False
    if form.validate_on_submit():
        user = authenticate(get_session(), username=form.username.data or "", password=form.password.data or "",
                            client=request.remote_addr or "-", now=datetime.now(UTC))
        if user is not None:
            session.clear()  # no fixation: a new session for the signed-in user
            login_user(StaffUser(user))
            return redirect(home_of(Actor.of(user)))
        failed = True
    response = Response(render_template("staff_sign_in.html", form=form, failed=failed),
                        status=422 if (failed or form.errors) else 200)
    if request.method == "POST" and (failed or form.errors):
        response.headers["X-Staff-Login"] = "failed"
    return response


@bp.post("/logout")
def sign_out() -> Any:
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
    return redirect(url_for("staff.sign_in"))


@bp.errorhandler(429)
def throttled(error: Exception) -> Any:
    return render_template("error.html", title=_("尝试次数过多"),
                           message=_("登录已暂时锁定，请 15 分钟后再试。")), 429

