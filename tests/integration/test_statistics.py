"""The regulator's figures from known data: months, occupations, levels, provinces, bodies, pass rates, overview."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from registry.services import batches as batch_service
from registry.services import issuance, statistics
from registry.services.actors import SYSTEM
from registry.services.bodies import change_body_status
from registry.services.revocation import revoke_certificate
from tests import factories as f

MAY, JULY, JANUARY = (datetime(2026, 5, 20, 2, tzinfo=UTC), datetime(2026, 7, 2, 3, tzinfo=UTC),
                      datetime(2027, 1, 10, 1, tzinfo=UTC))


@pytest.fixture
def known(session, vault):
    """Guangdong body: 电工 四级 in May (4 of 5 pass) and 三级 in July (2 of 2); Beijing body: 家政服务员 五级
    母婴护理员 in January 2027 (1 of 3), a submitted batch awaiting approval, and one certificate revoked."""
    f.publish_catalogue(session)
    guangdong = f.body(session, province="44")
    beijing = f.body(session, province="11", scope=(("4-10-01-06", "母婴护理员", [5, 4]),))
    g_assessor, g_supervisor = f.staff(session, guangdong, "assessor"), f.staff(session, guangdong, "supervisor")
    b_assessor, b_supervisor = f.staff(session, beijing, "assessor"), f.staff(session, beijing, "supervisor")

    may = f.submitted_batch(session, guangdong, g_assessor, count=5, failing={2}, level=4)
    may_certs = issuance.approve_batch(session, batch_id=may.id, approved_by=g_supervisor, vault=vault, now=MAY)
    july = f.submitted_batch(session, guangdong, g_assessor, count=2, level=3, start=10)
    issuance.approve_batch(session, batch_id=july.id, approved_by=g_supervisor, vault=vault, now=JULY)

    domestic = f.open_batch(session, beijing, b_assessor, code="4-10-01-06", version=2019, level=5,
                            work_type="母婴护理员")
    batch_service.add_candidates(session, batch_id=domestic.id, actor=b_assessor, now=MAY,
                                 candidates=f.candidate_inputs(3, failing={20, 21}, start=20))
    batch_service.submit_batch(session, batch_id=domestic.id, actor=b_assessor, now=MAY)
    issuance.approve_batch(session, batch_id=domestic.id, approved_by=b_supervisor, vault=vault, now=JANUARY)

    f.submitted_batch(session, guangdong, g_assessor, count=4, failing={30, 31}, start=30)  # not issued
    revoke_certificate(session, number=may_certs[0].number, reason="fraud", note="", actor=SYSTEM,
                       now=datetime(2027, 1, 15, 1, tzinfo=UTC))
    change_body_status(session, body_id=beijing.id, change="suspend", reason="检查", actor=SYSTEM, now=JANUARY)
    return guangdong, beijing


def counts(rows):
    return {row.key: (row.issued, row.valid) for row in rows}


def test_certificates_by_month_cover_twelve_months_with_zeros(session, known):
    months = statistics.by_month(session, today=date(2027, 1, 31))
    assert [m.key for m in months][:2] == ["2026-02", "2026-03"] and months[-1].key == "2027-01"
    assert len(months) == 12
    assert {m.key: (m.issued, m.valid) for m in months if m.issued} == {
        "2026-05": (4, 3), "2026-07": (2, 2), "2027-01": (1, 1)}
    assert sum(m.issued for m in statistics.by_month(session, today=date(2026, 6, 30))) == 4  # later ones excluded
    assert [m.key for m in statistics.by_month(session, today=date(2026, 12, 1), months=3)] == [
        "2026-10", "2026-11", "2026-12"]


def test_certificates_by_occupation_level_province_and_body(session, known):
    guangdong, beijing = known
    occupation = statistics.by_occupation(session)
    assert counts(occupation) == {"6-31-01-03": (6, 5), "4-10-01-06": (1, 1)}
    assert occupation[0].key == "6-31-01-03" and occupation[0].label == "电工" and occupation[0].label_en
    assert [(c.key, c.issued) for c in statistics.by_level(session)] == [("5", 1), ("4", 4), ("3", 2)]
    province = statistics.by_province(session)
    assert counts(province) == {"44": (6, 5), "11": (1, 1)}
    assert (province[0].label, province[0].label_en) == ("广东省", "Guangdong")
    body = statistics.by_body(session)
    assert counts(body) == {str(guangdong.id): (6, 5), str(beijing.id): (1, 1)}
    assert body[0].label == guangdong.name


def test_pass_rates_count_only_issued_batches(session, known):
    guangdong, beijing = known
    by_body = {r.key: (r.candidates, r.passed) for r in statistics.pass_rates_by_body(session)}
    assert by_body == {str(guangdong.id): (7, 6), str(beijing.id): (3, 1)}
    by_standard = statistics.pass_rates_by_standard(session)
    assert {r.key: (r.candidates, r.passed) for r in by_standard} == {"6-31-01-03@2018": (7, 6),
                                                                        "4-10-01-06@2019": (3, 1)}
    assert by_standard[0].label == "电工（2018年版）" and by_standard[0].rate == pytest.approx(6 / 7)


def test_the_overview(session, known):
    january = statistics.overview(session, today=date(2027, 1, 31))
    assert january.bodies_by_status == {"active": 1, "suspended": 1, "withdrawn": 0}
    assert (january.issued_this_month, january.revocations, january.revoked_this_month) == (1, 1, 1)
    assert january.batches_awaiting_approval == 1
    july = statistics.overview(session, today=date(2026, 7, 31))
    assert (july.issued_this_month, july.revoked_this_month) == (2, 0)


def test_an_empty_registry_has_zero_everywhere(session):
    assert statistics.by_occupation(session) == [] and statistics.pass_rates_by_body(session) == []
    assert all(m.issued == 0 for m in statistics.by_month(session, today=date(2026, 5, 1)))
    assert statistics.overview(session, today=date(2026, 5, 1)).bodies_by_status == {
        "active": 0, "suspended": 0, "withdrawn": 0}


@pytest.mark.parametrize(("cell", "written"), [
    ("=1+2", "'=1+2"), ("+86 20 1234", "'+86 20 1234"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("电工", "电工"), ("a=b", "a=b"), (-5, "-5"), (12, "12"), (None, ""),
])
def test_csv_cells_never_start_a_formula(cell, written):
    assert statistics.safe_cell(cell) == written


def test_csv_is_utf8_with_a_byte_order_mark_and_crlf():
    data = statistics.csv_bytes(["职业", "数量"], [["=电工", 3], ["家政服务员", 0]])
    assert data == "\ufeff职业,数量\r\n'=电工,3\r\n家政服务员,0\r\n".encode()
