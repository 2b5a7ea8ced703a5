"""Staff sign-in for the consoles: where each role lands, throttling, sign-out, and who may not enter."""

from __future__ import annotations

import re

from sqlmodel import select

from registry.models import AuditEvent
from tests import factories as f


def token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, username: str, password: str = f.PASSWORD):
    csrf = token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": csrf, "username": username, "password": password})


def username(actor) -> str:
    return actor.label.removeprefix("user:")


def test_each_role_lands_on_its_console(client, session):
    f.publish_catalogue(session)
    regulator = f.regulator(session)
    assessor = f.staff(session, f.body(session), "assessor")

    assert sign_in(client, username(regulator)).headers["Location"].endswith("/regulator")
    assert client.get("/regulator").status_code == 200
    client.post("/logout", data={"csrf_token": token(client.get("/regulator").get_data(as_text=True))})
    assert sign_in(client, username(assessor)).headers["Location"].endswith("/console")
    assert client.get("/console").status_code == 200


def test_strangers_are_sent_to_sign_in_and_staff_stay_out_of_the_other_console(client, session):
    f.publish_catalogue(session)
    assessor = f.staff(session, f.body(session), "assessor")
    anonymous = client.get("/console")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    sign_in(client, username(assessor))
    forbidden = client.get("/regulator")
    assert forbidden.status_code == 403 and "无权访问" in forbidden.get_data(as_text=True)


def test_a_wrong_password_is_refused_audited_and_throttled_per_username(client, session):
    regulator = f.regulator(session)
    for _ in range(5):
        refused = sign_in(client, username(regulator), "wrong password")
        assert refused.status_code == 422 and "用户名或密码不正确" in refused.get_data(as_text=True)
    assert sign_in(client, username(regulator)).status_code == 429  # locked even with the right password
    failures = session.exec(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    assert len(failures) == 5 and all("wrong password" not in str(e.after) for e in failures)


def test_signing_out_ends_the_session(client, session):
    regulator = f.regulator(session)
    sign_in(client, username(regulator))
    csrf = token(client.get("/regulator").get_data(as_text=True))  # every page has the sign-out form
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert client.get("/regulator").status_code == 302
