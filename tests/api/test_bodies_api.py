"""/api/v1/bodies…: the regulator files a body, its scope and key over HTTP; a body's staff see only their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from certificates import make_uscc
from registry.models import Body, ScopeEntry, SigningKey
from registry.services.clock import CHINA
from tests import factories as f
from tests.api.credentials import auth_headers

TODAY = datetime.now(CHINA).date()
FILING = {"name": "广州市电工技能评价中心", "kind": "S", "credit_code": make_uscc("52440100MJ9876543"),
          "province": "44", "body_code": "0001", "site_code": "449001", "contact_name": "李明",
          "contact_phone": "020-87654321"}
SCOPE = {"occupation_code": "6-31-01-03", "levels": [5, 4, 3], "valid_from": (TODAY - timedelta(days=30)).isoformat(),
         "valid_to": (TODAY + timedelta(days=700)).isoformat()}


@pytest.fixture
def world(session):
    """The catalogue, the regulator and two bodies (A and B) each with an admin."""
    f.publish_catalogue(session)
    a, b = f.body(session, province="44"), f.body(session, province="11")
    return {"regulator": f.regulator(session), "a": a, "b": b,
            "a_admin": f.staff(session, a, "body_admin"), "b_admin": f.staff(session, b, "body_admin")}


def scope_lines(session, body_id):
    return session.exec(select(ScopeEntry).where(ScopeEntry.body_id == body_id)).all()


def keys_of(session, body_id):
    return {(k.key_id, k.retired_at) for k in session.exec(select(SigningKey).where(SigningKey.body_id == body_id))}


def test_the_regulator_files_a_body_and_its_scope_and_its_staff_see_only_their_own(client, session, world):
    regulator = auth_headers(session, world["regulator"])
    filed = client.post("/api/v1/bodies", json=FILING, headers=regulator)
    assert filed.status_code == 201, filed.get_json()
    body = filed.get_json()
    assert filed.headers["Location"].endswith(f"/api/v1/bodies/{body['id']}")
    assert (body["name"], body["status"], body["number_prefix"]) == (FILING["name"], "active", "S000144449001")
    assert (body["province_name"], body["province_name_en"]) == ("广东省", "Guangdong")
    assert body["filed_at"].endswith("+00:00") and body["status_changed_at"] is None

    line = client.post(f"/api/v1/bodies/{body['id']}/scope", json=SCOPE, headers=regulator)
    assert line.status_code == 201, line.get_json()
    assert line.get_json() | {"id": 0} == {
        "id": 0, "occupation_code": "6-31-01-03", "occupation_name": "电工", "occupation_name_en": "Electrician",
        "work_type": None, "levels": [5, 4, 3], "valid_from": SCOPE["valid_from"], "valid_to": SCOPE["valid_to"],
        "state": "in-force", "withdrawn_on": None}
    key = client.get(f"/api/v1/bodies/{body['id']}/key", headers=regulator).get_json()
    assert key["current"]["in_date"] is True and [k["retired_at"] for k in key["keys"]] == [None]
    assert [k["retired_at"] for k in key["credential_keys"]] == [None]  # made at filing, listed in the bundle

    staff = auth_headers(session, f.staff(session, session.get(Body, body["id"]), "assessor"), write=False)
    mine = client.get("/api/v1/bodies", headers=staff).get_json()
    assert [item["id"] for item in mine["items"]] == [body["id"]] and mine["total"] == 1
    assert client.get(f"/api/v1/bodies/{body['id']}", headers=staff).get_json()["contact_phone"] == "020-87654321"
    scope = client.get(f"/api/v1/bodies/{body['id']}/scope", headers=staff).get_json()
    assert [(s["id"], s["state"]) for s in scope["items"]] == [(line.get_json()["id"], "in-force")]
    assert client.get(f"/api/v1/bodies/{world['a'].id}", headers=staff).status_code == 404

    everyone = client.get("/api/v1/bodies", headers=regulator).get_json()
    assert {world["a"].id, world["b"].id, body["id"]} <= {item["id"] for item in everyone["items"]}


def test_the_regulator_filters_and_pages_bodies(client, session, world):
    regulator = auth_headers(session, world["regulator"], write=False)
    f.body(session, province="11")

    def ids(query):
        response = client.get(f"/api/v1/bodies?{query}", headers=regulator)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    beijing = ids("province=11")
    assert beijing["total"] == 2 and world["b"].id in {item["id"] for item in beijing["items"]}
    assert [item["id"] for item in ids(f"q={world['a'].name}")["items"]] == [world["a"].id]
    assert [item["id"] for item in ids(f"q={world['b'].credit_code.lower()}")["items"]] == [world["b"].id]
    assert [item["id"] for item in ids(f"q={world['a'].number_prefix}")["items"]] == [world["a"].id]
    client.patch(f"/api/v1/bodies/{world['b'].id}/status", json={"change": "suspend", "reason": "检查"},
                 headers=auth_headers(session, world["regulator"]))
    assert [item["id"] for item in ids("status=suspended")["items"]] == [world["b"].id]
    assert ids("status=suspended&province=44")["total"] == 0
    total = ids("")["total"]
    pages = [ids(f"per_page=1&page={n}") for n in (1, 2)]
    assert [p["total"] for p in pages] == [total, total] and pages[0]["items"][0]["id"] < pages[1]["items"][0]["id"]


@pytest.mark.parametrize("query, field", [("status=closed", "status"), ("province=99", "province"),
                                          ("per_page=500", "per_page")])
def test_a_malformed_filter_is_422_naming_it(client, session, world, query, field):
    response = client.get(f"/api/v1/bodies?{query}", headers=auth_headers(session, world["regulator"], write=False))
    assert response.status_code == 422 and field in response.get_json()["errors"]["query"]


def test_a_filing_with_a_missing_or_wrong_field_is_422_naming_it(client, session, world):
    regulator = auth_headers(session, world["regulator"]) | {"Accept-Language": "en"}
    missing = client.post("/api/v1/bodies", json={k: v for k, v in FILING.items() if k != "name"}, headers=regulator)
    assert missing.status_code == 422 and "name" in missing.get_json()["errors"]["json"]
    assert missing.get_json()["message"] == "The request data is not valid."

    wrong = client.post("/api/v1/bodies", json=FILING | {"credit_code": "52440100MJ987654X0"}, headers=regulator)
    assert wrong.status_code == 422 and wrong.get_json()["field"] == "credit_code"
    taken = client.post("/api/v1/bodies", json=FILING | {"credit_code": world["a"].credit_code}, headers=regulator)
    assert taken.get_json()["reason"] == "body-credit-code-taken"
    assert taken.get_json()["message"] == f"Unified social credit code {world['a'].credit_code} is already filed."
    assert session.exec(select(Body).where(Body.name == FILING["name"])).first() is None


def test_body_staff_cannot_file_bodies_change_status_or_scope_of_their_own_body(client, session, world):
    admin = auth_headers(session, world["a_admin"]) | {"Accept-Language": "en"}
    a = world["a"].id
    refused = [
        client.post("/api/v1/bodies", json=FILING, headers=admin),
        client.patch(f"/api/v1/bodies/{a}/status", json={"change": "withdraw", "reason": "自行退出"}, headers=admin),
        client.post(f"/api/v1/bodies/{a}/scope", json=SCOPE, headers=admin),
        client.post(f"/api/v1/bodies/{a}/scope/{scope_lines(session, a)[0].id}/withdraw", headers=admin),
        client.post(f"/api/v1/bodies/{a}/key/rotate", headers=admin),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert {r.get_json()["reason"] for r in refused} == {"regulator-only"}
    assert refused[0].get_json()["message"] == "Only the regulator (the HRSS department) may do this."
    assert session.get(Body, a).status == "active" and len(scope_lines(session, a)) == 1
    assert scope_lines(session, a)[0].withdrawn_at is None and len(keys_of(session, a)) == 1


def test_another_bodys_record_scope_and_key_are_not_found_and_nothing_changes(client, session, world):
    admin = auth_headers(session, world["a_admin"])
    b = world["b"].id
    b_line = scope_lines(session, b)[0].id
    b_keys = keys_of(session, b)
    answers = [
        client.get(f"/api/v1/bodies/{b}", headers=admin),
        client.get(f"/api/v1/bodies/{b}/scope", headers=admin),
        client.get(f"/api/v1/bodies/{b}/key", headers=admin),
        client.patch(f"/api/v1/bodies/{b}/status", json={"change": "suspend", "reason": "x"}, headers=admin),
        client.post(f"/api/v1/bodies/{b}/scope", json=SCOPE, headers=admin),
        client.post(f"/api/v1/bodies/{b}/scope/{b_line}/withdraw", headers=admin),
        client.post(f"/api/v1/bodies/{b}/key/rotate", headers=admin),
    ]
    unknown = client.get("/api/v1/bodies/999999", headers=admin)
    assert [r.status_code for r in answers] == [404] * 7
    assert {r.get_json()["reason"] for r in answers} == {"body-not-found"}
    assert answers[0].get_json() == unknown.get_json()  # the same answer as a body that does not exist
    assert world["b"].name not in "".join(r.get_data(as_text=True) for r in answers)
    assert b not in {item["id"] for item in client.get("/api/v1/bodies", headers=admin).get_json()["items"]}
    assert session.get(Body, b).status == "active" and keys_of(session, b) == b_keys
    assert [(line.id, line.withdrawn_at) for line in scope_lines(session, b)] == [(b_line, None)]


def test_suspend_reinstate_and_withdraw_with_reasons(client, session, world):
    regulator = auth_headers(session, world["regulator"]) | {"Accept-Language": "en"}
    url = f"/api/v1/bodies/{world['b'].id}/status"
    suspended = client.patch(url, json={"change": "suspend", "reason": "年度检查发现问题"}, headers=regulator)
    assert suspended.status_code == 200
    assert (suspended.get_json()["status"], suspended.get_json()["status_reason"]) == ("suspended", "年度检查发现问题")
    assert suspended.get_json()["status_changed_at"].endswith("+00:00")
    assert client.patch(url, json={"change": "reinstate", "reason": "整改完成"},
                        headers=regulator).get_json()["status"] == "active"

    again = client.patch(url, json={"change": "reinstate", "reason": "再次"}, headers=regulator)
    assert again.status_code == 409 and again.get_json()["reason"] == "body-cannot-reinstate"
    no_reason = client.patch(url, json={"change": "withdraw"}, headers=regulator)
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]["json"]
    unknown = client.patch(url, json={"change": "close", "reason": "x"}, headers=regulator)
    assert unknown.status_code == 422 and "change" in unknown.get_json()["errors"]["json"]
    blank = client.patch(url, json={"change": "withdraw", "reason": "   "}, headers=regulator)
    assert blank.status_code == 422 and blank.get_json()["field"] == "reason"

    withdrawn = client.patch(url, json={"change": "withdraw", "reason": "主动退出"}, headers=regulator)
    assert withdrawn.get_json()["status"] == "withdrawn"
    late = client.post(f"/api/v1/bodies/{world['b'].id}/scope", json=SCOPE, headers=regulator)
    assert late.status_code == 409 and late.get_json()["reason"] == "body-withdrawn"


def test_a_scope_line_is_withdrawn_not_deleted(client, session, world):
    regulator = auth_headers(session, world["regulator"])
    a = world["a"].id
    line = client.post(f"/api/v1/bodies/{a}/scope", json=SCOPE | {"occupation_code": "4-10-01-06",
                                                                  "work_type": "母婴护理员", "levels": [5, 4]},
                       headers=regulator).get_json()
    withdrawn = client.post(f"/api/v1/bodies/{a}/scope/{line['id']}/withdraw", headers=regulator)
    assert withdrawn.status_code == 200
    assert (withdrawn.get_json()["state"], withdrawn.get_json()["withdrawn_on"]) == ("withdrawn", TODAY.isoformat())
    assert withdrawn.get_json()["work_type"] == "母婴护理员"
    again = client.post(f"/api/v1/bodies/{a}/scope/{line['id']}/withdraw", headers=regulator)
    assert again.status_code == 409 and again.get_json()["reason"] == "scope-already-withdrawn"
    listed = client.get(f"/api/v1/bodies/{a}/scope", headers=regulator).get_json()
    assert [s["state"] for s in listed["items"]] == ["in-force", "withdrawn"] and listed["total"] == 2
    elsewhere = client.post(f"/api/v1/bodies/{world['b'].id}/scope/{line['id']}/withdraw", headers=regulator)
    assert elsewhere.status_code == 404 and elsewhere.get_json()["reason"] == "scope-not-found"


@pytest.mark.parametrize("change, field", [
    ({"occupation_code": "9-99-99-99"}, "occupation_code"),
    ({"work_type": "养老护理员"}, "work_type"),
    ({"levels": [1, 6]}, "levels"),
    ({"levels": []}, "levels"),
    ({"valid_to": "2020-01-01"}, "valid_to"),
    ({"valid_from": "soon"}, "valid_from"),
])
def test_a_wrong_scope_line_is_422_naming_the_field(client, session, world, change, field):
    response = client.post(f"/api/v1/bodies/{world['a'].id}/scope", json=SCOPE | change,
                           headers=auth_headers(session, world["regulator"]))
    assert response.status_code == 422
    body = response.get_json()
    assert body.get("field") == field or field in body.get("errors", {}).get("json", {})
    assert len(scope_lines(session, world["a"].id)) == 1


def test_the_regulator_rotates_a_key_and_the_old_one_is_kept_retired(client, session, world):
    regulator = auth_headers(session, world["regulator"])
    a = world["a"].id
    before = client.get(f"/api/v1/bodies/{a}/key", headers=regulator).get_json()["current"]["key_id"]
    rotated = client.post(f"/api/v1/bodies/{a}/key/rotate", headers=regulator)
    assert rotated.status_code == 201
    keys = rotated.get_json()
    assert keys["current"]["key_id"] != before and keys["current"]["in_date"] is True
    assert [(k["key_id"], k["retired_at"] is None) for k in keys["keys"]] == [(keys["current"]["key_id"], True),
                                                                              (before, False)]
    # Its Open Badges credential key turned over with it: a new did:key in use, the old one retired.
    assert [k["retired_at"] is None for k in keys["credential_keys"]] == [True, False]
    assert all(k["did"].startswith("did:key:z6Mk") for k in keys["credential_keys"])
    assert client.get(f"/api/v1/bodies/{a}/key", headers=auth_headers(session, world["a_admin"], write=False)
                      ).get_json() == keys
    assert "PRIVATE" not in rotated.get_data(as_text=True)


def test_a_read_only_token_reads_but_cannot_change(client, session, world):
    read_only = auth_headers(session, world["regulator"], write=False)
    assert client.get(f"/api/v1/bodies/{world['a'].id}", headers=read_only).status_code == 200
    refused = client.patch(f"/api/v1/bodies/{world['a'].id}/status", json={"change": "suspend", "reason": "x"},
                           headers=read_only)
    assert refused.status_code == 403 and refused.get_json()["reason"] == "token-read-only"
    assert session.get(Body, world["a"].id).status == "active"


def test_without_credentials_nothing_is_shown(client, world):
    for response in (client.get("/api/v1/bodies"), client.get(f"/api/v1/bodies/{world['a'].id}"),
                     client.post("/api/v1/bodies", json=FILING)):
        assert response.status_code == 401 and response.get_json()["reason"] == "login-required"
        assert world["a"].name not in response.get_data(as_text=True)


def test_timestamps_are_utc(client, session, world):
    body = client.get(f"/api/v1/bodies/{world['a'].id}", headers=auth_headers(session, world["regulator"])).get_json()
    assert datetime.fromisoformat(body["filed_at"]) == f.NOW.astimezone(UTC)


def test_a_retried_filing_with_the_same_idempotency_key_files_one_body(client, session, world):
    headers = auth_headers(session, world["regulator"]) | {"Idempotency-Key": "file-guangzhou-electric"}
    first = client.post("/api/v1/bodies", json=FILING, headers=headers)
    retry = client.post("/api/v1/bodies", json=FILING, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.get_json() == first.get_json() and retry.headers["Idempotent-Replayed"] == "true"
    assert len(session.exec(select(Body).where(Body.credit_code == FILING["credit_code"])).all()) == 1
    headers["Idempotency-Key"] = "scope-1"
    line = [client.post(f"/api/v1/bodies/{first.get_json()['id']}/scope", json=SCOPE, headers=headers)
            for _ in range(2)]
    assert [r.status_code for r in line] == [201, 201] and line[0].get_json() == line[1].get_json()
    assert len(scope_lines(session, first.get_json()["id"])) == 1
