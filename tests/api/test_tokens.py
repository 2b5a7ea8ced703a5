"""API tokens: shown once, stored hashed, acting as their account, read-only or read-write, revocable."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import MetaData, select
from sqlmodel import select as sql_select

from registry.cli import main
from registry.errors import Forbidden, NotFound
from registry.models import ApiToken, AuditEvent
from registry.services.actors import SYSTEM
from registry.services.tokens import authenticate_token, create_token, revoke_token, tokens_for
from registry.services.users import deactivate_user
from tests import factories as f
from tests.api.credentials import basic_headers


@pytest.fixture
def issued(session):
    return f.issued_batch(session, count=1)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def pdf_url(issued) -> str:
    return f"/api/v1/certificates/{issued.certificates[0].number}/pdf"


def test_a_token_acts_as_its_account_and_its_use_is_recorded(client, session, issued):
    token = create_token(session, user_id=issued.supervisor.user_id, name="ERP", scope="read", actor=issued.supervisor,
                         now=f.NOW)
    assert token.secret.startswith("skr_") and len(token.secret) > 50

    response = client.get(pdf_url(issued), headers=bearer(token.secret))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    row = session.get(ApiToken, token.token.id)
    session.refresh(row)
    assert row.last_used_at is not None

    # The secret is nowhere in the database: only its SHA-256
    dump = _dump(session)
    secret_part = token.secret.split(".", 1)[1]
    assert secret_part not in dump and token.secret not in dump
    assert hashlib.sha256(secret_part.encode()).hexdigest() in dump


def _dump(session) -> str:
    metadata = MetaData()
    metadata.reflect(bind=session.get_bind())
    rows = []
    for table in metadata.sorted_tables:
        rows.extend(str(tuple(r)) for r in session.execute(select(table)))
    return "\n".join(rows)


@pytest.mark.parametrize("spoil", ["wrong-secret", "revoked", "expired", "account-closed", "not-a-token"])
def test_a_spoilt_token_is_refused_with_401(client, session, issued, spoil):
    admin = f.staff(session, issued.body, "body_admin")
    expires = f.NOW + timedelta(days=1) if spoil == "expired" else None
    token = create_token(session, user_id=issued.supervisor.user_id, name="x", scope="read", actor=SYSTEM,
                         now=f.NOW, expires_at=expires)
    secret = token.secret
    if spoil == "wrong-secret":
        secret = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    elif spoil == "revoked":
        revoke_token(session, token_id=token.token.token_id, actor=admin, now=f.NOW)
    elif spoil == "account-closed":
        deactivate_user(session, user_id=issued.supervisor.user_id, actor=admin, now=f.NOW)
    elif spoil == "not-a-token":
        secret = "Bearer-but-not-ours"

    response = client.get(pdf_url(issued), headers={**bearer(secret), "Accept-Language": "en"})
    assert response.status_code == 401
    body = response.get_json()
    assert body["reason"] == "token-invalid" and "not valid" in body["message"]
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_expiry_is_checked_against_the_clock(session, issued):
    token = create_token(session, user_id=issued.supervisor.user_id, name="x", scope="read", actor=SYSTEM,
                         now=f.NOW, expires_at=f.NOW + timedelta(hours=1))
    assert authenticate_token(session, token.secret, now=f.NOW + timedelta(minutes=59)) is not None
    assert authenticate_token(session, token.secret, now=f.NOW + timedelta(hours=1)) is None


def test_who_may_issue_see_and_revoke_tokens(session, issued):
    other = f.issued_batch(session, count=1)
    admin = f.staff(session, issued.body, "body_admin")
    assessor = f.staff(session, issued.body, "assessor")
    regulator = f.regulator(session)

    # The admin issues for the body's staff; an assessor only for themself; nobody for another body's staff
    create_token(session, user_id=assessor.user_id, name="by admin", scope="write", actor=admin, now=f.NOW)
    own = create_token(session, user_id=assessor.user_id, name="mine", scope="read", actor=assessor, now=f.NOW)
    with pytest.raises(Forbidden):
        create_token(session, user_id=issued.supervisor.user_id, name="x", scope="read", actor=assessor, now=f.NOW)
    with pytest.raises(Forbidden):
        create_token(session, user_id=other.supervisor.user_id, name="x", scope="read", actor=admin, now=f.NOW)
    with pytest.raises(Forbidden):
        create_token(session, user_id=assessor.user_id, name="x", scope="read", actor=regulator, now=f.NOW)
    mine = create_token(session, user_id=regulator.user_id, name="stats", scope="read", actor=regulator, now=f.NOW)

    assert {t.name for t, _ in tokens_for(session, assessor)} == {"by admin", "mine"}
    assert {t.name for t, _ in tokens_for(session, admin)} == {"by admin", "mine"}
    assert {t.name for t, _ in tokens_for(session, regulator)} == {"stats"}
    assert tokens_for(session, other.supervisor) == []

    # Another body's token is not found (not forbidden): its existence is not told
    with pytest.raises(NotFound):
        revoke_token(session, token_id=own.token.token_id, actor=other.supervisor, now=f.NOW)
    with pytest.raises(NotFound):
        revoke_token(session, token_id=mine.token.token_id, actor=admin, now=f.NOW)
    revoke_token(session, token_id=own.token.token_id, actor=admin, now=f.NOW)
    assert session.get(ApiToken, own.token.id).revoked_by == admin.label

    trail = session.exec(sql_select(AuditEvent).where(AuditEvent.object_type == "api_token")).all()
    assert sorted(e.action for e in trail) == ["token.created"] * 3 + ["token.revoked"]
    assert all(own.secret.split(".", 1)[1] not in str((e.before, e.after)) for e in trail)


def test_people_may_still_use_their_password_by_http_basic(client, issued):
    assert client.get(pdf_url(issued), headers=basic_headers(issued.supervisor)).status_code == 200


def test_the_tokens_command_issues_lists_and_revokes(app, session, issued):
    runner = app.test_cli_runner()
    username = issued.supervisor.label.removeprefix("user:")
    created = runner.invoke(main, ["tokens", "create", "--username", username, "--name", "nightly export",
                                   "--scope", "read", "--days", "30"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("skr_")
    token_id = secret.removeprefix("skr_").split(".")[0]

    listed = runner.invoke(main, ["tokens", "list"])
    line = next(x for x in listed.stdout.splitlines() if x.startswith(token_id))
    assert line.split("\t")[1:5] == [username, "read", "active", "never"] and secret not in listed.stdout

    assert runner.invoke(main, ["tokens", "revoke", token_id]).exit_code == 0
    listed = runner.invoke(main, ["tokens", "list"])
    assert f"{token_id}\t{username}\tread\trevoked" in listed.stdout


def test_each_token_has_its_own_request_budget(app, client, session, issued):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    first = create_token(session, user_id=issued.supervisor.user_id, name="a", scope="read", actor=SYSTEM, now=f.NOW)
    second = create_token(session, user_id=issued.supervisor.user_id, name="b", scope="read", actor=SYSTEM, now=f.NOW)
    answers = [client.get(pdf_url(issued), headers=bearer(first.secret)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get(pdf_url(issued), headers={**bearer(first.secret), "Accept-Language": "en"})
    assert refused.get_json()["reason"] == "rate-limited"
    assert client.get(pdf_url(issued), headers=bearer(second.secret)).status_code == 200
