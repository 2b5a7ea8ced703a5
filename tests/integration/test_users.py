"""Staff accounts: who may create whom, argon2 password hashes, and logins with audited failures."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from registry.errors import DomainError, Forbidden, InvalidInput
from registry.models import AuditEvent, User
from registry.services.actors import SYSTEM, Actor
from registry.services.users import authenticate, create_user
from tests import factories as f

CLIENT = "203.0.113.7"


def assert_refusal(err: DomainError, reason: str, field: str | None, zh: str, en: str) -> None:
    """The slug and field machines rely on, and both messages naming the rule that was broken."""
    assert (err.reason, err.field) == (reason, field)
    assert zh in err.message_zh, err.message_zh
    assert en in err.message_en, err.message_en


def new_user(session: Session, username: str, *, role: str = "assessor", body_id: int | None = None,
             password: str = f.PASSWORD, actor: Actor = SYSTEM) -> User:
    return create_user(session, username=username, display_name="李明", password=password, role=role,
                       body_id=body_id, actor=actor, now=f.NOW)


def user_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def failed_logins(session: Session) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == "login.failed").order_by(AuditEvent.id)
    return list(session.exec(query))


@pytest.fixture
def body(session: Session):
    f.publish_catalogue(session)
    return f.body(session)


# Passwords and login


def test_passwords_are_stored_only_as_salted_argon2_hashes(session, body):
    first = new_user(session, "li.ming", body_id=body.id)
    second = new_user(session, "wang.fang", body_id=body.id)

    session.expire_all()
    hashes = [session.get(User, user.id).password_hash for user in (first, second)]
    assert all(h.startswith("$argon2") for h in hashes)
    assert all(f.PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salt
    created = session.exec(select(AuditEvent).where(AuditEvent.action == "user.created")).all()
    assert created
    assert all(f.PASSWORD not in str(e.after) and "$argon2" not in str(e.after) for e in created)


def test_the_right_password_logs_in_without_an_audited_failure(session, body):
    user = new_user(session, "li.ming", body_id=body.id)

    found = authenticate(session, username=" Li.Ming ", password=f.PASSWORD, client=CLIENT, now=f.NOW)

    assert found is not None and found.id == user.id
    assert failed_logins(session) == []


def test_a_wrong_password_is_refused_and_audited_without_the_password(session, body):
    user = new_user(session, "li.ming", body_id=body.id)

    found = authenticate(session, username="li.ming", password="correct horse battery!", client=CLIENT, now=f.NOW)

    assert found is None
    [event] = failed_logins(session)
    assert (event.actor, event.object_type, event.object_id) == (f"client:{CLIENT}", "user", str(user.id))
    assert event.after == {"username": "li.ming"}
    assert event.occurred_at == f.NOW


def test_an_unknown_user_is_refused_and_audited(session, body):
    found = authenticate(session, username="nobody", password=f.PASSWORD, client=CLIENT, now=f.NOW)

    assert found is None
    [event] = failed_logins(session)
    assert (event.actor, event.object_id, event.after) == (f"client:{CLIENT}", "-", {"username": "nobody"})
    assert f.PASSWORD not in str(event.after)


def test_a_deactivated_account_cannot_log_in_even_with_its_password(session, body):
    user = new_user(session, "li.ming", body_id=body.id)
    user.active = False
    session.commit()

    assert authenticate(session, username="li.ming", password=f.PASSWORD, client=CLIENT, now=f.NOW) is None
    assert [e.object_id for e in failed_logins(session)] == [str(user.id)]


# Who may create whom


@pytest.mark.parametrize("role", ["assessor", "supervisor"])
def test_a_body_admin_creates_staff_for_its_own_body(session, body, role):
    admin = f.staff(session, body, "body_admin")

    user = new_user(session, "zhang.wei", role=role, body_id=body.id, actor=admin)

    session.expire_all()
    stored = session.get(User, user.id)
    assert (stored.role, stored.body_id) == (role, body.id)
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "user.created",
                                                    AuditEvent.object_id == str(user.id))).all()
    assert event.actor == admin.label
    assert event.after == {"username": "zhang.wei", "role": role, "body_id": body.id}


@pytest.mark.parametrize("role", ["assessor", "supervisor"])
def test_a_body_admin_cannot_create_staff_for_another_body(session, body, role):
    admin = f.staff(session, body, "body_admin")
    other = f.body(session)
    before = user_count(session)

    with pytest.raises(Forbidden) as caught:
        new_user(session, "zhang.wei", role=role, body_id=other.id, actor=admin)

    assert_refusal(caught.value, "user-create-forbidden", "role", "无权创建该类账户",
                   "may not create this kind of account")
    assert user_count(session) == before


@pytest.mark.parametrize("body_id", ["own", None])
def test_a_body_admin_cannot_create_a_regulator(session, body, body_id):
    admin = f.staff(session, body, "body_admin")
    before = user_count(session)

    with pytest.raises(Forbidden) as caught:
        new_user(session, "zhang.wei", role="regulator", body_id=body.id if body_id else None, actor=admin)

    assert_refusal(caught.value, "user-create-forbidden", "role", "无权创建该类账户",
                   "may not create this kind of account")
    assert user_count(session) == before


@pytest.mark.parametrize("role", ["assessor", "supervisor"])
def test_assessors_and_supervisors_cannot_create_accounts(session, body, role):
    staff = f.staff(session, body, role)

    with pytest.raises(Forbidden) as caught:
        new_user(session, "zhang.wei", role="assessor", body_id=body.id, actor=staff)

    assert caught.value.reason == "user-create-forbidden"
    assert session.exec(select(User).where(User.username == "zhang.wei")).first() is None


# Account details


@pytest.mark.parametrize("username", ["ab", "-li", ".li", "李明", "li ming", "li@ming", "a" * 65])
def test_a_malformed_username_is_refused(session, body, username):
    with pytest.raises(InvalidInput) as caught:
        new_user(session, username, body_id=body.id)

    assert_refusal(caught.value, "username-format", "username", "3-64 位小写字母", "Username must be 3-64")


def test_usernames_are_stored_in_lower_case(session, body):
    user = new_user(session, " Li.Ming_2 ", body_id=body.id)
    session.expire_all()
    assert session.get(User, user.id).username == "li.ming_2"


def test_a_password_shorter_than_ten_characters_is_refused(session, body):
    with pytest.raises(InvalidInput) as caught:
        new_user(session, "li.ming", body_id=body.id, password="123456789")

    assert_refusal(caught.value, "password-too-short", "password", "密码至少 10 个字符",
                   "Password must be at least 10 characters")
    assert session.exec(select(User).where(User.username == "li.ming")).first() is None
    # Ten characters are enough, and that password then logs in.
    new_user(session, "li.ming", body_id=body.id, password="1234567890")
    assert authenticate(session, username="li.ming", password="1234567890", client=CLIENT, now=f.NOW) is not None


def test_a_taken_username_is_refused_whatever_its_case(session, body):
    new_user(session, "wang.wu", body_id=body.id)
    before = user_count(session)

    with pytest.raises(InvalidInput) as caught:
        new_user(session, "Wang.Wu", role="supervisor", body_id=body.id)

    assert_refusal(caught.value, "username-taken", "username", "用户名 wang.wu 已存在", "Username wang.wu is taken")
    assert user_count(session) == before
