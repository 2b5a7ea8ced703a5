"""Assessment batches: opened only inside the body's scope, candidates and scores checked, submit and return."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import date

import pytest
from sqlmodel import Session, select

from certificates import make_resident_id
from registry.errors import Conflict, DomainError, Forbidden, InvalidInput
from registry.models import AuditEvent, Batch, Body, Candidate, User
from registry.services import batches as batch_service
from registry.services import bodies as body_service
from registry.services.actors import SYSTEM, Actor
from registry.services.batches import CandidateInput
from tests import factories as f

ELECTRICIAN = "6-31-01-03"  # 电工 2018: levels 5 to 1, no 工种
DOMESTIC = "4-10-01-06"  # 家政服务员 2019: levels 5 to 2, 工种 母婴护理员 / 家务服务员 / 家庭照护员
VALID_ID = "11010519491231002X"


def assert_refusal(err: DomainError, reason: str, field: str | None, zh: str, en: str) -> None:
    """The slug and field machines rely on, and both messages naming the rule that was broken."""
    assert (err.reason, err.field) == (reason, field)
    assert zh in err.message_zh, err.message_zh
    assert en in err.message_en, err.message_en


@dataclasses.dataclass
class Setup:
    body: Body
    assessor: Actor
    supervisor: Actor


@pytest.fixture
def setup(session: Session) -> Setup:
    f.publish_catalogue(session)
    body = f.body(session, scope=((ELECTRICIAN, None, [5, 4, 3, 2, 1]), (DOMESTIC, None, [5, 4, 3, 2])))
    return Setup(body, f.staff(session, body, "assessor"), f.staff(session, body, "supervisor"))


def open_(session: Session, body, actor: Actor, *, code: str = ELECTRICIAN, version: int = 2018, level: int = 4,
          work_type: str | None = None, assessed_on: date = f.ASSESSED_ON) -> Batch:
    return batch_service.open_batch(session, body_id=body.id, standard_code=code, standard_version=version,
                                    level=level, work_type=work_type, assessed_on=assessed_on,
                                    place="广州市天河区实训基地", actor=actor, now=f.NOW)


def add(session: Session, batch: Batch, actor: Actor, rows: list[CandidateInput]) -> list[Candidate]:
    return batch_service.add_candidates(session, batch_id=batch.id, candidates=rows, actor=actor, now=f.NOW)


def person(name: str = "张伟", id_number: str = VALID_ID, **scores: object) -> CandidateInput:
    return CandidateInput(name=name, id_type="resident", id_number=id_number,
                          scores=scores or {"theory": 75, "skill": 75})


def stored_candidates(session: Session, batch: Batch) -> list[Candidate]:
    session.expire_all()
    return batch_service.candidates_of(session, batch.id)


def batch_events(session: Session, batch: Batch, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_id == str(batch.id))
    return list(session.exec(query.order_by(AuditEvent.id)))


def batch_count(session: Session) -> int:
    return len(batch_service.list_batches(session))


# Opening a batch


def test_a_batch_opens_inside_the_scope_and_is_audited(session, setup):
    batch = open_(session, setup.body, setup.assessor, level=3)

    session.expire_all()
    stored = session.get(Batch, batch.id)
    assert (stored.status, stored.level, stored.work_type, stored.created_by) == (
        "draft", 3, None, setup.assessor.user_id)
    [event] = batch_events(session, batch, "batch.opened")
    assert event.after == {"standard": f"{ELECTRICIAN}@2018", "level": 3, "work_type": None,
                           "assessed_on": f.ASSESSED_ON.isoformat()}


def test_a_level_outside_the_filed_scope_is_refused(session):
    f.publish_catalogue(session)
    body = f.body(session, scope=((ELECTRICIAN, None, [5, 4]),))
    assessor = f.staff(session, body, "assessor")

    with pytest.raises(Forbidden) as caught:
        open_(session, body, assessor, level=3)

    assert_refusal(caught.value, "outside-scope", "level", "三级/高级工 在 2026-05-10 不在本机构的备案范围内",
                   "level 3 on 2026-05-10 is outside this body's filed scope")
    assert batch_count(session) == 0
    open_(session, body, assessor, level=4)  # the filed levels still open
    assert batch_count(session) == 1


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "opens"),
    [
        (date(2026, 5, 11), date(2027, 12, 31), False),  # starts the day after the assessment
        (date(2025, 1, 1), date(2026, 5, 9), False),  # ended the day before
        (date(2026, 5, 10), date(2026, 5, 10), True),  # both ends count
    ],
)
def test_the_scope_period_must_cover_the_assessment_date(session, valid_from, valid_to, opens):
    f.publish_catalogue(session)
    body = f.body(session, scope=())
    body_service.add_scope(session, body_id=body.id, occupation_code=ELECTRICIAN, work_type=None, levels=[4],
                           valid_from=valid_from, valid_to=valid_to, actor=SYSTEM, now=f.NOW)
    assessor = f.staff(session, body, "assessor")

    if opens:
        assert open_(session, body, assessor).assessed_on == f.ASSESSED_ON
        return
    with pytest.raises(Forbidden) as caught:
        open_(session, body, assessor)
    assert_refusal(caught.value, "outside-scope", "level", "不在本机构的备案范围内", "outside this body's filed scope")


def test_a_withdrawn_scope_line_no_longer_allows_batches(session, setup):
    open_(session, setup.body, setup.assessor)
    [electrician] = [e for e in body_service.scope_of(session, setup.body.id) if e.occupation_code == ELECTRICIAN]
    body_service.withdraw_scope(session, scope_id=electrician.id, actor=SYSTEM, now=f.NOW)

    with pytest.raises(Forbidden) as caught:
        open_(session, setup.body, setup.assessor)

    assert caught.value.reason == "outside-scope"
    assert batch_count(session) == 1
    # The other scope line still stands.
    assert open_(session, setup.body, setup.assessor, code=DOMESTIC, version=2019, work_type="家务服务员").id


def test_a_scope_line_for_one_work_type_covers_only_that_work_type(session):
    f.publish_catalogue(session)
    body = f.body(session, scope=((DOMESTIC, "母婴护理员", [5, 4]),))
    assessor = f.staff(session, body, "assessor")

    with pytest.raises(Forbidden) as caught:
        open_(session, body, assessor, code=DOMESTIC, version=2019, work_type="家务服务员")

    assert_refusal(caught.value, "outside-scope", "level", "（家务服务员）", "(家务服务员) level 4")
    assert open_(session, body, assessor, code=DOMESTIC, version=2019, work_type="母婴护理员").work_type == "母婴护理员"


@pytest.mark.parametrize("change", ["suspend", "withdraw"])
def test_a_suspended_or_withdrawn_body_cannot_open_batches(session, setup, change):
    body_service.change_body_status(session, body_id=setup.body.id, change=change, reason="督导发现考核违规",
                                    actor=SYSTEM, now=f.NOW)

    with pytest.raises(Forbidden) as caught:
        open_(session, setup.body, setup.assessor)

    assert_refusal(caught.value, "body-not-active", "body_id", "已被暂停或已退出", "suspended or withdrawn")
    assert batch_count(session) == 0


def test_a_reinstated_body_opens_batches_again(session, setup):
    body_service.change_body_status(session, body_id=setup.body.id, change="suspend", reason="停业整顿",
                                    actor=SYSTEM, now=f.NOW)
    body_service.change_body_status(session, body_id=setup.body.id, change="reinstate", reason="整改完成",
                                    actor=SYSTEM, now=f.NOW)
    assert open_(session, setup.body, setup.assessor).status == "draft"


@pytest.mark.parametrize("work_type", [None, "", "  "])
def test_a_standard_with_work_types_needs_one(session, setup, work_type):
    with pytest.raises(InvalidInput) as caught:
        open_(session, setup.body, setup.assessor, code=DOMESTIC, version=2019, work_type=work_type)

    assert_refusal(caught.value, "work-type-required", "work_type", "须选择工种：母婴护理员、家务服务员、家庭照护员",
                   "needs one of its work types: 母婴护理员, 家务服务员, 家庭照护员")
    assert batch_count(session) == 0


def test_a_work_type_of_the_standard_is_accepted(session, setup):
    batch = open_(session, setup.body, setup.assessor, code=DOMESTIC, version=2019, work_type=" 母婴护理员 ")
    session.expire_all()
    assert session.get(Batch, batch.id).work_type == "母婴护理员"


def test_a_work_type_the_standard_does_not_define_is_refused(session, setup):
    with pytest.raises(InvalidInput) as caught:
        open_(session, setup.body, setup.assessor, code=DOMESTIC, version=2019, work_type="保洁员")
    assert caught.value.reason == "work-type-required"
    assert caught.value.field == "work_type"


def test_a_standard_without_work_types_refuses_one(session, setup):
    with pytest.raises(InvalidInput) as caught:
        open_(session, setup.body, setup.assessor, work_type="母婴护理员")

    assert_refusal(caught.value, "work-type-not-applicable", "work_type", "不分工种", "has no work types")
    assert batch_count(session) == 0


def test_a_level_without_work_types_opens_without_one(session, setup):
    # 家政服务员 2019: the three 工种 run from 五级 to 三级; 二级/技师 has none (standard 1.4).
    batch = open_(session, setup.body, setup.assessor, code=DOMESTIC, version=2019, level=2)
    session.expire_all()
    assert session.get(Batch, batch.id).work_type is None

    with pytest.raises(InvalidInput) as caught:
        open_(session, setup.body, setup.assessor, code=DOMESTIC, version=2019, level=2, work_type="母婴护理员")
    assert_refusal(caught.value, "work-type-not-applicable", "work_type", "二级/技师不分工种",
                   "no work types at level 2")
    assert batch_count(session) == 1


def test_a_level_the_standard_does_not_define_is_refused(session, setup):
    # 家政服务员 2019 covers 五级 to 二级: there is no 一级/高级技师 to assess.
    with pytest.raises(InvalidInput) as caught:
        open_(session, setup.body, setup.assessor, code=DOMESTIC, version=2019, level=1, work_type="母婴护理员")

    assert_refusal(caught.value, "level-not-in-standard", "level", "该标准没有一级/高级技师（覆盖等级：5、4、3、2）",
                   "does not define level 1 (it covers [5, 4, 3, 2])")
    assert batch_count(session) == 0


def test_another_bodys_assessor_cannot_open_a_batch_for_this_body(session, setup):
    outsider = f.staff(session, f.body(session), "assessor")

    with pytest.raises(Forbidden) as caught:
        open_(session, setup.body, outsider)

    assert_refusal(caught.value, "other-body", None, "不能操作其他评价机构的数据", "another evaluation body")
    assert batch_count(session) == 0


# Candidates


def test_a_bad_id_check_character_names_the_row_and_writes_nothing(session, setup):
    batch = open_(session, setup.body, setup.assessor)
    rows = f.candidate_inputs(3)
    rows[1] = replace(rows[1], id_number=rows[1].id_number[:17] + ("0" if rows[1].id_number[17] != "0" else "1"))

    with pytest.raises(InvalidInput) as caught:
        add(session, batch, setup.assessor, rows)

    expected = f.candidate_inputs(3)[1].id_number[17]
    assert_refusal(caught.value, "id-number-check", "candidates[1].id_number",
                   f"第 2 行：证件号码校验码错误：按 GB 11643 计算应为 {expected}",
                   f"Row 2: ID number check character is wrong: GB 11643 gives {expected}")
    assert stored_candidates(session, batch) == []


def test_a_candidate_list_is_written_all_or_nothing(session, setup):
    batch = open_(session, setup.body, setup.assessor)
    rows = f.candidate_inputs(5)
    rows[2] = replace(rows[2], id_number="11010519491231002")  # 17 characters

    with pytest.raises(InvalidInput) as caught:
        add(session, batch, setup.assessor, rows)

    assert caught.value.field == "candidates[2].id_number"
    assert "第 3 行" in caught.value.message_zh and "Row 3" in caught.value.message_en
    assert stored_candidates(session, batch) == []
    assert batch_events(session, batch, "batch.candidates-added") == []
    # Nothing of the refused list lingers: the good rows go in afterwards without a duplicate error.
    add(session, batch, setup.assessor, rows[:2] + rows[3:])
    assert len(stored_candidates(session, batch)) == 4


@pytest.mark.parametrize("name", ["𠀀𠀁", "欧阳𬘭", "䶮", "买买提·艾力"])
def test_rare_and_minority_names_are_accepted_and_kept_exactly(session, setup, name):
    batch = open_(session, setup.body, setup.assessor)

    add(session, batch, setup.assessor, [person(name)])

    assert [c.name for c in stored_candidates(session, batch)] == [name]


def test_a_name_character_no_certificate_font_has_is_refused_at_entry_naming_it(session, setup):
    batch = open_(session, setup.body, setup.assessor)
    name = "王\U00030000"  # CJK Extension G: in neither the certificate font nor its fallback

    with pytest.raises(InvalidInput) as caught:
        add(session, batch, setup.assessor, [person(name)])

    assert caught.value.field == "candidates[0].name"
    assert caught.value.reason == "unprintable-character"
    assert "U+30000" in caught.value.message_zh and "U+30000" in caught.value.message_en
    assert stored_candidates(session, batch) == []


@pytest.mark.parametrize("name", ["张3", "王_芳", ""])
def test_a_name_with_digits_or_symbols_is_refused(session, setup, name):
    batch = open_(session, setup.body, setup.assessor)

    with pytest.raises(InvalidInput) as caught:
        add(session, batch, setup.assessor, [person("李娜", make_resident_id("440106", date(1990, 1, 1), 1)),
                                             person(name)])

    assert caught.value.field == "candidates[1].name"
    assert caught.value.reason in ("name-characters", "name-length")
    assert caught.value.message_zh.startswith("第 2 行：姓名") and caught.value.message_en.startswith("Row 2: name")
    assert stored_candidates(session, batch) == []


def test_a_name_with_a_digit_names_the_character(session, setup):
    batch = open_(session, setup.body, setup.assessor)
    with pytest.raises(InvalidInput) as caught:
        add(session, batch, setup.assessor, [person("张3")])
    assert_refusal(caught.value, "name-characters", "candidates[0].name", "含不允许的字符 “3”", "contains '3'")


def test_the_same_id_number_twice_in_one_list_is_refused(session, setup):
    batch = open_(session, setup.body, setup.assessor)

    with pytest.raises(InvalidInput) as caught:
        # The same number once typed with a lower-case x.
        add(session, batch, setup.assessor, [person("张伟", VALID_ID), person("张伟", VALID_ID.lower())])

    assert_refusal(caught.value, "candidate-duplicate", "candidates[1].id_number",
                   f"第 2 行：证件号码 {VALID_ID} 在本批次中重复", f"ID number {VALID_ID} appears twice in this batch")
    assert stored_candidates(session, batch) == []


def test_an_id_number_already_in_the_batch_is_refused(session, setup):
    batch = open_(session, setup.body, setup.assessor)
    add(session, batch, setup.assessor, [person("张伟", VALID_ID)])

    with pytest.raises(InvalidInput) as caught:
        add(session, batch, setup.assessor, [person("张伟", VALID_ID)])

    assert (caught.value.reason, caught.value.field) == ("candidate-duplicate", "candidates[0].id_number")
    assert len(stored_candidates(session, batch)) == 1


def test_a_review_score_is_refused_below_level_two(session, setup):
    batch = open_(session, setup.body, setup.assessor, level=4)

    with pytest.raises(InvalidInput) as caught:
        add(session, batch, setup.assessor, [person(theory=80, skill=80, review=80)])

    assert_refusal(caught.value, "score-component-unknown", "candidates[0].scores.review",
                   "该等级没有考核项目“review”（本等级考核：理论知识考试、技能考核）",
                   "Level 4 has no component 'review' (it has: theory, skill)")
    assert stored_candidates(session, batch) == []


def test_a_review_score_counts_at_level_two(session, setup):
    batch = open_(session, setup.body, setup.assessor, level=2)

    add(session, batch, setup.assessor, [person("张伟", VALID_ID, theory=80, skill=80, review=59),
                                         person("王芳", make_resident_id("440106", date(1990, 1, 1), 2),
                                                theory=80, skill=80, review=60)])

    assert [c.passed for c in stored_candidates(session, batch)] == [False, True]


@pytest.mark.parametrize("score", [101, -1, 59.5, True, "60"])
def test_a_score_must_be_a_whole_number_from_0_to_100(session, setup, score):
    batch = open_(session, setup.body, setup.assessor)

    with pytest.raises(InvalidInput) as caught:
        add(session, batch, setup.assessor, [person(theory=80, skill=score)])

    assert_refusal(caught.value, "score-range", "candidates[0].scores.skill",
                   f"技能考核成绩必须是 0 到 100 的整数，收到 {score!r}",
                   f"Practical skills assessment score must be a whole number 0-100, got {score!r}")
    assert stored_candidates(session, batch) == []


@pytest.mark.parametrize(
    ("scores", "passed"),
    [
        ({"theory": 60, "skill": 60}, True),
        ({"theory": 100, "skill": 0}, False),
        ({"theory": 59, "skill": 100}, False),
        ({"theory": 100, "skill": 59}, False),
        ({"theory": 100}, False),  # no skill score: not assessed is not passed
        ({"theory": 100, "skill": None}, False),
        ({}, False),
    ],
)
def test_the_outcome_is_computed_from_every_component(session, setup, scores, passed):
    batch = open_(session, setup.body, setup.assessor)

    add(session, batch, setup.assessor, [CandidateInput("张伟", "resident", VALID_ID, scores)])

    [stored] = stored_candidates(session, batch)
    assert stored.passed is passed
    assert stored.scores == {k: v for k, v in scores.items() if v is not None}


def test_pass_or_fail_cannot_be_typed_in(session, setup):
    batch = open_(session, setup.body, setup.assessor)
    assert "passed" not in {field.name for field in dataclasses.fields(CandidateInput)}

    with pytest.raises(InvalidInput) as caught:
        add(session, batch, setup.assessor, [person(theory=40, skill=40, passed=True)])

    assert (caught.value.reason, caught.value.field) == ("score-component-unknown", "candidates[0].scores.passed")
    assert stored_candidates(session, batch) == []


def test_recording_scores_replaces_them_and_recomputes_the_outcome(session, setup):
    batch = open_(session, setup.body, setup.assessor)
    [candidate] = add(session, batch, setup.assessor, [person(theory=80, skill=59)])
    assert candidate.passed is False

    batch_service.record_scores(session, candidate_id=candidate.id, scores={"theory": 80, "skill": 60},
                                actor=setup.assessor, now=f.NOW)
    [stored] = stored_candidates(session, batch)
    assert (stored.scores, stored.passed) == ({"theory": 80, "skill": 60}, True)

    # The new scores replace the old ones: a component left out is missing again, and fails.
    batch_service.record_scores(session, candidate_id=candidate.id, scores={"theory": 90}, actor=setup.assessor,
                                now=f.NOW)
    [stored] = stored_candidates(session, batch)
    assert (stored.scores, stored.passed) == ({"theory": 90}, False)

    trail = session.exec(select(AuditEvent).where(AuditEvent.action == "candidate.scored",
                                                  AuditEvent.object_id == str(candidate.id))
                         .order_by(AuditEvent.id)).all()
    assert [(e.before, e.after) for e in trail] == [
        ({"scores": {"theory": 80, "skill": 59}, "passed": False},
         {"scores": {"theory": 80, "skill": 60}, "passed": True}),
        ({"scores": {"theory": 80, "skill": 60}, "passed": True},
         {"scores": {"theory": 90}, "passed": False}),
    ]


def test_recorded_scores_are_checked_like_new_ones(session, setup):
    batch = open_(session, setup.body, setup.assessor)
    [candidate] = add(session, batch, setup.assessor, [person(theory=80, skill=59)])

    with pytest.raises(InvalidInput) as caught:
        batch_service.record_scores(session, candidate_id=candidate.id, scores={"theory": 80, "skill": 101},
                                    actor=setup.assessor, now=f.NOW)

    assert (caught.value.reason, caught.value.field) == ("score-range", "scores.skill")
    [stored] = stored_candidates(session, batch)
    assert (stored.scores, stored.passed) == ({"theory": 80, "skill": 59}, False)


def test_another_bodys_assessor_cannot_add_candidates_or_scores(session, setup):
    batch = open_(session, setup.body, setup.assessor)
    [candidate] = add(session, batch, setup.assessor, [person(theory=80, skill=59)])
    outsider = f.staff(session, f.body(session), "assessor")

    with pytest.raises(Forbidden) as adding:
        add(session, batch, outsider, [person("王芳", make_resident_id("440106", date(1990, 1, 1), 2))])
    with pytest.raises(Forbidden) as scoring:
        batch_service.record_scores(session, candidate_id=candidate.id, scores={"theory": 80, "skill": 90},
                                    actor=outsider, now=f.NOW)

    for err in (adding.value, scoring.value):
        assert (err.reason, err.field) == ("other-body", None)
        assert "不能操作其他评价机构的数据" in err.message_zh
        assert "another evaluation body" in err.message_en
    [stored] = stored_candidates(session, batch)
    assert (stored.id, stored.passed) == (candidate.id, False)


def test_a_supervisor_cannot_enter_candidates(session, setup):
    batch = open_(session, setup.body, setup.assessor)

    with pytest.raises(Forbidden) as caught:
        add(session, batch, setup.supervisor, [person()])

    assert_refusal(caught.value, "role-required", None, "机构管理员、考评员", "body_admin, assessor")
    assert stored_candidates(session, batch) == []


# Submit and return


def test_an_empty_batch_cannot_be_submitted(session, setup):
    batch = open_(session, setup.body, setup.assessor)

    with pytest.raises(InvalidInput) as caught:
        batch_service.submit_batch(session, batch_id=batch.id, actor=setup.assessor, now=f.NOW)

    assert_refusal(caught.value, "batch-empty", "candidates", "批次没有考生", "no candidates")
    session.expire_all()
    assert session.get(Batch, batch.id).status == "draft"


def test_a_submitted_batch_can_no_longer_be_edited(session, setup):
    batch = f.submitted_batch(session, setup.body, setup.assessor, count=2)
    first = stored_candidates(session, batch)[0]

    with pytest.raises(Conflict) as adding:
        add(session, batch, setup.assessor, f.candidate_inputs(1, start=10))
    with pytest.raises(Conflict) as scoring:
        batch_service.record_scores(session, candidate_id=first.id, scores={"theory": 100, "skill": 100},
                                    actor=setup.assessor, now=f.NOW)
    with pytest.raises(Conflict) as resubmitting:
        batch_service.submit_batch(session, batch_id=batch.id, actor=setup.assessor, now=f.NOW)

    for err in (adding.value, scoring.value, resubmitting.value):
        assert_refusal(err, "batch-not-editable", "status", "批次已提交或已发证，不能再修改",
                       "The batch is submitted: it can no longer be changed")
    stored = stored_candidates(session, batch)
    assert len(stored) == 2
    assert stored[0].scores == {"theory": 75, "skill": 75}


def test_submitting_records_who_and_when(session, setup):
    batch = f.submitted_batch(session, setup.body, setup.assessor, count=3)

    session.expire_all()
    stored = session.get(Batch, batch.id)
    assert (stored.status, stored.submitted_by, stored.submitted_at) == ("submitted", setup.assessor.user_id, f.NOW)
    [event] = batch_events(session, batch, "batch.submitted")
    assert (event.before, event.after) == ({"status": "draft"}, {"status": "submitted", "candidates": 3})


def test_the_submitter_cannot_return_their_own_batch(session, setup):
    batch = f.submitted_batch(session, setup.body, setup.assessor, count=2)

    with pytest.raises(Forbidden) as as_assessor:
        batch_service.return_batch(session, batch_id=batch.id, reason="成绩有误", actor=setup.assessor, now=f.NOW)
    assert as_assessor.value.reason == "role-required"

    # Promoted to supervisor since, the same person still may not decide on their own batch.
    user = session.get(User, setup.assessor.user_id)
    user.role = "supervisor"
    session.commit()
    with pytest.raises(Forbidden) as promoted:
        batch_service.return_batch(session, batch_id=batch.id, reason="成绩有误", actor=Actor.of(user), now=f.NOW)

    assert_refusal(promoted.value, "second-person-required", "actor", "提交人和录入人以外的质量督导员",
                   "A supervisor other than the person who entered or submitted")
    session.expire_all()
    assert session.get(Batch, batch.id).status == "submitted"


def test_another_bodys_supervisor_cannot_return_the_batch(session, setup):
    batch = f.submitted_batch(session, setup.body, setup.assessor, count=2)
    outsider = f.staff(session, f.body(session), "supervisor")

    with pytest.raises(Forbidden) as caught:
        batch_service.return_batch(session, batch_id=batch.id, reason="成绩有误", actor=outsider, now=f.NOW)

    assert caught.value.reason == "other-body"
    session.expire_all()
    assert session.get(Batch, batch.id).status == "submitted"


@pytest.mark.parametrize("reason", ["", "  \n "])
def test_returning_a_batch_needs_a_reason(session, setup, reason):
    batch = f.submitted_batch(session, setup.body, setup.assessor, count=2)

    with pytest.raises(InvalidInput) as caught:
        batch_service.return_batch(session, batch_id=batch.id, reason=reason, actor=setup.supervisor, now=f.NOW)

    assert_refusal(caught.value, "reason-required", "reason", "退回原因不能为空", "Reason is required")
    session.expire_all()
    assert session.get(Batch, batch.id).status == "submitted"
    assert batch_events(session, batch, "batch.returned") == []


def test_a_draft_cannot_be_returned(session, setup):
    batch = open_(session, setup.body, setup.assessor)
    add(session, batch, setup.assessor, [person()])

    with pytest.raises(Conflict) as caught:
        batch_service.return_batch(session, batch_id=batch.id, reason="成绩有误", actor=setup.supervisor, now=f.NOW)

    assert_refusal(caught.value, "batch-not-submitted", "status", "未处于待审核状态", "not awaiting approval")


def test_a_returned_batch_is_corrected_and_resubmitted(session, setup):
    batch = f.submitted_batch(session, setup.body, setup.assessor, count=2, failing={1})

    batch_service.return_batch(session, batch_id=batch.id, reason="第 2 名考生技能考核成绩录入有误",
                               actor=setup.supervisor, now=f.NOW)
    session.expire_all()
    returned = session.get(Batch, batch.id)
    assert (returned.status, returned.return_reason, returned.decided_by) == (
        "returned", "第 2 名考生技能考核成绩录入有误", setup.supervisor.user_id)
    [event] = batch_events(session, batch, "batch.returned")
    assert (event.before, event.after, event.actor) == (
        {"status": "submitted"}, {"status": "returned", "reason": "第 2 名考生技能考核成绩录入有误"},
        setup.supervisor.label)

    second = stored_candidates(session, batch)[1]
    batch_service.record_scores(session, candidate_id=second.id, scores={"theory": 75, "skill": 68},
                                actor=setup.assessor, now=f.NOW)
    add(session, batch, setup.assessor, f.candidate_inputs(1, start=10))
    resubmitted = batch_service.submit_batch(session, batch_id=batch.id, actor=setup.assessor, now=f.NOW)

    assert resubmitted.status == "submitted"
    assert [c.passed for c in stored_candidates(session, batch)] == [True, True, True]
    [_, again] = batch_events(session, batch, "batch.submitted")
    assert (again.before, again.after) == ({"status": "returned"}, {"status": "submitted", "candidates": 3})
