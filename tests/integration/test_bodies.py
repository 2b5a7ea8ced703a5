"""Filing evaluation bodies and their scope; suspension, reinstatement, withdrawal and their audit trail."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from certificates import make_uscc
from registry.errors import Conflict, DomainError, Forbidden, InvalidInput
from registry.models import AuditEvent, Body
from registry.services import bodies as body_service
from registry.services.actors import SYSTEM, Actor
from tests import factories as f

_serial = itertools.count(1)


def filing(**changes: object) -> body_service.BodyFiling:
    """A valid filing with a fresh credit code and site code; `changes` break or adjust it."""
    n = next(_serial)
    valid = body_service.BodyFiling(
        name=f"广东省职业技能评价中心{n}", kind="S", credit_code=make_uscc(f"52440100MJ9{n:06d}"), province="44",
        body_code="0001", site_code=f"8{n:05d}", contact_name="陈主任", contact_phone="020-87654321",
    )
    return replace(valid, **changes)


def assert_refusal(err: DomainError, reason: str, field: str | None, zh: str, en: str) -> None:
    """The slug and field machines rely on, and both messages naming the rule that was broken."""
    assert (err.reason, err.field) == (reason, field)
    assert zh in err.message_zh, err.message_zh
    assert en in err.message_en, err.message_en


def body_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Body)).one()


def events(session: Session, action: str, body_id: int) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_id == str(body_id))
    return list(session.exec(query.order_by(AuditEvent.id)))


@pytest.fixture
def regulator(session: Session) -> Actor:
    f.ensure_root(session)
    f.publish_catalogue(session)
    return f.regulator(session)


# Filing


def test_a_filing_is_stored_with_its_number_prefix_and_audited(session, regulator):
    data = filing(credit_code=filing().credit_code.lower(), kind="Y", body_code="0000", site_code="440123")

    filed = body_service.file_body(session, filing=data, actor=regulator, vault=f.VAULT, now=f.NOW)

    session.expire_all()
    stored = session.get(Body, filed.id)
    assert stored.credit_code == data.credit_code.upper()
    assert stored.status == "active"
    assert stored.number_prefix == "Y000044440123"
    [event] = events(session, "body.filed", filed.id)
    assert event.actor == regulator.label
    assert event.after["prefix"] == "Y000044440123"
    assert event.after["credit_code"] == data.credit_code.upper()


def test_a_credit_code_with_a_wrong_check_character_is_refused(session, regulator):
    good = filing().credit_code
    wrong = good[:17] + ("1" if good[17] != "1" else "2")

    with pytest.raises(InvalidInput) as caught:
        body_service.file_body(session, filing=filing(credit_code=wrong), actor=regulator, vault=f.VAULT, now=f.NOW)

    assert_refusal(caught.value, "credit-code-check", "credit_code", f"校验码错误：按 GB 32100 计算应为 {good[17]}",
                   f"check character is wrong: GB 32100 gives {good[17]}")
    assert "统一社会信用代码" in caught.value.message_zh
    assert body_count(session) == 0


@pytest.mark.parametrize("province", ["99", "4", "00"])
def test_a_province_outside_gb_t_2260_is_refused(session, regulator, province):
    with pytest.raises(InvalidInput) as caught:
        body_service.file_body(session, filing=filing(province=province), actor=regulator, vault=f.VAULT, now=f.NOW)

    assert_refusal(caught.value, "province-unknown", "province", "GB/T 2260 的省级代码", "GB/T 2260 provincial code")
    assert body_count(session) == 0


def test_a_credit_code_can_be_filed_only_once(session, regulator):
    first = body_service.file_body(session, filing=filing(), actor=regulator, vault=f.VAULT, now=f.NOW)
    again = filing(credit_code=f" {first.credit_code.lower()} ")  # the same code as typed by someone else

    with pytest.raises(InvalidInput) as caught:
        body_service.file_body(session, filing=again, actor=regulator, vault=f.VAULT, now=f.NOW)

    assert_refusal(caught.value, "body-credit-code-taken", "credit_code", f"{first.credit_code} 已备案",
                   f"{first.credit_code} is already filed")
    assert body_count(session) == 1


def test_a_certificate_number_prefix_belongs_to_one_body(session, regulator):
    first = body_service.file_body(session, filing=filing(site_code="440001"), actor=regulator, vault=f.VAULT,
                                   now=f.NOW)

    with pytest.raises(InvalidInput) as caught:
        body_service.file_body(session, filing=filing(site_code="440001"), actor=regulator, vault=f.VAULT,
                               now=f.NOW)

    assert_refusal(caught.value, "body-prefix-taken", "site_code",
                   f"证书编号前缀 {first.number_prefix} 已被其他机构使用",
                   f"Certificate number prefix {first.number_prefix} is used by another body")
    assert body_count(session) == 1
    # The prefix is the whole combination: an employer with the same codes gets a different one.
    employer = body_service.file_body(session, filing=filing(kind="Y", site_code="440001"), actor=regulator,
                                      vault=f.VAULT, now=f.NOW)
    assert employer.number_prefix == "Y000144440001"


@pytest.mark.parametrize("kind", ["X", "s", ""])
def test_body_kind_must_be_employer_or_social_organisation(session, regulator, kind):
    with pytest.raises(InvalidInput) as caught:
        body_service.file_body(session, filing=filing(kind=kind), actor=regulator, vault=f.VAULT, now=f.NOW)

    assert_refusal(caught.value, "body-kind", "kind", "Y（用人单位）或 S（社会培训评价组织）",
                   "Y (employer) or S (social training-evaluation organisation)")
    assert body_count(session) == 0


@pytest.mark.parametrize("role", ["body_admin", "assessor", "supervisor"])
def test_only_the_regulator_may_file_a_body(session, regulator, role):
    existing = f.body(session)
    staff = f.staff(session, existing, role)

    with pytest.raises(Forbidden) as caught:
        body_service.file_body(session, filing=filing(), actor=staff, vault=f.VAULT, now=f.NOW)

    assert_refusal(caught.value, "regulator-only", None, "监管方", "Only the regulator")
    assert body_count(session) == 1


def test_body_staff_cannot_widen_their_scope_or_lift_their_suspension(session, regulator):
    filed = f.body(session)
    admin = f.staff(session, filed, "body_admin")
    body_service.change_body_status(session, body_id=filed.id, change="suspend", reason="督导发现考核违规",
                                    actor=regulator, now=f.NOW)

    with pytest.raises(Forbidden) as scope_refusal:
        body_service.add_scope(session, body_id=filed.id, occupation_code="6-18-02-04", work_type=None, levels=[5],
                               valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), actor=admin, now=f.NOW)
    with pytest.raises(Forbidden) as status_refusal:
        body_service.change_body_status(session, body_id=filed.id, change="reinstate", reason="已整改",
                                        actor=admin, now=f.NOW)

    assert scope_refusal.value.reason == status_refusal.value.reason == "regulator-only"
    session.expire_all()
    assert [e.occupation_code for e in body_service.scope_of(session, filed.id)] == ["6-31-01-03"]
    assert session.get(Body, filed.id).status == "suspended"


# Scope


def test_a_scope_line_is_filed_for_published_levels_and_audited(session, regulator):
    filed = f.body(session, scope=())

    entry = body_service.add_scope(session, body_id=filed.id, occupation_code="4-10-01-06", work_type="母婴护理员",
                                   levels=[5, 3, 4], valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31),
                                   actor=regulator, now=f.NOW)

    session.expire_all()
    [stored] = body_service.scope_of(session, filed.id)
    assert (stored.id, stored.work_type, stored.levels) == (entry.id, "母婴护理员", [5, 4, 3])
    [event] = events(session, "scope.added", filed.id)
    assert event.actor == regulator.label
    assert event.after == {"scope_id": entry.id, "occupation_code": "4-10-01-06", "work_type": "母婴护理员",
                           "levels": [5, 4, 3], "valid_from": "2026-01-01", "valid_to": "2026-12-31"}


def _refused_scope(session: Session, regulator: Actor, **changes: object) -> DomainError:
    filed = f.body(session, scope=())
    line = {"occupation_code": "4-10-01-06", "work_type": None, "levels": [5, 4],
            "valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31)} | changes
    with pytest.raises(InvalidInput) as caught:
        body_service.add_scope(session, body_id=filed.id, actor=regulator, now=f.NOW, **line)
    assert body_service.scope_of(session, filed.id) == []
    assert events(session, "scope.added", filed.id) == []
    return caught.value


def test_scope_for_an_occupation_without_a_published_standard_is_refused(session, regulator):
    err = _refused_scope(session, regulator, occupation_code="9-99-99-99")
    assert_refusal(err, "scope-occupation-unknown", "occupation_code", "9-99-99-99 没有已发布的标准",
                   "9-99-99-99 has no published standard")


@pytest.mark.parametrize(("levels", "shown"), [([1], "[1]"), ([4, 1], "[1]"), ([], "（空）")])
def test_scope_levels_must_be_levels_of_the_standard(session, regulator, levels, shown):
    # 家政服务员 2019 covers 五级 to 二级 only.
    err = _refused_scope(session, regulator, levels=levels)
    assert_refusal(err, "scope-level-unknown", "levels", f"等级 {shown} 不在该职业标准覆盖的等级 [2, 3, 4, 5] 内",
                   "are not among the standard's levels [2, 3, 4, 5]")


def test_scope_levels_for_a_work_type_must_be_levels_of_that_work_type(session, regulator):
    # 母婴护理员 runs from 五级 to 三级; 二级/技师 of 家政服务员 has no 工种.
    err = _refused_scope(session, regulator, work_type="母婴护理员", levels=[3, 2])
    assert_refusal(err, "scope-level-unknown", "levels", "等级 [2] 不在该职业标准覆盖的等级 [3, 4, 5] 内",
                   "Levels [2] are not among the standard's levels [3, 4, 5]")


@pytest.mark.parametrize(("code", "work_type"), [("4-10-01-06", "保洁员"), ("6-31-01-03", "母婴护理员")])
def test_scope_work_type_must_be_one_the_standard_defines(session, regulator, code, work_type):
    err = _refused_scope(session, regulator, occupation_code=code, work_type=work_type)
    assert_refusal(err, "scope-work-type-unknown", "work_type", f"工种“{work_type}”不属于该职业标准",
                   f"Work type '{work_type}' is not defined by this occupation's standard")


def test_a_scope_period_cannot_end_before_it_starts(session, regulator):
    err = _refused_scope(session, regulator, valid_from=date(2026, 6, 1), valid_to=date(2026, 5, 31))
    assert_refusal(err, "scope-period", "valid_to", "有效期止不能早于有效期起", "valid_to cannot be before valid_from")
    # A single day is a valid period.
    filed = f.body(session, scope=())
    entry = body_service.add_scope(session, body_id=filed.id, occupation_code="6-31-01-03", work_type=None,
                                   levels=[5], valid_from=date(2026, 6, 1), valid_to=date(2026, 6, 1),
                                   actor=regulator, now=f.NOW)
    assert entry.valid_from == entry.valid_to


# Status


def test_suspend_reinstate_withdraw_each_keep_the_reason_and_are_audited(session, regulator):
    filed = f.body(session)
    steps = [("suspend", "suspended", "质量督导发现考评员资质不符"), ("reinstate", "active", "整改完成，经复核恢复"),
             ("withdraw", "withdrawn", "机构申请退出")]

    for change, status, reason in steps:
        changed = body_service.change_body_status(session, body_id=filed.id, change=change, reason=reason,
                                                  actor=regulator, now=f.NOW)
        session.expire_all()
        stored = session.get(Body, changed.id)
        assert (stored.status, stored.status_reason, stored.status_changed_at) == (status, reason, f.NOW)

    trail = [events(session, action, filed.id) for action in ("body.suspended", "body.reinstated", "body.withdrawn")]
    assert [(e.before, e.after, e.actor) for [e] in trail] == [
        ({"status": "active", "reason": ""}, {"status": "suspended", "reason": steps[0][2]}, regulator.label),
        ({"status": "suspended", "reason": steps[0][2]}, {"status": "active", "reason": steps[1][2]}, regulator.label),
        ({"status": "active", "reason": steps[1][2]}, {"status": "withdrawn", "reason": steps[2][2]}, regulator.label),
    ]


def test_a_suspended_body_can_be_withdrawn_directly(session, regulator):
    filed = f.body(session)
    body_service.change_body_status(session, body_id=filed.id, change="suspend", reason="停业整顿", actor=regulator,
                                    now=f.NOW)
    body_service.change_body_status(session, body_id=filed.id, change="withdraw", reason="整改不合格，撤销备案",
                                    actor=regulator, now=f.NOW)
    session.expire_all()
    assert session.get(Body, filed.id).status == "withdrawn"


@pytest.mark.parametrize(
    ("history", "change", "status_zh", "status_en"),
    [
        ((), "reinstate", "正常", "active"),
        (("suspend",), "suspend", "暂停", "suspended"),
        (("withdraw",), "suspend", "已退出", "withdrawn"),
        (("withdraw",), "reinstate", "已退出", "withdrawn"),
        (("withdraw",), "withdraw", "已退出", "withdrawn"),
        (("suspend", "withdraw"), "reinstate", "已退出", "withdrawn"),
    ],
)
def test_a_status_change_from_the_wrong_state_is_refused(session, regulator, history, change, status_zh, status_en):
    filed = f.body(session)
    for earlier in history:
        body_service.change_body_status(session, body_id=filed.id, change=earlier, reason="前序操作",
                                        actor=regulator, now=f.NOW)
    events_before = session.exec(select(func.count()).select_from(AuditEvent)).one()

    with pytest.raises(Conflict) as caught:
        body_service.change_body_status(session, body_id=filed.id, change=change, reason="再次变更",
                                        actor=regulator, now=f.NOW)

    assert_refusal(caught.value, f"body-cannot-{change}", "status", f"机构当前状态为“{status_zh}”",
                   f"The body is {status_en}")
    session.expire_all()
    assert session.get(Body, filed.id).status == status_en
    assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events_before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_status_change_needs_a_reason(session, regulator, reason):
    filed = f.body(session)

    with pytest.raises(InvalidInput) as caught:
        body_service.change_body_status(session, body_id=filed.id, change="suspend", reason=reason,
                                        actor=regulator, now=f.NOW)

    assert_refusal(caught.value, "reason-required", "reason", "原因不能为空", "Reason is required")
    session.expire_all()
    assert session.get(Body, filed.id).status == "active"
    assert events(session, "body.suspended", filed.id) == []


@pytest.mark.parametrize("failing_commit", [1, 2])
def test_a_status_change_and_its_audit_event_are_committed_together(session, regulator, monkeypatch, failing_commit):
    """Whichever commit fails, the database never holds the change without its event or the reverse."""
    filed = f.body(session)
    real_commit, commits = session.commit, []

    def commit() -> None:
        commits.append(1)
        if len(commits) == failing_commit:
            session.flush()  # the rows reach the database, then the transaction fails
            raise RuntimeError("injected commit failure")
        real_commit()

    monkeypatch.setattr(session, "commit", commit)
    try:
        body_service.change_body_status(session, body_id=filed.id, change="suspend", reason="督导发现问题",
                                        actor=regulator, now=f.NOW)
    except RuntimeError:
        session.rollback()
    monkeypatch.undo()

    session.expire_all()
    suspended = session.get(Body, filed.id).status == "suspended"
    audited = [e.after for e in events(session, "body.suspended", filed.id)] == [
        {"status": "suspended", "reason": "督导发现问题"}]
    assert suspended == audited
    if failing_commit == 1:
        assert not suspended


def test_a_withdrawn_body_gets_no_new_scope_or_staff(session):
    from registry.services.users import create_user

    f.publish_catalogue(session)
    body = f.body(session)
    body_service.change_body_status(session, body_id=body.id, change="withdraw", reason="主动退出", actor=SYSTEM,
                                    now=f.NOW)
    with pytest.raises(Conflict) as err:
        body_service.add_scope(session, body_id=body.id, occupation_code="6-31-01-03", work_type=None, levels=[5],
                               valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), actor=SYSTEM, now=f.NOW)
    assert err.value.reason == "body-withdrawn"
    with pytest.raises(Conflict):
        create_user(session, username="late-hire", display_name="新人", password=f.PASSWORD, role="assessor",
                    body_id=body.id, actor=SYSTEM, now=f.NOW)


def test_an_unknown_status_change_is_a_domain_error(session):
    f.publish_catalogue(session)
    body = f.body(session)
    with pytest.raises(InvalidInput) as err:
        body_service.change_body_status(session, body_id=body.id, change="close", reason="x", actor=SYSTEM, now=f.NOW)
    assert (err.value.reason, err.value.field) == ("body-status-change-unknown", "change")
