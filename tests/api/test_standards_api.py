"""GET /api/v1/standards…: the published catalogue, a version's content and what changed, read without signing in."""

from __future__ import annotations

import copy

import pytest

import standards
from registry.services.actors import SYSTEM
from registry.services.standards import sync_standards
from tests import factories as f

ELECTRICIAN = "6-31-01-03"


def publish_revision(session, *, version: int, effective_from: str, skill_pass_mark: int = 60) -> None:
    """The 2018 电工 standard as another version, effective from the given day, its 四级 skill pass mark changed."""
    old = standards.load_file(standards.DATA_DIR / f"{ELECTRICIAN}@2018.toml")
    content = copy.deepcopy(old.to_content())
    content.update(version=version, effective_from=effective_from,
                   title=f"国家职业标准 电工（{version}年版）")
    level_4 = next(level for level in content["levels"] if level["digit"] == 4)
    next(c for c in level_4["components"] if c["kind"] == "skill")["pass_mark"] = skill_pass_mark
    sync_standards(session, versions=[standards.version_from_content(content, source="test")], actor=SYSTEM, now=f.NOW)


@pytest.fixture
def published(session):
    f.publish_catalogue(session)


def test_the_catalogue_is_public_and_lists_every_occupation_with_its_versions(client, published):
    response = client.get("/api/v1/standards")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 50, 5)
    codes = [item["code"] for item in body["items"]]
    assert codes == sorted(codes) and ELECTRICIAN in codes
    electrician = next(item for item in body["items"] if item["code"] == ELECTRICIAN)
    assert (electrician["name"], electrician["name_en"]) == ("电工", "Electrician")
    [version] = electrician["versions"]
    assert version["version"] == 2018 and version["status"] == "current" and version["superseded_by"] is None
    assert version["effective_from"] == "2018-12-26" and len(version["content_hash"]) == 64


def test_the_catalogue_pages(client, published):
    first = client.get("/api/v1/standards?per_page=2").get_json()
    last = client.get("/api/v1/standards?per_page=2&page=3").get_json()
    beyond = client.get("/api/v1/standards?per_page=2&page=4").get_json()
    assert [len(p["items"]) for p in (first, last, beyond)] == [2, 1, 0]
    assert first["total"] == last["total"] == beyond["total"] == 5
    seen = [i["code"] for p in (first, client.get("/api/v1/standards?per_page=2&page=2").get_json(), last)
            for i in p["items"]]
    assert len(set(seen)) == 5


@pytest.mark.parametrize("query, field", [("per_page=101", "per_page"), ("per_page=0", "per_page"),
                                          ("page=0", "page"), ("page=two", "page")])
def test_paging_out_of_range_is_422_naming_the_argument(client, published, query, field):
    response = client.get(f"/api/v1/standards?{query}", headers={"Accept-Language": "en"})
    assert response.status_code == 422
    body = response.get_json()
    assert (body["code"], body["reason"], body["message"]) == (422, "validation-failed",
                                                               "The request data is not valid.")
    assert field in body["errors"]["query"]


def test_a_new_version_supersedes_the_old_and_a_future_one_is_upcoming(client, session, published):
    publish_revision(session, version=2024, effective_from="2025-03-01")
    publish_revision(session, version=2099, effective_from="2099-01-01")
    body = client.get(f"/api/v1/standards/{ELECTRICIAN}").get_json()
    assert body["code"] == ELECTRICIAN and body["name"] == "电工"
    assert [(v["version"], v["status"], v["superseded_by"]) for v in body["versions"]] == [
        (2018, "superseded", f"{ELECTRICIAN}@2024"), (2024, "current", None), (2099, "upcoming", None)]


def test_an_unknown_occupation_is_404_in_the_readers_language(client, published):
    response = client.get("/api/v1/standards/9-99-99-99", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.get_json()["reason"] == "standard-not-found"
    assert response.get_json()["message"] == "Occupation code 9-99-99-99 has no published standard."
    chinese = client.get("/api/v1/standards/9-99-99-99").get_json()["message"]
    assert "没有已发布的标准" in chinese


def test_a_version_gives_its_levels_components_pass_marks_work_types_and_eligibility(client, published):
    response = client.get("/api/v1/standards/4-10-01-06/2019")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["version"], body["status"]) == ("家政服务员", 2019, "current")
    assert body["work_types"] == ["母婴护理员", "家务服务员", "家庭照护员"]
    assert [level["digit"] for level in body["levels"]] == [5, 4, 3, 2]
    five, *_, two = body["levels"]
    assert (five["label"], five["label_en"]) == ("五级/初级工", "Level 5 / Junior Worker")
    assert five["eligibility"] and all(isinstance(text, str) and text for text in five["eligibility"])
    assert "母婴护理员" in five["work_types"]
    assert [c["kind"] for c in five["components"]] == ["theory", "skill"]
    assert [c["kind"] for c in two["components"]] == ["theory", "skill", "review"]
    assert {(c["pass_mark"], c["max_score"]) for lv in body["levels"] for c in lv["components"]} == {(60, 100)}


def test_an_unknown_version_is_404(client, published):
    response = client.get(f"/api/v1/standards/{ELECTRICIAN}/2031", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.get_json()["reason"] == "standard-version-not-found"
    assert response.get_json()["field"] == "version"
    assert client.get(f"/api/v1/standards/{ELECTRICIAN}/latest").status_code == 404


def test_the_diff_says_what_changed_from_the_previous_version_by_default(client, session, published):
    publish_revision(session, version=2024, effective_from="2025-03-01", skill_pass_mark=65)
    body = client.get(f"/api/v1/standards/{ELECTRICIAN}/diff").get_json()
    assert (body["from"], body["to"], body["unchanged"]) == (2018, 2024, False)
    assert {"field": "effective_from", "old": "2018-12-26", "new": "2025-03-01"} in body["fields"]
    [level] = body["levels_changed"]
    assert level["digit"] == 4
    assert level["components"] == [{
        "kind": "skill", "name_zh": "技能考核", "name_en": "Practical skills assessment", "change": "changed",
        "old_pass_mark": 60, "new_pass_mark": 65, "old_max_score": 100, "new_max_score": 100}]
    backwards = client.get(f"/api/v1/standards/{ELECTRICIAN}/diff?from=2024&to=2018").get_json()
    assert backwards["levels_changed"][0]["components"][0]["new_pass_mark"] == 60


def test_one_version_compared_with_itself_is_unchanged(client, published):
    body = client.get(f"/api/v1/standards/{ELECTRICIAN}/diff").get_json()
    assert (body["from"], body["to"], body["unchanged"], body["levels_changed"]) == (2018, 2018, True, [])


def test_a_diff_with_a_version_that_does_not_exist_names_it(client, published):
    missing = client.get(f"/api/v1/standards/{ELECTRICIAN}/diff?from=2018&to=2031",
                         headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and missing.get_json()["field"] == "to"
    assert missing.get_json()["message"] == f"Occupation code {ELECTRICIAN} has no 2031 version."
    malformed = client.get(f"/api/v1/standards/{ELECTRICIAN}/diff?from=latest")
    assert malformed.status_code == 422 and "from" in malformed.get_json()["errors"]["query"]


# area: (operations, whether they need a sign-in)
AREAS = {
    "/api/v1/standards": (4, False),
    "/api/v1/bodies": (9, True),
    "/api/v1/certificates": (6, True),  # list, get, PDF, Open Badges credential, revoke, reissue
    "/api/v1/statistics": (2, True),
    "/api/v1/jobs": (3, True),
}


@pytest.mark.parametrize("prefix", list(AREAS))
def test_the_openapi_document_describes_every_endpoint(client, prefix):
    """Each operation has a summary and documents its errors in the one error shape; public ones need no sign-in."""
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = [(path, method, op) for path, item in spec["paths"].items()
                  if path == prefix or path.startswith(prefix + "/")
                  for method, op in item.items() if method in ("get", "post", "patch", "delete")]
    count, signed_in = AREAS[prefix]
    assert len(operations) == count
    error_shape = {"code", "status", "message", "reason", "field", "errors", "request_id"}
    for path, method, op in operations:
        assert op.get("summary"), (path, method)
        errors = {status: response for status, response in op["responses"].items() if status[0] in "45"}
        assert errors, (path, method)
        assert ("401" in errors) == signed_in, (path, method)
        for status, response in errors.items():
            schema = response["content"]["application/json"]["schema"]
            name = schema["$ref"].rsplit("/", 1)[-1]
            assert set(spec["components"]["schemas"][name]["properties"]) == error_shape, (path, method, status)
        if "requestBody" in op:
            content = op["requestBody"]["content"]["application/json"]
            assert "example" in content or "examples" in content, (path, method)
        success = {status: r for status, r in op["responses"].items() if status[0] == "2"}
        assert success, (path, method)
        for response in success.values():
            if "application/json" in response.get("content", {}):
                assert "example" in response["content"]["application/json"], (path, method)


def test_the_standards_are_documented_as_public(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        if path.startswith("/api/v1/standards"):
            assert item["get"]["security"] == [], path
