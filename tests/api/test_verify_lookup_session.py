"""POST /api/v1/verify through the app's own engines (no test session joined): the lookup's transaction handling."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from registry import create_app
from registry.db import get_session, make_session_factory
from tests import factories as f
from tests.conftest import new_database


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_lookup_reads_without_a_transaction_on_postgresql_and_leaves_the_pool_transactional(tmp_path, backend):
    url, drop = new_database(backend, tmp_path)
    app = create_app({"DATABASE_URL": url, "TESTING": True, "MASTER_KEY": f.TEST_MASTER_KEY,
                      "JOBS_URL": "immediate"})
    engine, reader = app.extensions["registry.engine"], app.extensions["registry.read_engine"]
    try:
        with make_session_factory(engine)() as session:
            done = f.issued_batch(session, count=2)
            cert, body_id = done.certificates[0], done.body.id
            number, name = cert.number, cert.holder_name
        isolation: list[str | None] = []

        def seen(conn, _cursor, statement, _parameters, _context, _many) -> None:
            if "FROM certificates" in statement:
                isolation.append(conn.get_execution_options().get("isolation_level"))

        event.listen(reader, "before_cursor_execute", seen)
        client = app.test_client()
        for _ in range(2):  # the second on a connection the first gave back to the pool
            response = client.post("/api/v1/verify", json={"number": number, "name": name})
            assert response.status_code == 200
            [match] = response.get_json()["matches"]
            assert (match["number"], match["status"], match["genuine"]) == (number, "valid", True)
        event.remove(reader, "before_cursor_execute", seen)
        # PostgreSQL: one statement in autocommit, no BEGIN/ROLLBACK; SQLite: inside the reader's own transaction.
        assert isolation == (["AUTOCOMMIT"] * 2 if backend == "postgresql" else [None] * 2)

        # The pooled connections went back transactional: a write after a lookup is still rolled back.
        with app.app_context():
            session = get_session()
            session.execute(text("UPDATE bodies SET contact_phone = '000' WHERE id = :id"), {"id": body_id})
            session.rollback()
        with engine.connect() as conn:
            phone = conn.execute(text("SELECT contact_phone FROM bodies WHERE id = :id"), {"id": body_id}).scalar()
        assert phone == "020-12345678"
    finally:
        engine.dispose()
        reader.dispose()
        drop()
