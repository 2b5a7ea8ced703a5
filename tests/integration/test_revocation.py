"""Revocation and reissue: who may, with which reason, and what the registry answers afterwards."""

from __future__ import annotations

import pytest
from sqlmodel import select

from certificates import parse_number, verify_record
from registry.errors import Conflict, Forbidden, InvalidInput
from registry.models import Certificate, Revocation
from registry.services.actors import SYSTEM
from registry.services.bodies import change_body_status
from registry.services.keys import public_key_for
from registry.services.revocation import reissue_certificate, revoke_certificate
from tests import factories as f


@pytest.fixture
def issued(session, vault):
    done = f.issued_batch(session)
    return done.body, done.assessor, done.supervisor, done.certificates


def test_the_regulator_revokes_with_a_listed_reason(session, issued):
    *_, certs = issued
    regulator = f.regulator(session)
    revoke_certificate(session, number=certs[0].number, reason="assessment-irregularity", note="考场替考",
                       actor=regulator, now=f.NOW)
    cert = session.exec(select(Certificate).where(Certificate.number == certs[0].number)).one()
    assert cert.status == "revoked"
    revocation = session.exec(select(Revocation).where(Revocation.certificate_id == cert.id)).one()
    assert (revocation.reason, revocation.note, revocation.revoked_by) == (
        "assessment-irregularity", "考场替考", regulator.user_id)


def test_revocation_rules(session, issued):
    _, assessor, supervisor, certs = issued
    number = certs[0].number
    with pytest.raises(InvalidInput) as err:
        revoke_certificate(session, number=number, reason="bored", note="", actor=supervisor, now=f.NOW)
    assert (err.value.reason, err.value.field) == ("revocation-reason-unknown", "reason")
    with pytest.raises(InvalidInput) as err:
        revoke_certificate(session, number=number, reason="other", note="  ", actor=supervisor, now=f.NOW)
    assert err.value.reason == "revocation-note-required"
    with pytest.raises(Forbidden):
        revoke_certificate(session, number=number, reason="fraud", note="", actor=assessor, now=f.NOW)
    other_body = f.body(session, site_code="449999")
    with pytest.raises(Forbidden):
        revoke_certificate(session, number=number, reason="fraud", note="", now=f.NOW,
                           actor=f.staff(session, other_body, "supervisor"))
    revoke_certificate(session, number=number, reason="fraud", note="", actor=supervisor, now=f.NOW)
    with pytest.raises(Conflict) as err:
        revoke_certificate(session, number=number, reason="fraud", note="", actor=supervisor, now=f.NOW)
    assert err.value.reason == "certificate-already-revoked"


def test_reissue_supersedes_with_a_new_signed_number(session, issued, vault):
    body, _, supervisor, certs = issued
    old = certs[1]
    new = reissue_certificate(session, number=old.number, id_number=old.id_number.lower(), holder_name="陈思远",
                              reason="姓名录入错误", actor=supervisor, vault=vault, now=f.NOW)
    assert parse_number(new.number).serial == 4  # next in the same prefix, year and level
    assert new.record["holder_name"] == "陈思远"
    assert new.record["supersedes"] == old.number
    assert new.record["occupation_code"] == old.record["occupation_code"]
    assert verify_record(public_key_for(session, new.key_id, body_id=new.body_id), new.record, new.signature)
    session.refresh(old)
    assert old.status == "superseded"
    assert old.record["holder_name"] != "陈思远"  # the old record is kept as it was signed
    with pytest.raises(Conflict):
        reissue_certificate(session, number=old.number, holder_name="再改", reason="x", actor=supervisor,
                            vault=vault, now=f.NOW)


def test_reissue_refuses_no_change_bad_ids_and_a_suspended_body(session, issued, vault):
    body, _, supervisor, certs = issued
    number = certs[2].number
    with pytest.raises(InvalidInput) as err:
        reissue_certificate(session, number=number, reason="无", actor=supervisor, vault=vault, now=f.NOW)
    assert err.value.reason == "reissue-no-change"
    with pytest.raises(InvalidInput) as err:
        reissue_certificate(session, number=number, id_number="11010519491231002Y", reason="证号更正",
                            actor=supervisor, vault=vault, now=f.NOW)
    assert err.value.field == "id_number"
    change_body_status(session, body_id=body.id, change="suspend", reason="停业整顿", actor=SYSTEM, now=f.NOW)
    with pytest.raises(Forbidden) as err:
        reissue_certificate(session, number=number, holder_name="张三丰", reason="姓名更正", actor=supervisor,
                            vault=vault, now=f.NOW)
    assert err.value.reason == "body-not-active"
    assert session.exec(select(Certificate).where(Certificate.number == number)).one().status == "valid"


def test_revoking_an_unknown_number_says_not_found(session, issued):
    *_, supervisor, _ = issued
    with pytest.raises(Exception) as err:
        revoke_certificate(session, number="S000144999999264999999", reason="fraud", note="", actor=supervisor,
                           now=f.NOW)
    assert err.value.reason == "certificate-not-found" and err.value.status == 404
