"""Approval issues one signed certificate per passed candidate, all or nothing, idempotent."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func
from sqlmodel import Session, select

from certificates import parse_number, verify_record
from registry.errors import Conflict, Forbidden, InvalidInput
from registry.models import AuditEvent, Batch, Candidate, Certificate, SerialCounter
from registry.services import batches, issuance
from registry.services.actors import SYSTEM
from registry.services.bodies import change_body_status, scope_of, withdraw_scope
from registry.services.keys import KeyVault, public_key_for
from tests import factories as f


@pytest.fixture
def setup(session: Session):
    f.publish_catalogue(session)
    body = f.body(session)
    assessor = f.staff(session, body, "assessor")
    supervisor = f.staff(session, body, "supervisor")
    return body, assessor, supervisor


def test_approval_issues_numbered_signed_certificates_for_passed_candidates(session, setup, vault):
    body, assessor, supervisor = setup
    batch = f.submitted_batch(session, body, assessor, count=6, failing={1, 4})

    certs = issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)

    assert len(certs) == 4
    assert [c.number for c in certs] == [f"{body.number_prefix}264{s:06d}" for s in range(1, 5)]
    for cert in certs:
        number = parse_number(cert.number)
        assert (number.kind, number.year, number.level) == ("S", 2026, 4)
        assert cert.record["title"] == "职业技能等级证书"
        assert cert.record["level_label"] == "四级/中级工"
        assert cert.record["work_type"] == "--"
        assert cert.record["body_name"] == body.name
        assert verify_record(public_key_for(session, cert.key_id, body_id=cert.body_id), cert.record, cert.signature)
    assert session.get(Batch, batch.id).status == "issued"


def test_retrying_approval_returns_the_same_certificates(session, setup, vault):
    body, assessor, supervisor = setup
    batch = f.submitted_batch(session, body, assessor, count=3)
    first = issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)
    again = issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)
    assert [c.number for c in again] == [c.number for c in first]
    assert session.exec(select(func.count()).select_from(Certificate)).one() == 3


def test_the_submitter_cannot_approve_their_own_batch(session, setup, vault):
    body, assessor, _ = setup
    batch = f.submitted_batch(session, body, assessor, count=2)
    with pytest.raises(Forbidden) as err:
        issuance.approve_batch(session, batch_id=batch.id, approved_by=assessor, vault=vault, now=f.NOW)
    assert err.value.reason == "role-required"
    # Even holding the supervisor role, the person who entered and submitted may not approve.
    with pytest.raises(Forbidden) as err:
        issuance.approve_batch(session, batch_id=batch.id, approved_by=replace(assessor, role="supervisor"),
                               vault=vault, now=f.NOW)
    assert err.value.reason == "second-person-required"
    assert session.exec(select(func.count()).select_from(Certificate)).one() == 0


def test_retrying_an_issued_batch_still_checks_who_asks(session, setup, vault):
    body, assessor, supervisor = setup
    batch = f.submitted_batch(session, body, assessor, count=2)
    issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)
    other = f.body(session, site_code="449998")
    for outsider in (f.staff(session, other, "supervisor"), assessor):
        with pytest.raises(Forbidden):
            issuance.approve_batch(session, batch_id=batch.id, approved_by=outsider, vault=vault, now=f.NOW)


def test_a_scope_withdrawn_after_opening_stops_issuance(session, setup, vault):
    body, assessor, supervisor = setup
    batch = f.submitted_batch(session, body, assessor, count=2)
    for entry in scope_of(session, body.id):
        withdraw_scope(session, scope_id=entry.id, actor=SYSTEM, now=f.NOW)
    with pytest.raises(Forbidden) as err:
        issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)
    assert err.value.reason == "outside-scope"
    assert session.exec(select(func.count()).select_from(Certificate)).one() == 0


def test_a_batch_cannot_be_dated_after_today(session, setup):
    body, assessor, _ = setup
    with pytest.raises(InvalidInput) as err:
        batches.open_batch(session, body_id=body.id, standard_code="6-31-01-03", standard_version=2018, level=4,
                           work_type=None, assessed_on=date(2026, 5, 21), place="实训基地", actor=assessor,
                           now=f.NOW)  # NOW is 2026-05-20 10:00 in Beijing
    assert (err.value.reason, err.value.field) == ("assessment-date-future", "assessed_on")


def test_a_suspended_body_cannot_issue(session, setup, vault):
    body, assessor, supervisor = setup
    batch = f.submitted_batch(session, body, assessor, count=2)
    change_body_status(session, body_id=body.id, change="suspend", reason="督导发现问题", actor=SYSTEM, now=f.NOW)
    with pytest.raises(Forbidden) as err:
        issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)
    assert err.value.reason == "body-not-active"
    assert session.exec(select(func.count()).select_from(Certificate)).one() == 0


class ExplodingKey(ec.EllipticCurvePrivateKey):
    """A real key that makes `fail_after` signatures, then fails, as a crash midway through a batch would."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, fail_after: int) -> None:
        self._key, self._left = key, fail_after

    def sign(self, data, signature_algorithm):
        if self._left == 0:
            raise RuntimeError("injected failure midway through issuance")
        self._left -= 1
        return self._key.sign(data, signature_algorithm)

    def public_key(self):
        return self._key.public_key()

    @property
    def curve(self):
        return self._key.curve

    @property
    def key_size(self):
        return self._key.key_size

    def exchange(self, algorithm, peer_public_key):
        raise NotImplementedError

    def private_numbers(self):
        raise NotImplementedError

    def private_bytes(self, encoding, format, encryption_algorithm):  # noqa: A002  (the ABC's names)
        raise NotImplementedError

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


class ExplodingVault(KeyVault):
    """The test vault, except that the keys it opens fail after `fail_after` signatures."""

    def __init__(self, vault: KeyVault, fail_after: int) -> None:
        super().__init__(vault.master_key)
        self._fail_after = fail_after

    def open(self, row):
        return ExplodingKey(super().open(row), self._fail_after)


def test_a_failure_midway_leaves_nothing_half_written(session, setup, vault):
    body, assessor, supervisor = setup
    batch = f.submitted_batch(session, body, assessor, count=5)
    events_before = session.exec(select(func.count()).select_from(AuditEvent)).one()

    with pytest.raises(RuntimeError, match="injected"):
        issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor,
                               vault=ExplodingVault(vault, 3), now=f.NOW)

    session.expire_all()
    assert session.get(Batch, batch.id).status == "submitted"
    assert session.exec(select(func.count()).select_from(Certificate)).one() == 0
    assert session.exec(select(SerialCounter)).all() == [] or all(
        c.last_serial == 0 for c in session.exec(select(SerialCounter))
    )
    assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events_before

    # The retry completes the batch, numbering from 1: the aborted attempt left no gap.
    certs = issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)
    assert [parse_number(c.number).serial for c in certs] == [1, 2, 3, 4, 5]


def test_approving_a_draft_is_refused(session, setup, vault):
    body, assessor, supervisor = setup
    batch = f.open_batch(session, body, assessor)
    with pytest.raises(Conflict) as err:
        issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)
    assert err.value.reason == "batch-not-submitted"


def test_a_certificate_whose_qr_would_not_fit_is_refused_before_numbering(session, setup, vault):
    body, assessor, supervisor = setup
    batch = f.submitted_batch(session, body, assessor, count=3)
    long_name = "阿" * 26 + "·" + "买" * 10  # 37 characters, 111 bytes: more than a version-12 QR leaves
    candidate = session.exec(select(Candidate).where(Candidate.batch_id == batch.id)).first()
    candidate.name = long_name
    session.add(candidate)
    session.commit()

    with pytest.raises(InvalidInput) as caught:
        issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=vault, now=f.NOW)

    assert (caught.value.reason, caught.value.field) == ("qr-too-long", "holder_name")
    assert long_name in caught.value.message_zh and "QR" in caught.value.message_en
    assert session.exec(select(func.count()).select_from(Certificate)).one() == 0
    assert all(c.last_serial == 0 for c in session.exec(select(SerialCounter)))
