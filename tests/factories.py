"""Test data in one place: published standards, bodies with scope, staff, batches and candidates."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import Session

import standards
from certificates import make_resident_id, make_uscc
from certificates.pki import parse_master_key
from registry.models import Batch, Body, Certificate
from registry.services import batches as batch_service
from registry.services import bodies as body_service
from registry.services import issuance
from registry.services import keys as key_service
from registry.services.actors import SYSTEM, Actor
from registry.services.batches import CandidateInput
from registry.services.standards import sync_standards
from registry.services.users import create_user

NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
ASSESSED_ON = date(2026, 5, 10)
PASSWORD = "correct horse battery"
_counter = itertools.count(1)
# The tests' master key: it encrypts the test databases' private keys and nothing else.
TEST_MASTER_KEY = "JdEVN628Bs0R8b-qOTuyOGFl7PIZbuTFFRHXGQSwQ1A"
VAULT = key_service.KeyVault(parse_master_key(TEST_MASTER_KEY))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"]


def publish_catalogue(session: Session) -> None:
    sync_standards(session, versions=standards.load_catalogue(), actor=SYSTEM, now=NOW)


def ensure_root(session: Session) -> None:
    """The registry root CA, created once per database (bodies need it to get their keys)."""
    if key_service.root_key(session) is None:
        key_service.init_root(session, VAULT, actor=SYSTEM, now=NOW)
        session.commit()


def regulator(session: Session) -> Actor:
    n = next(_counter)
    user = create_user(session, username=f"regulator{n}", display_name="监管员", password=PASSWORD,
                       role="regulator", body_id=None, actor=SYSTEM, now=NOW)
    return Actor.of(user)


def body(
    session: Session,
    *,
    kind: str = "S",
    province: str = "44",
    body_code: str = "0001",
    site_code: str | None = None,
    scope: tuple[tuple[str, str | None, list[int]], ...] = (("6-31-01-03", None, [5, 4, 3, 2, 1]),),
) -> Body:
    """A filed body whose scope covers ASSESSED_ON (publish_catalogue first)."""
    n = next(_counter)
    filing = body_service.BodyFiling(
        name=f"测试职业技能评价中心{n}", kind=kind, credit_code=make_uscc(f"52{province}0100MJ{n:07d}"[:17]),
        province=province, body_code=body_code, site_code=site_code or f"{province}{n:04d}",
        contact_name="联系人", contact_phone="020-12345678",
    )
    ensure_root(session)
    filed = body_service.file_body(session, filing=filing, actor=SYSTEM, vault=VAULT, now=NOW)
    for code, work_type, levels in scope:
        body_service.add_scope(session, body_id=filed.id, occupation_code=code, work_type=work_type, levels=levels,
                               valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31), actor=SYSTEM, now=NOW)
    return filed


def staff(session: Session, filed: Body, role: str) -> Actor:
    n = next(_counter)
    user = create_user(session, username=f"{role.replace('_', '-')}{n}", display_name=f"{role}{n}",
                       password=PASSWORD, role=role, body_id=filed.id, actor=SYSTEM, now=NOW)
    return Actor.of(user)


def candidate_inputs(count: int, *, failing: set[int] = frozenset(), kinds=("theory", "skill"),
                     start: int = 0) -> list[CandidateInput]:
    """`count` candidates with valid resident IDs; those whose index is in `failing` score 59 in skill."""
    rows = []
    for i in range(start, start + count):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)]
        id_number = make_resident_id("440000", date(1980 + i % 20, 1 + i % 12, 1 + i % 28), i % 1000)
        scores = {kind: 75 for kind in kinds}
        if i in failing:
            scores["skill"] = 59
        rows.append(CandidateInput(name=name, id_type="resident", id_number=id_number, scores=scores))
    return rows


def open_batch(session: Session, filed: Body, assessor: Actor, *, code: str = "6-31-01-03", version: int = 2018,
               level: int = 4, work_type: str | None = None) -> Batch:
    return batch_service.open_batch(
        session, body_id=filed.id, standard_code=code, standard_version=version, level=level,
        work_type=work_type, assessed_on=ASSESSED_ON, place="广州市天河区实训基地", actor=assessor, now=NOW,
    )


def submitted_batch(session: Session, filed: Body, assessor: Actor, *, count: int = 5,
                    failing: set[int] = frozenset(), level: int = 4, start: int = 0) -> Batch:
    batch = open_batch(session, filed, assessor, level=level)
    kinds = ("theory", "skill", "review") if level <= 2 else ("theory", "skill")
    batch_service.add_candidates(session, batch_id=batch.id, actor=assessor, now=NOW,
                                 candidates=candidate_inputs(count, failing=failing, kinds=kinds, start=start))
    return batch_service.submit_batch(session, batch_id=batch.id, actor=assessor, now=NOW)


@dataclass(frozen=True)
class Issued:
    body: Body
    assessor: Actor
    supervisor: Actor
    certificates: list[Certificate]


def issued_batch(session: Session, *, count: int = 3) -> Issued:
    """A published catalogue, a body with staff, and one approved batch of `count` certificates."""
    publish_catalogue(session)
    filed = body(session)
    assessor, supervisor = staff(session, filed, "assessor"), staff(session, filed, "supervisor")
    batch = submitted_batch(session, filed, assessor, count=count)
    certs = issuance.approve_batch(session, batch_id=batch.id, approved_by=supervisor, vault=VAULT, now=NOW)
    return Issued(filed, assessor, supervisor, certs)
