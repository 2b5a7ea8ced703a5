"""GET /api/v1/statistics…: the regulator's figures over HTTP, from known data; nobody else reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from registry.services import batches, issuance
from registry.services.actors import SYSTEM
from registry.services.clock import CHINA
from registry.services.revocation import revoke_certificate
from tests import factories as f
from tests.api.credentials import auth_headers

JULY = datetime(2026, 7, 2, 3, tzinfo=UTC)
TABLES = ["month", "occupation", "level", "province", "body", "pass-body", "pass-standard"]
# Wide enough that May and July 2026 stay in the month table for years whatever today's date.
MONTHS = "months=120"


@pytest.fixture
def known(session, vault):
    """Guangdong body: 电工 四级 in May 2026 (4 of 5 pass, one certificate revoked) and 三级 in July (2 of 2);
    Beijing body: 家政服务员 五级 母婴护理员 in May (1 of 3)."""
    f.publish_catalogue(session)
    guangdong = f.body(session, province="44")
    beijing = f.body(session, province="11", scope=(("4-10-01-06", "母婴护理员", [5, 4]),))
    g_assessor, g_supervisor = f.staff(session, guangdong, "assessor"), f.staff(session, guangdong, "supervisor")
    b_assessor, b_supervisor = f.staff(session, beijing, "assessor"), f.staff(session, beijing, "supervisor")
    may = f.submitted_batch(session, guangdong, g_assessor, count=5, failing={2}, level=4)
    may_certs = issuance.approve_batch(session, batch_id=may.id, approved_by=g_supervisor, vault=vault, now=f.NOW)
    july = f.submitted_batch(session, guangdong, g_assessor, count=2, level=3, start=10)
    issuance.approve_batch(session, batch_id=july.id, approved_by=g_supervisor, vault=vault, now=JULY)
    domestic = f.open_batch(session, beijing, b_assessor, code="4-10-01-06", version=2019, level=5,
                            work_type="母婴护理员")
    batches.add_candidates(session, batch_id=domestic.id, actor=b_assessor, now=f.NOW,
                           candidates=f.candidate_inputs(3, failing={20, 21}, start=20))
    batches.submit_batch(session, batch_id=domestic.id, actor=b_assessor, now=f.NOW)
    issuance.approve_batch(session, batch_id=domestic.id, approved_by=b_supervisor, vault=vault, now=f.NOW)
    revoke_certificate(session, number=may_certs[0].number, reason="fraud", note="", actor=SYSTEM, now=f.NOW)
    return {"guangdong": guangdong, "beijing": beijing, "regulator": f.regulator(session),
            "g_admin": f.staff(session, guangdong, "body_admin")}


def rows(table):
    return {row["key"]: row for row in table}


def test_the_regulator_reads_every_table_and_the_overview(client, session, known):
    response = client.get(f"/api/v1/statistics?{MONTHS}", headers=auth_headers(session, known["regulator"],
                                                                                write=False))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body["tables"]) == set(TABLES)
    assert body["as_of"] == datetime.now(CHINA).date().isoformat()
    assert body["overview"]["revocations"] == 1
    assert body["overview"]["bodies_by_status"]["active"] >= 2
    tables = body["tables"]

    months = rows(tables["month"])
    assert len(months) == 120
    assert (months["2026-05"]["issued"], months["2026-05"]["valid"]) == (5, 4)
    assert (months["2026-07"]["issued"], months["2026-07"]["valid"]) == (2, 2)
    occupations = rows(tables["occupation"])
    assert occupations["6-31-01-03"] == {"key": "6-31-01-03", "label": "电工", "label_en": "Electrician",
                                              "issued": 6, "valid": 5}
    assert (occupations["4-10-01-06"]["label"], occupations["4-10-01-06"]["issued"]) == ("家政服务员", 1)
    levels = tables["level"]
    assert [row["key"] for row in levels] == ["5", "4", "3"]
    assert (levels[1]["label"], levels[1]["label_en"], levels[1]["issued"]) == ("四级/中级工",
                                                                               "Level 4 / Intermediate Worker", 4)
    provinces = rows(tables["province"])
    assert (provinces["44"]["label"], provinces["44"]["label_en"], provinces["44"]["issued"]) == ("广东省", "Guangdong",
                                                                                                  6)
    assert provinces["11"]["issued"] == 1
    bodies = rows(tables["body"])
    assert (bodies[str(known["guangdong"].id)]["label"], bodies[str(known["guangdong"].id)]["valid"]) == (
        known["guangdong"].name, 5)
    pass_body = rows(tables["pass-body"])
    assert {k: (r["candidates"], r["passed"], r["rate"]) for k, r in pass_body.items()} == {
        str(known["guangdong"].id): (7, 6, pytest.approx(6 / 7)),
        str(known["beijing"].id): (3, 1, pytest.approx(1 / 3)),
    }
    pass_standard = rows(tables["pass-standard"])
    assert (pass_standard["6-31-01-03@2018"]["label"], pass_standard["6-31-01-03@2018"]["label_en"]) == (
        "电工（2018年版）", "Electrician (2018)")
    assert "issued" not in pass_standard["6-31-01-03@2018"] and "rate" not in occupations["6-31-01-03"]


@pytest.mark.parametrize("table, kind", [(t, "pass-rates" if t.startswith("pass-") else "counts") for t in TABLES])
def test_each_table_on_its_own_matches_the_whole(client, session, known, table, kind):
    regulator = auth_headers(session, known["regulator"], write=False)
    whole = client.get(f"/api/v1/statistics?{MONTHS}", headers=regulator).get_json()
    one = client.get(f"/api/v1/statistics/{table}?{MONTHS}", headers=regulator)
    assert one.status_code == 200
    assert one.get_json() == {"table": table, "kind": kind, "as_of": whole["as_of"], "rows": whole["tables"][table]}


def test_the_month_table_covers_the_months_asked_for(client, session, known):
    regulator = auth_headers(session, known["regulator"], write=False)
    assert len(client.get("/api/v1/statistics/month", headers=regulator).get_json()["rows"]) == 12
    assert len(client.get("/api/v1/statistics/month?months=3", headers=regulator).get_json()["rows"]) == 3


def test_an_unknown_table_is_404_naming_the_tables(client, session, known):
    response = client.get("/api/v1/statistics/gender", headers=auth_headers(session, known["regulator"], write=False)
                          | {"Accept-Language": "en"})
    assert response.status_code == 404
    body = response.get_json()
    assert (body["reason"], body["field"]) == ("statistics-table-not-found", "table")
    assert "pass-standard" in body["message"] and body["message"].startswith("No statistics table")


@pytest.mark.parametrize("query", ["months=0", "months=121", "months=twelve"])
def test_months_out_of_range_is_422_naming_it(client, session, known, query):
    response = client.get(f"/api/v1/statistics?{query}", headers=auth_headers(session, known["regulator"],
                                                                                write=False))
    assert response.status_code == 422 and "months" in response.get_json()["errors"]["query"]


@pytest.mark.parametrize("path", ["/api/v1/statistics", "/api/v1/statistics/body"])
def test_only_the_regulator_reads_statistics(client, session, known, path):
    staff = client.get(path, headers=auth_headers(session, known["g_admin"], write=False) | {"Accept-Language": "en"})
    assert staff.status_code == 403 and staff.get_json()["reason"] == "regulator-only"
    assert staff.get_json()["message"] == "Only the regulator (the HRSS department) may do this."
    assert known["guangdong"].name not in staff.get_data(as_text=True)
    anonymous = client.get(path)
    assert anonymous.status_code == 401 and known["guangdong"].name not in anonymous.get_data(as_text=True)
