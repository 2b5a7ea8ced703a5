"""A lookup answers at once even while a long issuance holds SQLite's write lock."""

from __future__ import annotations

import time

from sqlalchemy import text

from registry import create_app
from registry.db import make_session_factory
from registry.services import issuance
from tests import factories as f
from tests.conftest import new_database


def test_verification_does_not_wait_for_a_writer_on_sqlite(tmp_path, vault):
    url, drop = new_database("sqlite", tmp_path)
    app = create_app({"DATABASE_URL": url, "TESTING": True, "MASTER_KEY": f.TEST_MASTER_KEY})
    engine = app.extensions["registry.engine"]
    try:
        with make_session_factory(engine)() as session:
            f.publish_catalogue(session)
            body = f.body(session)
            assessor, supervisor = f.staff(session, body, "assessor"), f.staff(session, body, "supervisor")
            batch = f.submitted_batch(session, body, assessor, count=2)
            [cert, _] = issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault,
                                               now=f.NOW)
        with engine.connect() as writer:
            writer.execute(text("UPDATE bodies SET contact_phone = contact_phone"))  # holds the write lock
            started = time.monotonic()
            response = app.test_client().post("/api/v1/verify",
                                              json={"number": cert.number, "name": cert.holder_name})
            waited = time.monotonic() - started
            writer.rollback()
        assert response.status_code == 200
        assert response.get_json()["matches"][0]["status"] == "valid"
        assert waited < 5  # a writer-locked lookup would wait for the 30 s busy timeout
    finally:
        engine.dispose()
        app.extensions["registry.read_engine"].dispose()
        drop()
