"""API tokens in both consoles: issued on a page that shows the secret once, listed by who may see them, revoked
with a button; and the token works against the API until it is revoked."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from registry.errors import InvalidInput
from registry.models import ApiToken
from registry.services.tokens import create_token
from registry.web import token_pages
from tests import factories as f
from tests.web.test_staff import sign_in, token, username

SECRET = re.compile(r'<input id="new-token"[^>]*\bvalue="(skr_[^"]+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def csrf(client, path: str) -> str:
    return token(text(client.get(path)))


def create(client, path: str, **data: str):
    return client.post(path, data={"csrf_token": csrf(client, path), **data})


def token_row(session, name: str) -> ApiToken:
    session.expire_all()
    return session.exec(select(ApiToken).where(ApiToken.name == name)).one()


def service_token(session, actor, owner, name: str) -> ApiToken:
    assert owner.user_id is not None
    return create_token(session, user_id=owner.user_id, name=name, scope="read", actor=actor, now=f.NOW).token


def session_of(app, client) -> dict:
    cookie = client.get_cookie("session")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}


def test_an_assessor_sees_the_secret_once_uses_it_and_revokes_it(app, client, session, caplog):
    caplog.set_level(logging.DEBUG)
    issued = f.issued_batch(session)
    number = issued.certificates[0].number
    assert sign_in(client, username(issued.assessor)).status_code == 302

    empty = client.get("/console/tokens")
    page = text(empty)
    assert empty.status_code == 200 and empty.headers["Cache-Control"] == "private, no-store"
    assert "还没有 API 令牌" in page and "Authorization: Bearer" in page and 'href="/api/v1/openapi.json"' in page
    assert 'aria-current="page">API 令牌</a>' in page
    assert 'name="user_id"' not in page  # an assessor's tokens are their own

    made = create(client, "/console/tokens", name="成绩导入脚本", scope="read", expires="")
    shown = text(made)
    assert made.status_code == 201 and made.headers["Cache-Control"] == "private, no-store"
    secret = SECRET.search(shown).group(1)
    assert shown.count(secret) == 1 and "只显示这一次" in shown
    row = token_row(session, "成绩导入脚本")
    assert (row.user_id, row.scope, row.expires_at, row.revoked_at) == (issued.assessor.user_id, "read", None, None)
    assert secret.startswith(f"skr_{row.token_id}.") and row.secret_hash not in secret
    # Not in a cookie, the (client-side) session, or a log
    assert all(secret not in cookie for cookie in made.headers.getlist("Set-Cookie"))
    assert secret not in repr(session_of(app, client))
    assert secret.split(".", 1)[1] not in caplog.text

    listed = client.get("/console/tokens")
    page = text(listed)
    assert secret not in page and secret.split(".", 1)[1] not in page
    assert f'<span class="mono">{row.token_id}</span>' in page
    assert "成绩导入脚本" in page and "只读" in page and "从未使用" in page and "不过期" in page
    assert secret not in repr(session_of(app, client))

    api = app.test_client()  # a program: no session, only the token
    pdf = api.get(f"/api/v1/certificates/{number}/pdf", headers={"Authorization": "Bearer " + secret})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "从未使用" not in text(client.get("/console/tokens"))

    revoked = client.post(f"/console/tokens/{row.token_id}/revoke",
                          data={"csrf_token": csrf(client, "/console/tokens")})
    assert revoked.status_code == 302 and revoked.headers["Location"].endswith("/console/tokens")
    page = text(client.get("/console/tokens"))
    assert "已撤销令牌“成绩导入脚本”" in page and "已撤销</span>" in page
    assert f"/console/tokens/{row.token_id}/revoke" not in page  # no button for a dead token
    assert token_row(session, "成绩导入脚本").revoked_by == issued.assessor.label
    refused = api.get(f"/api/v1/certificates/{number}/pdf", headers={"Authorization": "Bearer " + secret})
    assert refused.status_code == 401


def test_a_body_admin_issues_for_the_bodys_staff_and_sees_only_the_bodys_tokens(app, client, session):
    issued = f.issued_batch(session)
    admin = f.staff(session, issued.body, "body_admin")
    own = service_token(session, issued.assessor, issued.assessor, "考评员自己的令牌")
    other_staff = f.staff(session, f.body(session), "assessor")
    foreign = service_token(session, other_staff, other_staff, "另一家机构的令牌")
    regulator = f.regulator(session)
    service_token(session, regulator, regulator, "监管方的令牌")
    assert sign_in(client, username(admin)).status_code == 302

    form = text(client.get("/console/tokens"))
    assert f'<option value="{issued.assessor.user_id}">' in form
    assert f'<option selected value="{admin.user_id}">' in form  # by default for oneself
    assert f'value="{other_staff.user_id}"' not in form

    made = create(client, "/console/tokens", name="对接系统", scope="write", expires="90",
                  user_id=str(issued.assessor.user_id))
    assert made.status_code == 201 and SECRET.search(text(made))
    row = token_row(session, "对接系统")
    assert (row.user_id, row.body_id, row.scope, row.created_by) == (
        issued.assessor.user_id, issued.body.id, "write", admin.label)
    assert timedelta(days=89) < row.expires_at - datetime.now(UTC) <= timedelta(days=90)

    page = text(client.get("/console/tokens"))
    assert "考评员自己的令牌" in page and own.token_id in page and "对接系统" in page and "读写" in page
    assert "另一家机构的令牌" not in page and foreign.token_id not in page and "监管方的令牌" not in page

    # Another body's account is no choice, and another body's token is not found: nothing changes
    tampered = create(client, "/console/tokens", name="越权", scope="read", user_id=str(other_staff.user_id))
    assert tampered.status_code == 422
    assert session.exec(select(ApiToken).where(ApiToken.name == "越权")).first() is None
    gone = client.post(f"/console/tokens/{foreign.token_id}/revoke", data={"csrf_token": csrf(client, "/console")})
    assert gone.status_code == 404
    assert token_row(session, "另一家机构的令牌").revoked_at is None

    # The admin revokes an assessor's token
    done = client.post(f"/console/tokens/{own.token_id}/revoke", data={"csrf_token": csrf(client, "/console")})
    assert done.status_code == 302 and token_row(session, "考评员自己的令牌").revoked_by == admin.label


def test_the_regulator_page_lists_and_issues_only_regulator_tokens(client, session):
    f.publish_catalogue(session)
    assessor = f.staff(session, f.body(session), "assessor")
    body_token = service_token(session, assessor, assessor, "机构的令牌")
    colleague = f.regulator(session)
    theirs = service_token(session, colleague, colleague, "同事的令牌")
    regulator = f.regulator(session)
    assert sign_in(client, username(regulator)).status_code == 302

    page = text(client.get("/regulator/tokens"))
    assert "同事的令牌" in page and theirs.token_id in page
    assert "机构的令牌" not in page and body_token.token_id not in page
    assert 'aria-current="page">API 令牌</a>' in page and 'name="user_id"' not in page

    made = create(client, "/regulator/tokens", name="统计报表", scope="read", expires="30")
    assert made.status_code == 201 and made.headers["Cache-Control"] == "private, no-store"
    secret = SECRET.search(text(made)).group(1)
    row = token_row(session, "统计报表")
    assert (row.user_id, row.body_id) == (regulator.user_id, None)
    assert secret not in text(client.get("/regulator/tokens"))

    assert client.post(f"/regulator/tokens/{body_token.token_id}/revoke",
                       data={"csrf_token": csrf(client, "/regulator")}).status_code == 404
    assert token_row(session, "机构的令牌").revoked_at is None
    done = client.post(f"/regulator/tokens/{row.token_id}/revoke", data={"csrf_token": csrf(client, "/regulator")})
    assert done.status_code == 302 and done.headers["Location"].endswith("/regulator/tokens")
    assert "已撤销令牌“统计报表”" in text(client.get("/regulator/tokens"))


def test_a_refused_form_says_why_next_to_the_field(client, session, monkeypatch):
    f.publish_catalogue(session)
    assessor = f.staff(session, f.body(session), "assessor")
    assert sign_in(client, username(assessor)).status_code == 302

    empty = create(client, "/console/tokens", name="  ", scope="read")
    page = text(empty)
    assert empty.status_code == 422
    assert re.search(r'id="name-error">请填写令牌名称。</p>', page)
    assert re.search(r'<input aria-describedby="name-hint name-error" aria-invalid="true"[^>]*id="name"', page)
    assert 'id="new-token"' not in page
    assert session.exec(select(ApiToken)).first() is None

    # The service's own refusal goes to the field it names, in the reader's language
    def refuse(*args, **kwargs):
        raise InvalidInput("token-expiry", "到期时间必须晚于现在。", "The expiry must be in the future.",
                           field="expires_at")

    monkeypatch.setattr(token_pages, "create_token", refuse)
    refused = create(client, "/console/tokens?lang=en", name="脚本", scope="read", expires="30")
    assert refused.status_code == 422
    assert 'id="expires-error">The expiry must be in the future.</p>' in text(refused)
