"""Every private /api/v1 route x every method x every kind of caller, generated from the app's URL map: a new
endpoint joins the matrix by itself, and one with a URL argument this file cannot fill fails until it is added.

Body A has an issued batch with certificates, a draft batch with a candidate, a scope line and a key; body B's
staff aim at A's objects and get 404 exactly as for missing ones. Strangers get 401, read-only tokens 403
(token-read-only) on every change, the regulator reads everything but may not change a body's batches. Requests
carry the example body the OpenAPI document gives for the operation, so what is tested is who may call, never
whether the body is valid. After each test body A is exactly as before.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, not_, select
from werkzeug.routing import Rule

from registry.models import (
    AuditEvent,
    Batch,
    Body,
    Candidate,
    CandidatePhoto,
    Certificate,
    Job,
    JobFile,
    Revocation,
    ScopeEntry,
    SigningKey,
)
from registry.services import batches as batch_service
from registry.services.actors import Actor
from registry.services.photo_import import import_photos
from tests import factories as f
from tests.api.credentials import auth_headers
from tests.integration.test_photo_import import jpeg, make_zip

PREFIX = "/api/v1"
# Public by design (README, docs): the index, the reference, the OpenAPI document, verification, the standards,
# the Open Badges status lists (docs/open-badges.md).
PUBLIC_RULES = {"/api/v1/", "/api/v1/docs", "/api/v1/openapi.json", "/api/v1/verify"}
PUBLIC_PREFIXES = ("/api/v1/standards", "/api/v1/status-lists/")
BODY_ROLES = ("body_admin", "assessor", "supervisor")
READS = ("GET",)
# URL arguments that name one of body A's objects: another body's staff must get 404 whatever the method.
A_OBJECTS = {"batch_id", "candidate_id", "number", "body_id", "scope_id", "job_id"}
# Private routes naming none of body A's objects, as another body's staff meet them. A new one must be put in
# one of these sets (the test says so) before the matrix passes.
COLLECTIONS = {("GET", "/api/v1/batches"), ("GET", "/api/v1/certificates"), ("GET", "/api/v1/bodies")}
REGULATOR_ONLY = {("POST", "/api/v1/bodies"), ("GET", "/api/v1/statistics"),
                  ("GET", "/api/v1/statistics/<string:table>")}
OWN_BODY = {("POST", "/api/v1/batches")}  # opens a batch for the caller's own body: nothing of A's to reach
# Lookups by what the caller already knows (number or ID number + name), as the public /verify: any staff token,
# read-only too, may ask; they change nothing and answer the same for every body.
LOOKUPS = {("POST", "/api/v1/verify/bulk")}
# Routes whose changes the services refuse the regulator (a body's batches and candidates).
BODY_WORK = "/api/v1/batches"
ERROR_SHAPE = {"code", "status", "message", "reason"}
ERROR_EXTRAS = {"field", "errors", "request_id"}  # what an error may add to the shape
BROKEN_JSON = "{not json"


@dataclass
class World:
    a: int  # body A's id
    b: int  # body B's id
    a_admin: Actor
    b_staff: dict[str, Actor]
    regulator: Actor
    params: dict[str, object]  # URL arguments, all naming body A's objects (or a regulator's table)
    marks: set[str]  # strings that are body A's alone: name, credit code, numbers, ID numbers, key ids


@pytest.fixture
def world(session) -> World:
    issued = f.issued_batch(session, count=2)  # body A: catalogue, staff, an issued batch of two certificates
    a = issued.body
    draft = f.open_batch(session, a, issued.assessor)
    batch_service.add_candidates(session, batch_id=draft.id, candidates=f.candidate_inputs(1, start=700),
                                 actor=issued.assessor, now=f.NOW)
    candidate = session.exec(select(Candidate).where(Candidate.batch_id == draft.id)).one()
    # The draft candidate's photo (so that reading it has something to answer).
    import_photos(session, batch_id=draft.id, actor=issued.assessor, now=f.NOW,
                  data=make_zip({f"{candidate.id_number}.jpg": jpeg()}))
    scope = session.exec(select(ScopeEntry).where(ScopeEntry.body_id == a.id)).first()
    keys = session.exec(select(SigningKey).where(SigningKey.body_id == a.id)).all()
    assert scope is not None and keys
    b = f.body(session, province="11")
    candidates = session.exec(select(Candidate).join(Batch).where(Batch.body_id == a.id)).all()
    marks = {a.name, a.credit_code, *(c.number for c in issued.certificates), *(c.id_number for c in candidates),
             *(k.key_id for k in keys)}
    # A finished print job of body A's, with its file (so that every read of it has something to answer).
    job = Job(kind="print", status="succeeded", body_id=a.id, batch_id=issued.certificates[0].batch_id,
              created_by=issued.supervisor.user_id, total=2, done=2, result={"pages": 2}, created_at=f.NOW,
              finished_at=f.NOW)
    session.add(job)
    session.flush()
    session.add(JobFile(job_id=job.id, role="output", filename="bundle.pdf", media_type="application/pdf",
                        content=b"%PDF-1.7 body A"))
    session.commit()
    params = {"batch_id": draft.id, "candidate_id": candidate.id, "number": issued.certificates[0].number,
              "body_id": a.id, "scope_id": scope.id, "table": "month", "job_id": job.id}
    return World(a=a.id, b=b.id, a_admin=f.staff(session, a, "body_admin"),
                 b_staff={role: f.staff(session, b, role) for role in BODY_ROLES}, regulator=f.regulator(session),
                 params=params, marks=marks)


# --- the matrix, from the URL map and the OpenAPI document ---------------------------------------------------------


def is_public(rule: Rule) -> bool:
    return rule.rule in PUBLIC_RULES or rule.rule.startswith(PUBLIC_PREFIXES)


def private_routes(app) -> Iterator[tuple[Rule, str]]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith(PREFIX) and not is_public(rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def url(rule: Rule, params: dict[str, object]) -> str:
    unknown = set(rule.arguments) - set(params)
    assert not unknown, f"{rule.rule}: add a value for {sorted(unknown)} to the API permission matrix"
    return rule.build({name: params[name] for name in rule.arguments})[1]


def openapi_path(rule: Rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = spec["components"][section][name]
    return node


def example_body(spec: dict[str, Any], rule: Rule, method: str) -> Any:
    """The documented example of the operation's JSON request body; None if it takes none.

    Fails, naming the operation, when a body is taken but no example is documented (a documentation defect).
    """
    path = openapi_path(rule)
    operation = spec["paths"].get(path, {}).get(method.lower())
    assert operation is not None, f"{method} {path} is missing from /api/v1/openapi.json"
    request_body = _resolve(spec, operation.get("requestBody"))
    if request_body is None:
        return None
    if "multipart/form-data" in request_body.get("content", {}):
        return UPLOAD  # a file upload: a small, well-formed CSV
    media = request_body.get("content", {}).get("application/json")
    assert media is not None, f"{method} {path}: the request body is documented, but not as application/json"
    if "example" in media:
        return media["example"]
    if media.get("examples"):
        return _resolve(spec, next(iter(media["examples"].values())))["value"]
    schema = _resolve(spec, media.get("schema", {}))
    if "example" in schema:
        return schema["example"]
    properties = {name: _resolve(spec, prop) for name, prop in schema.get("properties", {}).items()}
    built = {name: prop["example"] for name, prop in properties.items() if "example" in prop}
    missing = sorted(set(schema.get("required", [])) - set(built))
    assert built and not missing, (
        f"{method} {path} documents no example of its request body (none in requestBody, none in its schema"
        + (f", none for the required {missing}" if missing else "") + "): add one to the operation")
    return built


UPLOAD = object()  # stands for a multipart file upload in place of a JSON example
UPLOAD_CSV = "姓名,证件类型,证件号码,理论知识考试,技能考核\n张三,resident,11010519491231002X,80,80\n".encode()


@dataclass(frozen=True)
class Call:
    rule: Rule
    method: str
    path: str
    body: Any  # the documented example, or None

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.rule.rule

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def matrix(app, client, params: dict[str, object]) -> list[Call]:
    spec = client.get("/api/v1/openapi.json").get_json()
    calls = [Call(rule, method, url(rule, params), None if method in READS else example_body(spec, rule, method))
             for rule, method in private_routes(app)]
    assert len(calls) >= 28, [str(c) for c in calls]  # the 28 private operations of today, at least
    return calls


def send(client, call: Call, headers: dict[str, str] | None = None, *, broken: bool = False, query: str = ""):
    """The call as documented (or, `broken`, with a body no parser accepts / a query out of range)."""
    kwargs: dict[str, Any] = {"headers": headers or {}}
    path = call.path + (f"?{query}" if query else "")
    if broken:
        if call.method in READS:
            path += ("&" if query else "?") + "page=0&per_page=100000"
        else:
            kwargs |= {"data": BROKEN_JSON, "content_type": "application/json"}
    elif call.body is UPLOAD:
        kwargs |= {"data": {"file": (io.BytesIO(UPLOAD_CSV), "rows.csv")}, "content_type": "multipart/form-data"}
    elif call.body is not None:
        kwargs["json"] = call.body
    return client.open(path, method=call.method, **kwargs)


def assert_error(response, status: int, call: Call, who: str, reason: str | None = None) -> dict[str, Any]:
    where = f"{who} {call}"
    assert response.status_code == status, f"{where}: {response.status_code} {response.get_data(as_text=True)[:300]}"
    payload = response.get_json(silent=True)
    assert isinstance(payload, dict) and set(payload) >= ERROR_SHAPE, f"{where}: not the error shape: {payload}"
    assert set(payload) - ERROR_SHAPE <= ERROR_EXTRAS, f"{where}: not the error shape: {payload}"
    assert payload["code"] == status and isinstance(payload["status"], str) and payload["message"], where
    if reason is not None:
        assert payload["reason"] == reason, f"{where}: reason {payload['reason']!r}, not {reason!r}"
    return payload


def leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def owners(answer: dict[str, Any]) -> set[int]:
    """Whose items a listing holds: an item's `body_id`, or a body's own `id`."""
    return {item.get("body_id", item.get("id")) for item in answer["items"]}


def query_takes_body_id(spec: dict[str, Any], call: Call) -> bool:
    operation = spec["paths"][openapi_path(call.rule)][call.method.lower()]
    return any(_resolve(spec, p).get("name") == "body_id" and _resolve(spec, p).get("in") == "query"
               for p in operation.get("parameters", []))


# --- body A before and after ---------------------------------------------------------------------------------------


def snapshot(session, world: World) -> dict[str, Any]:
    session.expire_all()
    a = world.a
    batches = session.exec(select(Batch).where(Batch.body_id == a).order_by(col(Batch.id))).all()
    batch_ids = [batch.id for batch in batches]
    candidates = session.exec(
        select(Candidate).where(col(Candidate.batch_id).in_(batch_ids)).order_by(col(Candidate.id))).all()
    certificates = session.exec(
        select(Certificate).where(Certificate.body_id == a).order_by(col(Certificate.id))).all()
    revocations = session.exec(select(Revocation).where(
        col(Revocation.certificate_id).in_([c.id for c in certificates])).order_by(col(Revocation.id))).all()
    scope = session.exec(select(ScopeEntry).where(ScopeEntry.body_id == a).order_by(col(ScopeEntry.id))).all()
    keys = session.exec(select(SigningKey).where(SigningKey.body_id == a).order_by(col(SigningKey.id))).all()
    photos = session.exec(select(CandidatePhoto).where(col(CandidatePhoto.candidate_id).in_([c.id for c in candidates]))
                          .order_by(col(CandidatePhoto.candidate_id))).all()
    body = session.get(Body, a)
    events = session.exec(select(func.count()).select_from(AuditEvent).where(
        not_(col(AuditEvent.action).startswith("token.")), not_(col(AuditEvent.action).startswith("login.")))).one()
    return {
        "batches": [(b.id, b.status, b.submitted_by, b.decided_by, b.return_reason) for b in batches],
        "candidates": [c.model_dump() for c in candidates],
        "certificates": [(c.number, c.status, c.holder_name, c.id_number, c.supersedes_id) for c in certificates],
        "revocations": [r.model_dump() for r in revocations],
        "scope": [s.model_dump() for s in scope],
        "body": (body.status, body.status_reason, body.status_changed_at, body.name, body.contact_phone),
        "keys": [(k.key_id, k.retired_at, k.not_after) for k in keys],
        "photos": [(p.candidate_id, p.sha256, p.created_at) for p in photos],
        "audit_events": events,
    }


# --- the matrix ----------------------------------------------------------------------------------------------------


def test_the_matrix_knows_every_private_route_and_every_change_has_a_documented_example(app, client, world):
    calls = matrix(app, client, world.params)  # fails on an unknown URL argument or a write without an example
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert rules >= PUBLIC_RULES, f"stale public routes in the matrix: {PUBLIC_RULES - rules}"
    assert all(any(r.startswith(p) for r in rules) for p in PUBLIC_PREFIXES)
    for listed in COLLECTIONS | REGULATOR_ONLY | OWN_BODY | LOOKUPS:
        assert listed in {c.key for c in calls}, f"{listed} is classified in the matrix but is no private route"
    for call in calls:
        if call.method in ("PUT", "PATCH"):  # a replacement or a correction says what it is
            assert call.body, f"{call}: no documented request body"
        if call.body is not None and call.body is not UPLOAD:
            assert isinstance(call.body, dict) and call.body, f"{call}: an empty example"


def test_strangers_get_401_on_every_private_route_before_anything_is_read(app, client, session, world):
    before = snapshot(session, world)
    checked = 0
    for call in matrix(app, client, world.params):
        for broken in (False, True):  # a malformed body or query must not be answered 422/400 first
            response = send(client, call, broken=broken)
            assert_error(response, 401, call, "anonymous" + (" (broken)" if broken else ""), "login-required")
            assert "Bearer" in response.headers.get("WWW-Authenticate", ""), f"anonymous {call}: no challenge"
            checked += 1
    assert checked >= 2 * 28
    assert snapshot(session, world) == before, "body A changed"


def test_another_bodys_staff_get_404_for_body_a_and_see_none_of_it(app, client, session, world):
    before = snapshot(session, world)
    spec = client.get("/api/v1/openapi.json").get_json()
    calls = matrix(app, client, world.params)
    unclassified = [str(c) for c in calls if not set(c.rule.arguments) & A_OBJECTS
                    and c.key not in COLLECTIONS | REGULATOR_ONLY | OWN_BODY | LOOKUPS]
    assert not unclassified, (f"{unclassified}: name no object of body A; put each in COLLECTIONS, REGULATOR_ONLY "
                              "or OWN_BODY of the API permission matrix")
    checked = 0
    for role, actor in world.b_staff.items():
        headers = auth_headers(session, actor, write=True)
        who = f"body B's {role}"
        for call in calls:
            if set(call.rule.arguments) & A_OBJECTS:
                response = send(client, call, headers)
                assert_error(response, 404, call, who)
                assert world.marks.isdisjoint(leaves(response.get_json())), f"{who} {call}: body A's data"
            elif call.key in COLLECTIONS:
                queries = [""] + ([f"body_id={world.a}"] if query_takes_body_id(spec, call) else [])
                for query in queries:
                    response = send(client, call, headers, query=query)
                    assert response.status_code == 200, f"{who} {call}?{query}: {response.status_code}"
                    answer = response.get_json()
                    assert owners(answer) <= {world.b}, f"{who} {call}?{query}: {owners(answer)}"
                    assert world.marks.isdisjoint(leaves(answer)), f"{who} {call}?{query}: body A's data"
            elif call.key in REGULATOR_ONLY:
                payload = assert_error(send(client, call, headers), 403, call, who)
                assert payload["reason"] != "token-read-only", f"{who} {call}: refused as read-only"
            elif call.key in LOOKUPS:  # the documented example names none of body A's certificates
                response = send(client, call, headers)
                assert response.status_code == 200, f"{who} {call}: {response.status_code}"
                assert world.marks.isdisjoint(leaves(response.get_json())), f"{who} {call}: body A's data"
            else:  # OWN_BODY: nothing of body A's in the address; opening B's own batch is B's business
                continue
            checked += 1
    assert checked >= 3 * 27
    assert snapshot(session, world) == before, "body A changed"


def test_read_only_tokens_are_refused_every_change(app, client, session, world):
    before = snapshot(session, world)
    writes = [call for call in matrix(app, client, world.params)
              if call.method not in READS and call.key not in LOOKUPS]
    assert len(writes) >= 15
    for who, actor in (("body A's admin", world.a_admin), ("the regulator", world.regulator)):
        headers = auth_headers(session, actor, write=False)
        for call in writes:
            for broken in (False, True):
                response = send(client, call, headers, broken=broken)
                assert_error(response, 403, call, f"{who} (read-only{', broken' if broken else ''})",
                             "token-read-only")
    assert snapshot(session, world) == before, "body A changed"


def test_the_regulator_reads_everything_and_may_not_change_a_bodys_batches(app, client, session, world):
    before = snapshot(session, world)
    headers = auth_headers(session, world.regulator, write=True)
    calls = matrix(app, client, world.params)
    reads = [call for call in calls if call.method in READS]
    refused = [call for call in calls if call.method not in READS and call.rule.rule.startswith(BODY_WORK)]
    assert len(reads) >= 13 and len(refused) >= 8
    for call in reads:
        response = send(client, call, headers)
        assert response.status_code == 200, f"regulator {call}: {response.status_code} {response.get_data()[:300]}"
        assert response.headers["Cache-Control"] == "private, no-store", f"{call}: may be kept by a cache"
        if call.key in COLLECTIONS:  # what body B's staff must not see is there to be seen
            assert world.a in owners(response.get_json()), f"regulator {call}: body A missing"
    for call in refused:
        payload = assert_error(send(client, call, headers), 403, call, "regulator (read-write)")
        assert payload["reason"] != "token-read-only", f"regulator {call}: refused as read-only"
    assert snapshot(session, world) == before, "body A changed"
