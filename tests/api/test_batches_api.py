"""/api/v1/batches: a body's staff record a batch over HTTP and a supervisor decides it; other bodies get 404,
the regulator reads but changes nothing, roles are the services' and every refusal is in the one error shape."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlmodel import select

from registry.models import Batch, Candidate, Certificate
from registry.services import batches as batch_service
from tests import factories as f
from tests.api.credentials import auth_headers

NUMBER = re.compile(r"^S\d{21}$")


@dataclass
class World:
    body: Any
    other: Any
    admin: Any
    assessor: Any
    supervisor: Any
    other_assessor: Any
    other_supervisor: Any
    regulator: Any


@pytest.fixture
def world(session) -> World:
    f.publish_catalogue(session)
    body = f.body(session, scope=(("6-31-01-03", None, [5, 4, 3, 2, 1]), ("4-02-07-10", None, [5, 4, 3])))
    other = f.body(session)
    return World(
        body=body, other=other,
        admin=f.staff(session, body, "body_admin"), assessor=f.staff(session, body, "assessor"),
        supervisor=f.staff(session, body, "supervisor"),
        other_assessor=f.staff(session, other, "assessor"), other_supervisor=f.staff(session, other, "supervisor"),
        regulator=f.regulator(session),
    )


class Api:
    """Requests as one actor: reads with a read-only token, changes with a read-write one."""

    def __init__(self, client, session, actor, *, lang: str | None = None) -> None:
        self.client, self.session, self.actor = client, session, actor
        self.extra = {"Accept-Language": lang} if lang else {}

    def _headers(self, *, write: bool) -> dict[str, str]:
        return {**auth_headers(self.session, self.actor, write=write), **self.extra}

    def get(self, url: str, **kwargs: Any):
        return self.client.get(url, headers=self._headers(write=False), **kwargs)

    def post(self, url: str, json: Any = None):
        return self.client.post(url, json=json, headers=self._headers(write=True))

    def patch(self, url: str, json: Any):
        return self.client.patch(url, json=json, headers=self._headers(write=True))

    def put(self, url: str, json: Any):
        return self.client.put(url, json=json, headers=self._headers(write=True))

    def delete(self, url: str):
        return self.client.delete(url, headers=self._headers(write=True))


def as_(client, session, actor, **kwargs: Any) -> Api:
    return Api(client, session, actor, **kwargs)


OPEN = {"standard_code": "6-31-01-03", "standard_version": 2018, "level": 4, "work_type": None,
        "assessed_on": "2026-05-10", "place": "广州市天河区实训基地"}


def rows(count: int, *, failing: set[int] = frozenset(), start: int = 0) -> list[dict[str, Any]]:
    return [{"name": c.name, "id_type": c.id_type, "id_number": c.id_number, "scores": dict(c.scores)}
            for c in f.candidate_inputs(count, failing=failing, start=start)]


def bad_check_digit(id_number: str) -> str:
    return id_number[:-1] + ("1" if id_number[-1] != "1" else "2")


def assert_error(response, status: int, reason: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["code"] == status
    assert body["reason"] == reason
    assert body["message"]
    if field is not None:
        assert body["field"] == field
    return body


def stored_candidates(session, batch_id: int) -> list[tuple[str, str, dict[str, int]]]:
    session.expire_all()
    return [(c.name, c.id_number, dict(c.scores)) for c in
            session.exec(select(Candidate).where(Candidate.batch_id == batch_id).order_by(Candidate.id))]


def batch_status(session, batch_id: int) -> str:
    session.expire_all()
    return session.get(Batch, batch_id).status


# The whole flow


def test_a_batch_is_recorded_submitted_and_approved_over_http(client, session, world):
    assessor = as_(client, session, world.assessor)

    opened = assessor.post("/api/v1/batches", json=OPEN)
    assert opened.status_code == 201, opened.get_json()
    batch = opened.get_json()
    batch_id = batch["id"]
    assert opened.headers["Location"] == f"/api/v1/batches/{batch_id}"
    assert (batch["status"], batch["standard_code"], batch["standard_version"], batch["level"]) == (
        "draft", "6-31-01-03", 2018, 4)
    assert batch["created_by"]["id"] == world.assessor.user_id and batch["created_by"]["name"]
    assert batch["created_at"].endswith("+00:00")
    assert batch["assessed_on"] == "2026-05-10"
    assert opened.headers["Cache-Control"] == "private, no-store"

    # One bad row among three: nothing is added, and the error names the row and the field.
    entered = rows(4, failing={2})
    bad = [entered[0], {**entered[1], "id_number": bad_check_digit(entered[1]["id_number"])}, entered[2]]
    refused = assessor.post(f"/api/v1/batches/{batch_id}/candidates", json={"candidates": bad})
    body = assert_error(refused, 422, "id-number-check", "candidates[1].id_number")
    assert body["message"].startswith("第 2 行")
    assert stored_candidates(session, batch_id) == []

    added = assessor.post(f"/api/v1/batches/{batch_id}/candidates", json={"candidates": entered})
    assert added.status_code == 201, added.get_json()
    candidates = added.get_json()["candidates"]
    assert [c["name"] for c in candidates] == [r["name"] for r in entered]
    assert [c["passed"] for c in candidates] == [True, True, False, True]
    assert candidates[2]["reason_en"] == "Practical skills assessment 59 is below the pass mark 60"
    assert candidates[2]["reason_zh"] == "技能考核 59 分，低于合格线 60 分"
    assert candidates[0]["id_number"] == entered[0]["id_number"]  # in full, for the body's staff

    # Correct one: the failing candidate's skill score was mistyped, and their name.
    failing = candidates[2]
    corrected = assessor.patch(f"/api/v1/batches/{batch_id}/candidates/{failing['id']}",
                               json={"name": "王明", "scores": {"skill": 78}})
    assert corrected.status_code == 200, corrected.get_json()
    assert (corrected.get_json()["name"], corrected.get_json()["scores"], corrected.get_json()["passed"]) == (
        "王明", {"theory": 75, "skill": 78}, True)
    # Remove one entered by mistake.
    removed = assessor.delete(f"/api/v1/batches/{batch_id}/candidates/{candidates[3]['id']}")
    assert removed.status_code == 204
    listed = assessor.get(f"/api/v1/batches/{batch_id}/candidates").get_json()["candidates"]
    assert [c["id"] for c in listed] == [c["id"] for c in candidates[:3]]
    assert listed[2]["name"] == "王明"

    submitted = assessor.post(f"/api/v1/batches/{batch_id}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "submitted"
    assert submitted.get_json()["submitted_by"]["id"] == world.assessor.user_id

    approved = as_(client, session, world.supervisor).post(f"/api/v1/batches/{batch_id}/approve")
    assert approved.status_code == 200, approved.get_json()
    answer = approved.get_json()
    numbers = [c["number"] for c in answer["certificates"]]
    assert len(numbers) == 3 and all(NUMBER.match(n) for n in numbers)
    assert [c["holder_name"] for c in answer["certificates"]] == [c["name"] for c in listed]
    assert (answer["batch"]["status"], answer["batch"]["certificates"]) == ("issued", 3)
    assert answer["batch"]["decided_by"]["id"] == world.supervisor.user_id
    session.expire_all()
    stored = session.exec(select(Certificate.number).where(Certificate.batch_id == batch_id)).all()
    assert sorted(stored) == sorted(numbers)

    # A retry (a lost answer) gives the same certificates, never new ones.
    again = as_(client, session, world.supervisor).post(f"/api/v1/batches/{batch_id}/approve")
    assert [c["number"] for c in again.get_json()["certificates"]] == numbers

    detail = assessor.get(f"/api/v1/batches/{batch_id}").get_json()
    assert (detail["status"], detail["candidates"], detail["passed"], detail["certificates"]) == ("issued", 3, 3, 3)


def test_a_supervisor_returns_a_batch_with_the_reason_and_it_can_be_corrected(client, session, world):
    batch = f.submitted_batch(session, world.body, world.assessor, count=2)
    supervisor = as_(client, session, world.supervisor)

    missing = supervisor.post(f"/api/v1/batches/{batch.id}/return", json={})
    assert missing.status_code == 422
    assert "reason" in missing.get_json()["errors"]["json"]

    returned = supervisor.post(f"/api/v1/batches/{batch.id}/return", json={"reason": "第 2 名考生成绩与评分表不符"})
    assert returned.status_code == 200, returned.get_json()
    answer = returned.get_json()
    assert (answer["status"], answer["return_reason"]) == ("returned", "第 2 名考生成绩与评分表不符")
    assert answer["decided_by"]["id"] == world.supervisor.user_id and answer["decided_at"].endswith("+00:00")

    assessor = as_(client, session, world.assessor)
    assert assessor.get(f"/api/v1/batches/{batch.id}").get_json()["return_reason"] == "第 2 名考生成绩与评分表不符"
    [first, _] = assessor.get(f"/api/v1/batches/{batch.id}/candidates").get_json()["candidates"]
    rescored = assessor.put(f"/api/v1/batches/{batch.id}/candidates/{first['id']}/scores",
                            json={"scores": {"theory": 90, "skill": 40}})
    assert rescored.status_code == 200, rescored.get_json()
    assert (rescored.get_json()["scores"], rescored.get_json()["passed"]) == ({"theory": 90, "skill": 40}, False)
    assert assessor.post(f"/api/v1/batches/{batch.id}/submit").get_json()["status"] == "submitted"


def test_scores_left_out_have_none_and_fail_with_the_reason(client, session, world):
    batch = f.open_batch(session, world.body, world.assessor)
    assessor = as_(client, session, world.assessor)
    [row] = rows(1)
    [added] = assessor.post(f"/api/v1/batches/{batch.id}/candidates",
                            json={"candidates": [{**row, "scores": {"theory": 88}}]}).get_json()["candidates"]
    assert added["scores"] == {"theory": 88, "skill": None}
    assert (added["passed"], added["reason_en"]) == (False, "Practical skills assessment has no score")
    cleared = assessor.patch(f"/api/v1/batches/{batch.id}/candidates/{added['id']}", json={"scores": {"theory": None}})
    assert cleared.get_json()["scores"] == {"theory": None, "skill": None}


def test_a_submitted_or_issued_batch_cannot_change(client, session, world):
    batch = f.submitted_batch(session, world.body, world.assessor, count=1)
    assessor = as_(client, session, world.assessor)
    [one] = assessor.get(f"/api/v1/batches/{batch.id}/candidates").get_json()["candidates"]

    assert_error(assessor.post(f"/api/v1/batches/{batch.id}/candidates", json={"candidates": rows(1, start=5)}),
                 409, "batch-not-editable", "status")
    assert_error(assessor.patch(f"/api/v1/batches/{batch.id}/candidates/{one['id']}", json={"name": "王明"}),
                 409, "batch-not-editable")
    assert_error(assessor.delete(f"/api/v1/batches/{batch.id}/candidates/{one['id']}"), 409, "batch-not-editable")
    assert_error(assessor.post(f"/api/v1/batches/{batch.id}/submit"), 409, "batch-not-editable")
    draft = f.open_batch(session, world.body, world.assessor)
    assert_error(as_(client, session, world.supervisor).post(f"/api/v1/batches/{draft.id}/approve"),
                 409, "batch-not-submitted")
    assert_error(assessor.post(f"/api/v1/batches/{draft.id}/submit"), 422, "batch-empty", "candidates")


# The list


def test_the_list_filters_and_pages_a_bodys_own_batches(client, session, world):
    def opened(day: date, *, code: str = "6-31-01-03", version: int = 2018) -> Batch:
        return batch_service.open_batch(session, body_id=world.body.id, standard_code=code,
                                        standard_version=version, level=4, work_type=None, assessed_on=day,
                                        place="实训基地", actor=world.assessor, now=f.NOW)

    march, april, may = opened(date(2026, 3, 2)), opened(date(2026, 4, 1)), opened(date(2026, 5, 1))
    delivery = opened(date(2026, 4, 15), code="4-02-07-10", version=2021)
    batch_service.add_candidates(session, batch_id=april.id, candidates=f.candidate_inputs(3, failing={0}),
                                 actor=world.assessor, now=f.NOW)
    batch_service.submit_batch(session, batch_id=april.id, actor=world.assessor, now=f.NOW)
    f.open_batch(session, world.other, world.other_assessor)  # another body's: never listed for this one
    api = as_(client, session, world.supervisor)

    def ids(**params: Any) -> list[int]:
        response = api.get("/api/v1/batches", query_string=params)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids() == [may.id, delivery.id, april.id, march.id]  # the latest assessment first
    assert ids(status="submitted") == [april.id]
    assert ids(standard_code="4-02-07-10") == [delivery.id]
    assert ids(assessed_from="2026-04-01", assessed_to="2026-04-15") == [delivery.id, april.id]
    assert ids(body_id=world.other.id) == []

    page = api.get("/api/v1/batches", query_string={"per_page": 3, "page": 2}).get_json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 3, 4)
    assert [item["id"] for item in page["items"]] == [march.id]
    first = api.get("/api/v1/batches").get_json()
    assert (first["page"], first["per_page"]) == (1, 50)
    [row] = [item for item in first["items"] if item["id"] == april.id]
    assert (row["status"], row["candidates"], row["passed"], row["certificates"]) == ("submitted", 3, 2, 0)
    assert (row["occupation_name"], row["body_name"], row["assessed_on"]) == ("电工", world.body.name, "2026-04-01")


def test_the_regulator_lists_every_body_and_filters_by_body(client, session, world):
    mine = f.open_batch(session, world.body, world.assessor)
    theirs = f.open_batch(session, world.other, world.other_assessor)
    regulator = as_(client, session, world.regulator)
    everything = regulator.get("/api/v1/batches").get_json()
    assert {item["id"] for item in everything["items"]} >= {mine.id, theirs.id}
    filtered = regulator.get("/api/v1/batches", query_string={"body_id": world.other.id}).get_json()
    assert [item["id"] for item in filtered["items"]] == [theirs.id]
    assert filtered["total"] == 1


@pytest.mark.parametrize(
    "params, field",
    [
        ({"per_page": 101}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page": 0}, "page"),
        ({"status": "approved"}, "status"),
        ({"standard_code": "6310103"}, "standard_code"),
        ({"assessed_from": "2026-13-01"}, "assessed_from"),
        ({"assessed_from": "2026-06-01", "assessed_to": "2026-05-01"}, "assessed_to"),
    ],
)
def test_malformed_list_parameters_get_422_naming_the_parameter(client, session, world, params, field):
    response = as_(client, session, world.assessor).get("/api/v1/batches", query_string=params)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]
    assert response.get_json()["reason"] == "validation-failed"


# Another body, the regulator, roles


def test_another_bodys_batch_and_candidates_are_not_found_and_nothing_changes(client, session, world):
    batch = f.submitted_batch(session, world.body, world.assessor, count=2)
    draft = f.open_batch(session, world.body, world.assessor)
    batch_service.add_candidates(session, batch_id=draft.id, candidates=f.candidate_inputs(1), actor=world.assessor,
                                 now=f.NOW)
    [candidate] = session.exec(select(Candidate).where(Candidate.batch_id == draft.id)).all()
    batch_id, draft_id, candidate_id, id_number = batch.id, draft.id, candidate.id, candidate.id_number
    before = stored_candidates(session, draft_id)
    stranger = as_(client, session, world.other_assessor)
    their_supervisor = as_(client, session, world.other_supervisor)
    one = f"/api/v1/batches/{draft_id}/candidates/{candidate_id}"

    for response in (
        stranger.get(f"/api/v1/batches/{draft_id}"),
        stranger.get(f"/api/v1/batches/{draft_id}/candidates"),
        stranger.get(one),
        stranger.post(f"/api/v1/batches/{draft_id}/candidates", json={"candidates": rows(1, start=9)}),
        stranger.patch(one, json={"name": "冒名者"}),
        stranger.put(f"{one}/scores", json={"scores": {"theory": 0, "skill": 0}}),
        stranger.delete(one),
        stranger.post(f"/api/v1/batches/{draft_id}/submit"),
        their_supervisor.post(f"/api/v1/batches/{batch_id}/approve"),
        their_supervisor.post(f"/api/v1/batches/{batch_id}/return", json={"reason": "无理由"}),
    ):
        assert_error(response, 404, "batch-not-found", "batch_id")
        assert id_number not in response.get_data(as_text=True)

    assert stored_candidates(session, draft_id) == before
    assert (batch_status(session, draft_id), batch_status(session, batch_id)) == ("draft", "submitted")
    assert session.exec(select(Certificate).where(Certificate.batch_id == batch_id)).all() == []


def test_a_candidate_is_reached_only_through_its_own_batch(client, session, world):
    first = f.open_batch(session, world.body, world.assessor)
    second = f.open_batch(session, world.body, world.assessor)
    batch_service.add_candidates(session, batch_id=first.id, candidates=f.candidate_inputs(1), actor=world.assessor,
                                 now=f.NOW)
    [candidate] = session.exec(select(Candidate).where(Candidate.batch_id == first.id)).all()
    assessor = as_(client, session, world.assessor)
    assert_error(assessor.get(f"/api/v1/batches/{second.id}/candidates/{candidate.id}"), 404, "candidate-not-found")
    assert_error(assessor.delete(f"/api/v1/batches/{second.id}/candidates/{candidate.id}"), 404,
                 "candidate-not-found", "candidate_id")
    assert_error(assessor.get("/api/v1/batches/999999"), 404, "batch-not-found")
    assert len(stored_candidates(session, first.id)) == 1


def test_the_regulator_reads_every_batch_in_full_but_changes_nothing(client, session, world):
    batch = f.submitted_batch(session, world.body, world.assessor, count=2)
    draft = f.open_batch(session, world.body, world.assessor)
    batch_service.add_candidates(session, batch_id=draft.id, candidates=f.candidate_inputs(1), actor=world.assessor,
                                 now=f.NOW)
    [candidate] = session.exec(select(Candidate).where(Candidate.batch_id == draft.id)).all()
    batch_id, draft_id, candidate_id, id_number = batch.id, draft.id, candidate.id, candidate.id_number
    before = stored_candidates(session, draft_id)
    regulator, body_id = as_(client, session, world.regulator), world.body.id

    assert regulator.get(f"/api/v1/batches/{batch_id}").get_json()["status"] == "submitted"
    listed = regulator.get(f"/api/v1/batches/{draft_id}/candidates").get_json()["candidates"]
    assert [c["id_number"] for c in listed] == [id_number]
    assert regulator.get(f"/api/v1/batches/{draft_id}/candidates/{candidate_id}").status_code == 200

    one = f"/api/v1/batches/{draft_id}/candidates/{candidate_id}"
    for response in (
        regulator.post("/api/v1/batches", json=OPEN),
        regulator.post(f"/api/v1/batches/{draft_id}/candidates", json={"candidates": rows(1, start=9)}),
        regulator.patch(one, json={"name": "王明"}),
        regulator.put(f"{one}/scores", json={"scores": {"theory": 0, "skill": 0}}),
        regulator.delete(one),
        regulator.post(f"/api/v1/batches/{draft_id}/submit"),
        regulator.post(f"/api/v1/batches/{batch_id}/approve"),
        regulator.post(f"/api/v1/batches/{batch_id}/return", json={"reason": "监管退回"}),
    ):
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["code"] == 403

    assert stored_candidates(session, draft_id) == before
    assert (batch_status(session, draft_id), batch_status(session, batch_id)) == ("draft", "submitted")
    session.expire_all()
    assert len(session.exec(select(Batch).where(Batch.body_id == body_id)).all()) == 2


@pytest.mark.parametrize(
    "role, action, status",
    [
        ("assessor", "open", 201),
        ("body_admin", "open", 201),
        ("supervisor", "open", 403),
        ("assessor", "add", 201),
        ("body_admin", "add", 201),
        ("supervisor", "add", 403),
        ("assessor", "submit", 200),
        ("supervisor", "submit", 403),
        ("supervisor", "approve", 200),
        ("assessor", "approve", 403),
        ("body_admin", "approve", 403),
        ("supervisor", "return", 200),
        ("assessor", "return", 403),
        ("body_admin", "return", 403),
    ],
)
def test_roles_the_services_enforce(client, session, world, role, action, status):
    actor = {"assessor": world.assessor, "body_admin": world.admin, "supervisor": world.supervisor}[role]
    api = as_(client, session, actor)
    if action in ("approve", "return"):
        # entered and submitted by another assessor, so a supervisor is a second person
        batch = f.submitted_batch(session, world.body, f.staff(session, world.body, "assessor"), count=1)
    else:
        batch = f.open_batch(session, world.body, world.assessor)
        if action == "submit":
            batch_service.add_candidates(session, batch_id=batch.id, candidates=f.candidate_inputs(1),
                                         actor=world.assessor, now=f.NOW)
    response = {
        "open": lambda: api.post("/api/v1/batches", json=OPEN),
        "add": lambda: api.post(f"/api/v1/batches/{batch.id}/candidates", json={"candidates": rows(1)}),
        "submit": lambda: api.post(f"/api/v1/batches/{batch.id}/submit"),
        "approve": lambda: api.post(f"/api/v1/batches/{batch.id}/approve"),
        "return": lambda: api.post(f"/api/v1/batches/{batch.id}/return", json={"reason": "成绩有误"}),
    }[action]()
    assert response.status_code == status, response.get_json()
    if status == 403:
        assert response.get_json()["reason"] == "role-required"


def test_outside_the_filed_scope_is_refused(client, session, world):
    response = as_(client, session, world.assessor).post(
        "/api/v1/batches", json={**OPEN, "standard_code": "4-02-07-10", "standard_version": 2021, "level": 2})
    assert_error(response, 403, "outside-scope", "level")


def test_credentials_are_needed_and_a_read_only_token_cannot_write(client, session, world):
    assert_error(client.get("/api/v1/batches"), 401, "login-required")
    assert_error(client.post("/api/v1/batches", json=OPEN), 401, "login-required")
    read_only = auth_headers(session, world.assessor, write=False)
    assert client.get("/api/v1/batches", headers=read_only).status_code == 200
    refused = client.post("/api/v1/batches", json=OPEN, headers=read_only)
    assert refused.status_code == 403
    session.expire_all()
    assert session.exec(select(Batch).where(Batch.body_id == world.body.id)).all() == []


# Validation and language


@pytest.mark.parametrize(
    "payload, field",
    [
        ({**OPEN, "level": 7}, "level"),
        ({**OPEN, "level": "4"}, "level"),
        ({k: v for k, v in OPEN.items() if k != "place"}, "place"),
        ({**OPEN, "place": ""}, "place"),
        ({**OPEN, "standard_code": "电工"}, "standard_code"),
        ({**OPEN, "assessed_on": "10/05/2026"}, "assessed_on"),
        ({**OPEN, "body_id": 1}, "body_id"),
    ],
)
def test_a_malformed_batch_gets_422_naming_the_field(client, session, world, payload, field):
    response = as_(client, session, world.assessor).post("/api/v1/batches", json=payload)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["json"]) == [field]


@pytest.mark.parametrize(
    "payload, field, reason",
    [
        ({**OPEN, "assessed_on": "2999-01-01"}, "assessed_on", "assessment-date-future"),
        ({**OPEN, "standard_version": 2011}, "standard", "standard-not-found"),
        ({**OPEN, "work_type": "电焊工"}, "work_type", "work-type-not-applicable"),
    ],
)
def test_a_batch_breaking_a_domain_rule_gets_422_naming_the_field(client, session, world, payload, field, reason):
    assert_error(as_(client, session, world.assessor).post("/api/v1/batches", json=payload), 422, reason, field)


def test_malformed_candidates_get_422_naming_the_row_and_field(client, session, world):
    batch = f.open_batch(session, world.body, world.assessor)
    assessor = as_(client, session, world.assessor)
    url = f"/api/v1/batches/{batch.id}/candidates"
    good = rows(2)

    shape = assessor.post(url, json={"candidates": [good[0], {k: v for k, v in good[1].items() if k != "id_number"}]})
    assert shape.status_code == 422
    assert shape.get_json()["errors"]["json"] == {"candidates": {"1": {"id_number": ["Missing data for required "
                                                                                    "field."]}}}
    typed = assessor.post(url, json={"candidates": [{**good[0], "scores": {"skill": "八十"}}]})
    assert typed.status_code == 422 and "0" in typed.get_json()["errors"]["json"]["candidates"]
    assert assessor.post(url, json={"candidates": []}).status_code == 422
    assert assessor.post(url, json={"candidates": [{**good[0], "id_type": "driving_licence"}]}).status_code == 422

    review = assessor.post(url, json={"candidates": [good[0], {**good[1], "scores": {"theory": 70, "review": 80}}]})
    assert_error(review, 422, "score-component-unknown", "candidates[1].scores.review")
    too_high = assessor.post(url, json={"candidates": [{**good[0], "scores": {"theory": 101, "skill": 80}}]})
    assert_error(too_high, 422, "score-range", "candidates[0].scores.theory")
    twice = assessor.post(url, json={"candidates": [good[0], good[1], good[0]]})
    assert_error(twice, 422, "candidate-duplicate", "candidates[2].id_number")
    assert stored_candidates(session, batch.id) == []


def test_english_is_given_when_asked_for(client, session, world):
    batch = f.open_batch(session, world.body, world.assessor)
    english = as_(client, session, world.assessor, lang="en")
    chinese = as_(client, session, world.assessor)
    bad = [rows(2)[0], {**rows(2)[1], "id_number": bad_check_digit(rows(2)[1]["id_number"])}]
    url = f"/api/v1/batches/{batch.id}/candidates"

    assert english.post(url, json={"candidates": bad}).get_json()["message"].startswith("Row 2: ")
    assert chinese.post(url, json={"candidates": bad}).get_json()["message"].startswith("第 2 行：")
    assert english.get("/api/v1/batches/999999").get_json()["message"] == "No such assessment batch."
    assert chinese.get("/api/v1/batches/999999").get_json()["message"] == "未找到该认定批次。"
    assert english.post("/api/v1/batches", json={}).get_json()["message"] == "The request data is not valid."
    refused = as_(client, session, world.supervisor, lang="en").post("/api/v1/batches", json=OPEN)
    assert refused.get_json()["message"].startswith("This needs one of the roles")


# The OpenAPI document


def test_every_batch_operation_is_documented_with_its_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = {(path, method): op for path, item in spec["paths"].items() if path.startswith("/api/v1/batches")
                  for method, op in item.items() if method in ("get", "post", "put", "patch", "delete")
                  and "batches" in op.get("tags", ())}  # the file import under the same path has its own tag
    assert len(operations) == 12
    for (path, method), op in operations.items():
        assert op["summary"], (path, method)
        assert "401" in op["responses"], (path, method)
        if "{batch_id}" in path:
            assert "404" in op["responses"], (path, method)
        if method != "get":
            assert "403" in op["responses"], (path, method)
        success = next(code for code in op["responses"] if code.startswith("2"))
        if success != "204":
            assert "example" in op["responses"][success]["content"]["application/json"], (path, method)
    assert set(spec["components"]["schemas"]["Error"]["properties"]) >= {"code", "status", "message", "reason",
                                                                       "field"}
    assert "Location" in operations[("/api/v1/batches", "post")]["responses"]["201"]["headers"]
