"""A real worker process (`registry worker`, Huey on its SQLite file) killed with SIGKILL in the middle of a
large issuance: the batch is left with no certificate at all, the job shows as interrupted, and once the
workers' recovery sends it again a new worker issues every certificate exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import func
from sqlmodel import Session, select

from registry import create_app
from registry import jobs as job_queueing
from registry.db import make_engine
from registry.models import Batch, Certificate, Job
from registry.services import jobs as job_service
from tests import factories as f
from tests.conftest import new_database

CANDIDATES = 3000
ROOT = Path(__file__).resolve().parents[2]


def _wait(predicate, *, timeout: float, what: str, step: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child has its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-c", "from registry.cli import main; main()", "worker", "--workers", "1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )


def _redis_url() -> str:
    url = os.environ.get("REGISTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        if os.environ.get("REGISTRY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"Redis is required here for the production queue: {url}: {err}")
        pytest.skip(f"Redis not reachable at {url}: {err}")
    return url


@pytest.fixture
def world(backend, tmp_path):
    url, drop = new_database(backend, tmp_path)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        f.publish_catalogue(session)
        body = f.body(session)
        assessor, supervisor = f.staff(session, body, "assessor"), f.staff(session, body, "supervisor")
        batch = f.submitted_batch(session, body, assessor, count=CANDIDATES)
        session.commit()
    # The embedded default (SQLite and Huey's SQLite file), and production's (PostgreSQL and Redis).
    queue_url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}" if backend == "sqlite" else _redis_url()
    config = {"DATABASE_URL": url, "MASTER_KEY": f.TEST_MASTER_KEY, "JOBS_STALE_SECONDS": 2.0,
              "JOBS_URL": queue_url}
    env = {**os.environ, **{f"REGISTRY_{k}": str(v) for k, v in config.items()}, "REGISTRY_ENV": "production"}
    app = create_app(config)
    job_queueing.job_queue(app).huey.flush()  # nothing left over from an earlier run
    yield engine, app, env, batch.id, supervisor
    engine.dispose()
    drop()


def test_a_worker_killed_midway_leaves_nothing_and_the_job_is_finished_by_another(world, tmp_path):
    engine, app, env, batch_id, supervisor = world
    queue = job_queueing.job_queue(app)
    log = tmp_path / "worker.log"
    with Session(engine, expire_on_commit=False) as session:
        job, _ = job_service.queue_issuance(session, batch_id=batch_id, actor=supervisor, now=f.NOW)
    job_queueing.send(app, job)

    first = _worker(env, log)
    try:
        live = _wait(lambda: (p := queue.progress(job.id)) is not None and p.done > 0 and p,
                     timeout=120, what="the worker to sign its first certificates")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        first.kill()
    assert 0 < live.done < CANDIDATES, "killed midway"

    def certificates() -> int:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(Certificate)
                                .where(Certificate.batch_id == batch_id)).one()

    def state() -> str:
        with Session(engine) as session:
            return job_queueing.view(app, session.get(Job, job.id)).state

    assert certificates() == 0
    with Session(engine) as session:
        assert session.get(Batch, batch_id).status == "submitted"
    _wait(lambda: state() == "interrupted", timeout=10, what="the job to show as interrupted", step=0.2)

    # What the workers do every minute: send interrupted jobs again.
    with app.app_context(), Session(engine) as session:
        assert job_queueing.recover_interrupted(app, session) == [job.id]
    second = _worker(env, log)
    try:
        _wait(lambda: state() in ("succeeded", "failed"), timeout=180, what="the job to end", step=0.2)
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)
    with Session(engine) as session:
        done = session.get(Job, job.id)
        assert done.status == "succeeded", (done.error, log.read_text()[-2000:])
        assert done.attempts == 2
        assert done.result == {"certificates": CANDIDATES}
        serials = session.exec(select(Certificate.serial).where(Certificate.batch_id == batch_id)
                               .order_by(Certificate.serial)).all()
        assert serials == list(range(serials[0], serials[0] + CANDIDATES)), "every serial once, none lost"
        assert session.get(Batch, batch_id).status == "issued"
