"""A revocation and a reissue of the same certificate at the same moment: exactly one wins."""

from __future__ import annotations

import threading

from sqlmodel import select

from registry.db import make_engine, make_session_factory
from registry.errors import Conflict
from registry.models import Certificate
from registry.services.revocation import reissue_certificate, revoke_certificate
from tests import factories as f
from tests.conftest import new_database


def test_revoke_and_reissue_race_leaves_no_valid_successor_of_a_revoked_certificate(backend, tmp_path, vault):
    url, drop = new_database(backend, tmp_path)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        with sessions() as session:
            done = f.issued_batch(session, count=1)
            number = done.certificates[0].number
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def attempt(name, action):
            with sessions() as session:
                barrier.wait()
                try:
                    action(session)
                    outcomes[name] = "ok"
                except Conflict as err:
                    outcomes[name] = err.reason

        threads = [
            threading.Thread(target=attempt, args=("revoke", lambda s: revoke_certificate(
                s, number=number, reason="fraud", note="", actor=done.supervisor, now=f.NOW))),
            threading.Thread(target=attempt, args=("reissue", lambda s: reissue_certificate(
                s, number=number, holder_name="改名", reason="更正", actor=done.supervisor, vault=vault,
                now=f.NOW))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(outcomes.values(), key=str)[0].startswith("certificate-already-")
        assert list(outcomes.values()).count("ok") == 1
        with sessions() as session:
            certs = {c.number: c.status for c in session.exec(select(Certificate))}
        if outcomes["revoke"] == "ok":
            assert certs == {number: "revoked"}  # the reissue lost: no successor exists
        else:
            assert certs[number] == "superseded" and sorted(certs.values()) == ["superseded", "valid"]
    finally:
        engine.dispose()
        drop()
