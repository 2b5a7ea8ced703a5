"""POST /api/v1/verify/bulk: many lookups in one request, for employers and subsidy agencies with an API token."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import event

from registry.services.revocation import revoke_certificate
from tests import factories as f
from tests.api.credentials import auth_headers

URL = "/api/v1/verify/bulk"
UNKNOWN = "S999944999999264999999"


@pytest.fixture
def issued(session, vault):
    return f.issued_batch(session)


@pytest.fixture
def headers(session, issued):
    return auth_headers(session, f.staff(session, f.body(session, province="11"), "assessor"), write=False)


def masked(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:]


def csv_answer(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_a_mix_of_rows_is_answered_in_order_with_ids_masked(client, headers, issued):
    a, b, c = issued.certificates
    rows = [
        {"number": a.number, "name": a.holder_name},
        {"id_number": b.id_number.lower(), "name": b.holder_name},
        {"number": c.number, "name": "冒名者"},
        {"number": UNKNOWN, "name": c.holder_name},
        {"number": "S0001", "name": "张伟"},
        "not an object",
        {"id_number": c.id_number, "name": c.holder_name},
    ]
    response = client.post(URL, json={"rows": rows}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    answers = response.get_json()["answers"]
    assert [answer["row"] for answer in answers] == list(range(1, 8))

    hit = answers[0]
    assert hit["query"] == {"number": a.number, "name": a.holder_name} and hit["error"] is None
    [match] = hit["matches"]
    assert (match["number"], match["status"], match["genuine"]) == (a.number, "valid", True)
    assert match["id_number_masked"] == masked(a.id_number)

    by_id = answers[1]
    assert by_id["query"] == {"id_number": masked(b.id_number.upper()), "name": b.holder_name}
    assert [m["number"] for m in by_id["matches"]] == [b.number]
    assert [m["number"] for m in answers[6]["matches"]] == [c.number]

    # A wrong name and an unknown number: the same empty answer, no error
    assert answers[2]["matches"] == answers[3]["matches"] == [] and answers[2]["error"] is answers[3]["error"] is None

    malformed = answers[4]
    assert malformed["matches"] == [] and malformed["error"]["reason"] == "row-invalid"
    assert malformed["error"]["field"] == "number" and "21" in malformed["error"]["message"]
    assert answers[5]["error"]["reason"] == "row-invalid" and answers[5]["query"] == {}

    text = response.get_data(as_text=True)
    assert all(cert.id_number not in text and cert.id_number.lower() not in text for cert in issued.certificates)


def test_csv_in_and_csv_out_with_formula_looking_cells_escaped(client, headers, issued):
    a, b, _ = issued.certificates
    body = ("\ufeff姓名,证件号码,证书编号\r\n"  # a byte-order mark, the columns in another order
            f"{a.holder_name},,{a.number}\r\n"
            f"{b.holder_name},{b.id_number},\r\n"
            "\r\n"  # a blank line is no row
            f"=HYPERLINK(\"http://x\"),,{a.number}\r\n"
            f"{a.holder_name},{a.id_number},{a.number}\r\n")  # both keys: this row alone is refused
    response = client.post(URL, data=body.encode("utf-8"), content_type="text/csv",
                           headers={**headers, "Accept": "text/csv"})
    lines = csv_answer(response)
    assert list(lines[0]) == ["row", "query number", "query name", "found", "status", "certificate number",
                              "holder name", "occupation", "level", "issued on", "body", "error"]
    assert [line["row"] for line in lines] == ["1", "2", "3", "4"]
    first, second, formula, both = lines
    assert (first["found"], first["status"], first["certificate number"], first["level"]) == (
        "1", "valid", a.number, "四级/中级工")
    assert (second["query number"], second["certificate number"]) == (masked(b.id_number), b.number)
    assert formula["query name"] == "'=HYPERLINK(\"http://x\")" and formula["found"] == "0"
    assert both["found"] == "0" and both["error"]
    assert a.id_number not in response.get_data(as_text=True)

    # The same file without the mark, answered as JSON by default
    plain = client.post(URL, data=body.removeprefix("\ufeff").encode(), content_type="text/csv", headers=headers)
    answers = plain.get_json()["answers"]
    assert [len(answer["matches"]) for answer in answers] == [1, 1, 0, 0]
    assert answers[3]["error"]["reason"] == "row-invalid"


@pytest.mark.parametrize("header", ["姓名\r\n张伟\r\n", "证书编号,证件号码\r\nS000044100001265000001,\r\n", ""])
def test_a_csv_header_without_the_columns_is_refused(client, headers, header):
    response = client.post(URL, data=header.encode(), content_type="text/csv", headers=headers)
    assert response.status_code == 422 and response.get_json()["reason"] == "csv-header"


def test_more_than_1000_rows_are_refused_naming_the_limit(client, headers):
    rows = [{"number": UNKNOWN, "name": "张伟"}] * 1001
    response = client.post(URL, json={"rows": rows}, headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["field"] == "rows" and "1000" in str(body["errors"])

    csv_body = "number,name\r\n" + f"{UNKNOWN},张伟\r\n" * 1001
    response = client.post(URL, data=csv_body.encode(), content_type="text/csv",
                           headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 422
    assert response.get_json()["reason"] == "too-many-rows" and "1000" in response.get_json()["message"]

    assert client.post(URL, json={"rows": []}, headers=headers).status_code == 422


def test_1000_rows_take_a_few_queries_not_1000(client, headers, issued, engine):
    a, b, _ = issued.certificates
    rows = ([{"number": a.number, "name": a.holder_name}, {"id_number": b.id_number, "name": b.holder_name}]
            + [{"number": f"S9999449999992649{i:05d}", "name": "张伟"} for i in range(998)])
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post(URL, json={"rows": rows}, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    answers = response.get_json()["answers"]
    assert len(answers) == 1000 and [len(x["matches"]) for x in answers[:3]] == [1, 1, 0]
    assert len(statements) < 20, len(statements)


def test_no_token_gets_401(client, issued):
    a = issued.certificates[0]
    response = client.post(URL, json={"rows": [{"number": a.number, "name": a.holder_name}]})
    assert response.status_code == 401 and response.get_json()["reason"] == "login-required"
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert client.post(URL, data=b"{not json", content_type="application/json").status_code == 401


def test_each_token_is_rate_limited(app, client, session, headers, issued):
    app.config["BULK_VERIFY_RATE_LIMIT"] = "2 per minute"  # before the first request
    rows = {"rows": [{"number": UNKNOWN, "name": "张伟"}]}
    assert [client.post(URL, json=rows, headers=headers).status_code for _ in range(2)] == [200, 200]
    refused = client.post(URL, json=rows, headers=headers)
    assert refused.status_code == 429 and refused.get_json()["reason"] == "rate-limited"
    other = auth_headers(session, f.staff(session, issued.body, "assessor"), write=False)
    assert client.post(URL, json=rows, headers=other).status_code == 200


def test_a_revoked_certificate_shows_revoked(client, session, headers, issued):
    a = issued.certificates[0]
    revoke_certificate(session, number=a.number, reason="fraud", note="伪造工作年限证明", actor=issued.supervisor,
                       now=f.NOW)
    response = client.post(URL, json={"rows": [{"number": a.number, "name": a.holder_name},
                                               {"id_number": a.id_number, "name": a.holder_name}]}, headers=headers)
    for answer in response.get_json()["answers"]:
        [match] = answer["matches"]
        assert (match["status"], match["revocation_reason"], match["revoked_on"]) == ("revoked", "fraud",
                                                                                      "2026-05-20")
    lines = csv_answer(client.post(URL, json={"rows": [{"number": a.number, "name": a.holder_name}]},
                                   headers={**headers, "Accept": "text/csv"}))
    assert [(line["found"], line["status"]) for line in lines] == [("1", "revoked")]
