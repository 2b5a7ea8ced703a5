"""Fixtures: a migrated database per backend (SQLite always, PostgreSQL when reachable), a rolled-back
session per test, the app, and the test-only signing key."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from certificates import Signer, load_private_key_pem
from registry.db import make_engine
from registry.migrate import upgrade
from registry.services.keys import KeyVault

DATA = Path(__file__).parent / "data"
# Jobs run inside the request that asks for them unless a test chooses a queue (tests/integration/test_job_worker.py
# runs real workers); no test app writes the queue file under instance/.
os.environ.setdefault("REGISTRY_JOBS_URL", "immediate")
TEST_KEY = DATA / "test-signing-key.pem"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _pg_admin_url() -> str:
    return os.environ.get("REGISTRY_TEST_DATABASE_URL", DEFAULT_PG)


def _postgres_unavailable() -> str | None:
    """None if a PostgreSQL server answers, else why not (shown as the skip reason)."""
    try:
        engine = make_engine(_pg_admin_url())
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as err:  # noqa: BLE001  (any failure means "not available here")
        return f"PostgreSQL not reachable at {make_url(_pg_admin_url()).render_as_string()}: {type(err).__name__}"
    return None


_PG_REASON = _postgres_unavailable()


def new_database(backend: str, tmp_dir: Path) -> tuple[str, callable]:
    """A fresh, migrated database; returns its URL and a function that drops it."""
    if backend == "sqlite":
        path = tmp_dir / f"registry-{uuid.uuid4().hex[:8]}.sqlite3"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url, lambda: None
    if _PG_REASON:
        if os.environ.get("REGISTRY_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here (REGISTRY_REQUIRE_POSTGRES=1): {_PG_REASON}")
        pytest.skip(_PG_REASON)
    name = f"registry_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, drop = new_database(backend, tmp_path_factory.mktemp(backend))
    yield url
    drop()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits only release savepoints: everything is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer(load_private_key_pem(TEST_KEY.read_bytes()))


@pytest.fixture(scope="session")
def vault() -> KeyVault:
    from tests.factories import VAULT

    return VAULT


@pytest.fixture
def app(database_url: str, session) -> Iterator[Flask]:
    """The app wired to the test's rolled-back session (API and pages)."""
    from registry import create_app
    from registry.limits import limiter
    from tests.factories import TEST_MASTER_KEY

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "MASTER_KEY": TEST_MASTER_KEY,
                      "VERIFY_RATE_LIMIT": "5 per minute", "JOBS_URL": "immediate"})
    app.extensions["registry.sessions"] = lambda: session
    app.extensions["registry.read_sessions"] = lambda: session
    with app.app_context():
        limiter.reset()
    yield app
    app.extensions["registry.engine"].dispose()
    app.extensions["registry.read_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
