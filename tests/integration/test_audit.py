"""The audit trail: every state change recorded with actor and before/after, and unchangeable."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from registry.models import AuditEvent
from registry.services import batches, issuance
from registry.services.actors import SYSTEM
from registry.services.bodies import change_body_status
from registry.services.revocation import reissue_certificate, revoke_certificate
from registry.services.users import authenticate
from tests import factories as f


def test_the_whole_story_is_in_the_audit_trail(session, vault):
    f.publish_catalogue(session)
    body = f.body(session)
    assessor = f.staff(session, body, "assessor")
    supervisor = f.staff(session, body, "supervisor")
    batch = f.submitted_batch(session, body, assessor, count=3)
    batches.return_batch(session, batch_id=batch.id, reason="成绩单缺签字", actor=supervisor, now=f.NOW)
    batches.submit_batch(session, batch_id=batch.id, actor=assessor, now=f.NOW)
    certs = issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)
    revoke_certificate(session, number=certs[0].number, reason="issued-in-error", note="", actor=supervisor,
                       now=f.NOW)
    reissue_certificate(session, number=certs[1].number, holder_name="李明", reason="姓名更正", actor=supervisor,
                        vault=vault, now=f.NOW)
    change_body_status(session, body_id=body.id, change="suspend", reason="年度检查不合格", actor=SYSTEM, now=f.NOW)
    assert authenticate(session, username="nobody", password="x" * 12, client="203.0.113.9", now=f.NOW) is None

    events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    actions = [e.action for e in events]
    for expected in ["standard.published", "body.filed", "scope.added", "user.created", "batch.opened",
                     "batch.candidates-added", "batch.submitted", "batch.returned", "batch.approved",
                     "certificate.issued", "certificate.revoked", "certificate.reissued", "body.suspended",
                     "login.failed"]:
        assert expected in actions, expected
    assert actions.count("certificate.issued") == 3

    returned = next(e for e in events if e.action == "batch.returned")
    assert returned.actor == supervisor.label
    assert returned.before == {"status": "submitted"}
    assert returned.after == {"status": "returned", "reason": "成绩单缺签字"}
    revoked = next(e for e in events if e.action == "certificate.revoked")
    assert (revoked.object_type, revoked.object_id) == ("certificate", certs[0].number)
    assert revoked.before == {"status": "valid"} and revoked.after["reason"] == "issued-in-error"
    failed = events[-1]
    assert (failed.action, failed.actor, failed.after) == ("login.failed", "client:203.0.113.9", {"username": "nobody"})
    assert all(e.occurred_at == f.NOW for e in events)


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'someone-else'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_delete_audit_events(session, statement):
    f.publish_catalogue(session)
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
