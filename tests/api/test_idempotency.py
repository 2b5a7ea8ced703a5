"""Idempotency-Key: a repeat gets the first answer and no second effect; another body under the key is refused;
concurrent duplicates (threads, real transactions) produce one result."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from registry import create_app
from registry.db import make_session_factory
from registry.models import Batch, IdempotentRequest
from registry.services.actors import SYSTEM
from registry.services.idempotency import KEPT_FOR, purge
from registry.services.tokens import create_token
from tests import factories as f
from tests.api.credentials import auth_headers
from tests.conftest import new_database

OPEN = {"standard_code": "6-31-01-03", "standard_version": 2018, "level": 4, "work_type": None,
        "assessed_on": "2026-05-10", "place": "广州市天河区实训基地"}


@pytest.fixture
def assessor(session):
    f.publish_catalogue(session)
    body = f.body(session)
    return f.staff(session, body, "assessor")


def batches(session) -> int:
    return session.exec(select(func.count()).select_from(Batch)).one()


def test_a_repeat_gets_the_first_answer_and_opens_nothing_more(client, session, assessor):
    headers = {**auth_headers(session, assessor), "Idempotency-Key": "open-2026-05-10-a"}
    first = client.post("/api/v1/batches", json=OPEN, headers=headers)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = client.post("/api/v1/batches", json=OPEN, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and again.headers["Location"] == first.headers["Location"]
    assert batches(session) == 1

    # The same key with another body is a client error, not a silent replay
    other = client.post("/api/v1/batches", json={**OPEN, "place": "深圳"}, headers={**headers, "Accept-Language": "en"})
    assert other.status_code == 422
    assert other.get_json()["reason"] == "idempotency-key-reused" and other.get_json()["field"] == "Idempotency-Key"
    assert batches(session) == 1

    # Without a key, or with a new one, each request is its own
    assert client.post("/api/v1/batches", json=OPEN, headers=auth_headers(session, assessor)).status_code == 201
    assert client.post("/api/v1/batches", json=OPEN,
                       headers={**auth_headers(session, assessor), "Idempotency-Key": "b"}).status_code == 201
    assert batches(session) == 3


def test_keys_belong_to_their_caller(client, session, assessor):
    mine = {**auth_headers(session, assessor), "Idempotency-Key": "k1"}
    theirs = {**auth_headers(session, assessor), "Idempotency-Key": "k1"}  # another token of the same person
    assert client.post("/api/v1/batches", json=OPEN, headers=mine).status_code == 201
    assert client.post("/api/v1/batches", json=OPEN, headers=theirs).status_code == 201
    assert batches(session) == 2


def test_a_refusal_is_replayed_too_and_a_bad_key_is_refused(client, session, assessor):
    headers = {**auth_headers(session, assessor), "Idempotency-Key": "bad-level"}
    first = client.post("/api/v1/batches", json={**OPEN, "level": 9}, headers=headers)
    assert first.status_code == 422
    again = client.post("/api/v1/batches", json={**OPEN, "level": 9}, headers=headers)
    assert again.status_code == 422 and again.headers["Idempotent-Replayed"] == "true"

    for key in ("", "x" * 256, "名字"):
        refused = client.post("/api/v1/batches", json=OPEN, headers={**auth_headers(session, assessor),
                                                                      "Idempotency-Key": key})
        assert refused.status_code == 422 and refused.get_json()["reason"] == "idempotency-key-invalid", key
    assert batches(session) == 0


def test_a_read_only_token_is_refused_before_any_key_is_claimed(client, session, assessor):
    headers = {**auth_headers(session, assessor, write=False), "Idempotency-Key": "k"}
    assert client.post("/api/v1/batches", json=OPEN, headers=headers).status_code == 403
    assert session.exec(select(func.count()).select_from(IdempotentRequest)).one() == 0


def test_old_answers_are_purged(session, assessor):
    now = datetime.now(UTC)
    session.add(IdempotentRequest(caller="token:x", key="old", fingerprint="0" * 64, status_code=201,
                                  created_at=now - KEPT_FOR - timedelta(minutes=1)))
    session.add(IdempotentRequest(caller="token:x", key="new", fingerprint="0" * 64, status_code=201,
                                  created_at=now))
    session.commit()
    assert purge(session, now=now) == 1
    assert [r.key for r in session.exec(select(IdempotentRequest))] == ["new"]


@pytest.mark.parametrize("backend_name", ["postgresql", "sqlite"])
def test_concurrent_duplicates_produce_one_batch(tmp_path, backend_name):
    """Eight threads send the same creating request at once, each in its own connection and transaction."""
    url, drop = new_database(backend_name, tmp_path)
    app = create_app({"DATABASE_URL": url, "TESTING": True, "MASTER_KEY": f.TEST_MASTER_KEY,
                      "API_RATE_LIMIT": "1000 per second"})
    engine = app.extensions["registry.engine"]
    try:
        with make_session_factory(engine)() as session:
            f.publish_catalogue(session)
            assessor = f.staff(session, f.body(session), "assessor")
            secret = create_token(session, user_id=assessor.user_id, name="erp", scope="write", actor=SYSTEM,
                                  now=f.NOW).secret
        headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "same-request"}
        start = threading.Barrier(8)
        answers: list[tuple[int, dict]] = []

        def send() -> None:
            client = app.test_client()
            start.wait()
            response = client.post("/api/v1/batches", json=OPEN, headers=headers)
            answers.append((response.status_code, response.get_json()))

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        with make_session_factory(engine)() as session:
            assert batches(session) == 1
            only = session.exec(select(Batch)).one()
        assert [status for status, _ in answers] == [201] * 8
        assert {body["id"] for _, body in answers} == {only.id}
    finally:
        engine.dispose()
        app.extensions["registry.read_engine"].dispose()
        drop()
