"""/api/v1/openapi.json as a whole: a valid OpenAPI 3.1 document in which every operation has a summary, every request
body an example, every error the one error shape (`Error`, flask-smorest's default error response too), and the
private operations the API's security while the public ones say `security: []`; and the 422 answer names its field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from registry.api import first_invalid_field
from tests import factories as f
from tests.api.credentials import auth_headers

METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
ERROR_REF = "#/components/schemas/Error"
DEFAULT_ERROR_REF = "#/components/responses/DEFAULT_ERROR"
SECURITY = [{"bearerAuth": []}, {"basicAuth": []}]


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def is_public(method: str, path: str) -> bool:
    """Verification, the published standards, the status lists of credentials and the index need no credentials."""
    return ((method, path) in (("get", "/api/v1/"), ("post", "/api/v1/verify"))
            or (method == "get" and (path == "/api/v1/standards" or path.startswith("/api/v1/standards/")))
            or (method == "get" and path.startswith("/api/v1/status-lists/")))


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        section, name = node["$ref"].removeprefix("#/components/").split("/")
        node = spec["components"][section][name]
    return node


def test_the_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1.")
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_the_document_covers_every_area_and_the_index(spec):
    tags = {tag for _m, _p, op in operations(spec) for tag in op.get("tags", [])}
    assert {"service", "verify", "certificates", "standards", "bodies", "batches", "statistics"} <= tags
    assert "get" in spec["paths"]["/api/v1/"]


def test_every_operation_has_a_summary(spec):
    for method, path, operation in operations(spec):
        assert (operation.get("summary") or "").strip(), f"{method.upper()} {path}"


def test_every_request_body_has_an_example(spec):
    checked = 0
    for method, path, operation in operations(spec):
        if method == "get" or "requestBody" not in operation:
            continue
        for media_type, media in operation["requestBody"]["content"].items():
            if media_type == "multipart/form-data":  # a file upload: its schema names the file part instead
                assert media.get("schema"), f"{method.upper()} {path} {media_type}"
                continue
            assert "example" in media or media.get("examples"), f"{method.upper()} {path} {media_type}"
            checked += 1
    assert checked >= 10, "hardly any request body in the document"


def test_the_error_schema_is_the_apis_one_shape(spec):
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "status", "message", "reason", "field", "errors", "request_id"}
    assert set(error["required"]) == {"code", "status", "message", "reason"}
    assert error["properties"]["errors"]["type"] == "object"
    # No second schema of the same shape under another name (the old BatchError and ApiError).
    for name, schema in spec["components"]["schemas"].items():
        if name != "Error":
            assert not {"code", "status", "reason"} <= set(schema.get("properties", {})), name


def test_the_default_error_response_is_the_error_schema(spec):
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert default["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}


def test_every_operation_documents_its_errors_with_the_error_schema(spec):
    for method, path, operation in operations(spec):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        assert responses.get("default") == {"$ref": DEFAULT_ERROR_REF}, where
        assert any(status.startswith("2") for status in responses), where
        for status, response in responses.items():
            if status == "default" or status.startswith(("4", "5")):
                content = resolve(spec, response).get("content", {})
                assert content.get("application/json", {}).get("schema") == {"$ref": ERROR_REF}, (where, status)
        if not is_public(method, path):
            assert "401" in responses, where


def test_security_schemes_are_declared_and_private_by_default(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer",
                                     "bearerFormat": "skr token"}
    assert schemes["basicAuth"] == {**schemes["basicAuth"], "type": "http", "scheme": "basic"}
    assert spec["security"] == SECURITY


def test_private_operations_inherit_security_and_public_ones_have_none(spec):
    public = set()
    for method, path, operation in operations(spec):
        if is_public(method, path):
            assert operation.get("security") == [], f"{method.upper()} {path}"
            public.add((method, path))
        else:
            assert "security" not in operation, f"{method.upper()} {path} overrides the API's security"
    assert {("get", "/api/v1/"), ("post", "/api/v1/verify"), ("get", "/api/v1/standards"),
            ("get", "/api/v1/standards/{code}/diff")} <= public


def test_the_documented_public_operations_are_public(client, spec):
    """What the document says matches the server: a public operation answers without credentials."""
    assert client.get("/api/v1/").status_code == 200
    assert client.get("/api/v1/standards").status_code == 200
    assert client.post("/api/v1/verify", json={"number": "S000044100001265000001", "name": "张伟"}).status_code == 200
    assert client.get("/api/v1/certificates").status_code == 401
    assert client.get("/api/v1/batches").status_code == 401


# The 422 answer names the first offending field


@pytest.mark.parametrize("errors, field", [
    ({"json": {"name": ["Missing data for required field."]}}, "name"),
    ({"query": {"per_page": ["Must be …"]}}, "per_page"),
    ({"json": {"candidates": {1: {"id_number": ["Missing data for required field."]}}}}, "candidates[1].id_number"),
    ({"json": {"candidates": {0: {"scores": {"review": {"value": ["Not a valid integer."]}}}}}},
     "candidates[0].scores.review"),
    ({"json": {"scores": {"x" * 30: {"key": ["Longer than maximum length 20."]}}}}, "scores." + "x" * 30),
    ({"json": {"candidates": {2: {"_schema": ["Invalid input type."]}}}}, "candidates[2]"),
    ({"json": {"_schema": ["Invalid input type."]}}, None),
    ({"json": {"_schema": ["…"], "place": ["Missing data for required field."]}}, "place"),
])
def test_the_first_invalid_field_is_named_without_its_location(errors, field):
    assert first_invalid_field(errors) == field


@pytest.mark.parametrize("lang, message", [(None, "请求数据不符合要求。"), ("zh-CN", "请求数据不符合要求。"),
                                           ("en", "The request data is not valid.")])
def test_a_422_names_its_field_next_to_errors_in_the_readers_language(client, lang, message):
    headers = {"Accept-Language": lang} if lang else {}
    response = client.post("/api/v1/verify", json={"number": "S000044100001265000001"}, headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    assert (body["code"], body["reason"], body["field"], body["message"]) == (422, "validation-failed", "name",
                                                                              message)
    assert "name" in body["errors"]["json"]


def test_a_422_in_a_query_argument_names_it(client):
    body = client.get("/api/v1/standards?per_page=101").get_json()
    assert (body["code"], body["field"]) == (422, "per_page")


def test_a_422_in_a_nested_row_names_the_row_and_field(client, session):
    rows = [{"name": "张伟", "id_type": "resident", "id_number": "11010519491231002X"},
            {"name": "李娜", "id_type": "resident"}]
    response = client.post("/api/v1/batches/1/candidates", json={"candidates": rows},
                           headers=auth_headers(session, f.regulator(session)))
    assert response.status_code == 422
    body = response.get_json()
    assert body["field"] == "candidates[1].id_number"
    assert body["errors"]["json"]["candidates"]["1"]["id_number"]
