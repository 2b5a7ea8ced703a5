"""Engines and sessions: SQLite (WAL, immediate transactions) or PostgreSQL, one naming convention."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel, create_engine

import registry.models  # noqa: F401  (registers every table on the metadata)

metadata: MetaData = SQLModel.metadata

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, reader: bool = False, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and BEGIN IMMEDIATE so writers queue, not fail.

    A `reader` engine on SQLite begins plain (deferred) transactions: lookups never wait for a writer.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine, begin="BEGIN" if reader else "BEGIN IMMEDIATE")
        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (the driver's implicit
        # BEGIN would be DEFERRED and a later write could fail with SQLITE_BUSY instead of waiting).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every transaction takes the write lock up front: readers in WAL mode are not blocked,
        # and concurrent issuers wait their turn instead of failing on a lock upgrade.
        connection.exec_driver_sql(begin)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for one unit of work outside a request (CLI, scripts); services commit themselves."""
    session = factory()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgresql(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


# --- Flask integration: one engine per app, one session per request --------------------------------

def init_app(app: Any) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["registry.engine"] = engine
    app.extensions["registry.sessions"] = make_session_factory(engine)
    # Read-only traffic (public lookups) may go to a replica; on SQLite it gets its own non-locking engine.
    read_url = app.config.get("READ_DATABASE_URL") or app.config["DATABASE_URL"]
    if read_url == app.config["DATABASE_URL"] and engine.dialect.name != "sqlite":
        reader = engine
    else:
        reader = make_engine(read_url, reader=True)
    app.extensions["registry.read_engine"] = reader
    app.extensions["registry.read_sessions"] = make_session_factory(reader)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The current request's (or app context's) session, opened on first use."""
    from flask import current_app, g

    if "db_session" not in g:
        g.db_session = current_app.extensions["registry.sessions"]()
    return g.db_session


def get_read_session() -> Session:
    """A session for lookups that change nothing (may read from a replica)."""
    from flask import current_app, g

    if "db_read_session" not in g:
        g.db_read_session = current_app.extensions["registry.read_sessions"]()
    return g.db_read_session


def get_lookup_session() -> Session:
    """The read session, for a request whose reads are each complete in one statement (the public lookups).

    On PostgreSQL its statements run in autocommit: no BEGIN and ROLLBACK round trips around the query, which
    cost more than a lookup by a unique index. Each statement still reads one consistent snapshot, as every
    statement does under READ COMMITTED. Nothing written through it could be rolled back: write nothing with it.
    On SQLite, or when the session already began or is joined to a connection's transaction (tests), it reads
    inside that transaction as any read session does.
    """
    session = get_read_session()
    bind = session.bind
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})  # reset when the session closes
    return session


def _close_session(_exc: BaseException | None) -> None:
    from flask import g

    for name in ("db_session", "db_read_session"):
        session = g.pop(name, None)
        if session is not None:
            session.close()
