"""POST /api/v1/verify: the public lookup, no login, misses rate-limited."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from webargs.flaskparser import abort

from certificates import fold_id, mask_id
from registry.api.auth import caller_key, current_actor
from registry.db import get_lookup_session, get_read_session
from registry.errors import InvalidInput
from registry.limits import limiter
from registry.schemas.common import ErrorSchema
from registry.schemas.verify import (
    BULK_MAX_ROWS,
    BulkVerifyRequestSchema,
    BulkVerifyResponseSchema,
    VerifyRequestSchema,
    VerifyResponseSchema,
)
from registry.services.bulk_verification import BulkQuery, verify_many
from registry.services.statistics import csv_bytes
from registry.services.verification import VerificationResult, verify_by_id_number, verify_by_number

blp = Blueprint("verify", __name__, description="Certificate verification (public)")


def _is_miss(response: Response) -> bool:
    """Only misses and malformed lookups count against the limit; genuine checks never do."""
    return response.status_code != 200 or not g.get("verify_found", False)


@blp.route("/verify")
class Verify(MethodView):
    decorators = [
        limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], deduct_when=_is_miss),
        limiter.limit(lambda: current_app.config["VERIFY_CEILING"]),
    ]

    # A schema instance, made once: given the class, webargs would build a new schema for every request.
    @blp.arguments(VerifyRequestSchema(), example={"number": "S000044100001265000001", "name": "张伟"})
    @blp.response(200, VerifyResponseSchema)
    @blp.alt_response(422, schema=ErrorSchema, description="Malformed request")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many misses (or lookups) from this client")
    @blp.doc(security=[])  # public: no authentication, whatever the API's default
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Look up certificates by 证书编号 + 姓名 or 证件号码 + 姓名.

        A wrong name and an unknown number give the same empty answer.
        """
        session = get_lookup_session()
        if "number" in data:
            matches = verify_by_number(session, number=data["number"], name=data["name"])
        else:
            matches = verify_by_id_number(session, id_number=data["id_number"], name=data["name"])
        g.verify_found = bool(matches)  # for _is_miss, without parsing the answer again
        return {"matches": matches}


# --- POST /verify/bulk -----------------------------------------------------------------------------------------

# CSV header cells (case and surrounding spaces ignored) -> the row key they fill.
_CSV_COLUMNS = {"证书编号": "number", "number": "number", "证件号码": "id_number", "id_number": "id_number",
                "姓名": "name", "name": "name"}
_CSV_OUT_HEADER = ("row", "query number", "query name", "found", "status", "certificate number", "holder name",
                   "occupation", "level", "issued on", "body", "error")
_BULK_EXAMPLE = {"rows": [{"number": "S000044100001265000001", "name": "张伟"},
                          {"id_number": "11010519491231002X", "name": "李娜"}]}
_CSV_EXAMPLE = "证书编号,证件号码,姓名\r\nS000044100001265000001,,张伟\r\n,11010519491231002X,李娜\r\n"
_ANSWER_EXAMPLE = {"answers": [
    {"row": 1, "query": {"number": "S000044100001265000001", "name": "张伟"}, "error": None, "matches": [{
        "number": "S000044100001265000001", "holder_name": "张伟", "id_type": "居民身份证",
        "id_number_masked": "110105********002X", "occupation_code": "6-31-01-03", "occupation_name": "电工",
        "work_type": "--", "level": 4, "level_label": "四级/中级工", "standard": "6-31-01-03@2018",
        "body_name": "广州市职业技能鉴定中心", "issued_on": "2026-05-20", "status": "valid", "genuine": True,
        "revoked_on": None, "revocation_reason": None, "revocation_reason_zh": None, "revocation_reason_en": None,
        "superseded_by": None}]},
    {"row": 2, "query": {"id_number": "110105********002X", "name": "李娜"}, "matches": [], "error": None},
]}
_BULK_DESCRIPTION = f"""Check up to {BULK_MAX_ROWS} certificates in one request, for employers and subsidy agencies.

Needs an API token (read scope is enough); rate-limited per token (`REGISTRY_BULK_VERIFY_RATE_LIMIT`).

Send JSON `{{"rows": [...]}}`, or a CSV file as the body with `Content-Type: text/csv` (UTF-8, with or without
a byte-order mark): a header row naming the columns `证书编号`/`number`, `证件号码`/`id_number` and
`姓名`/`name` in any order, then at most {BULK_MAX_ROWS} data rows, each with a number or an ID number.

One answer per row, in order. A malformed row gets its own `error`; the other rows are still answered. As for
POST /verify, a wrong name and an unknown number give the same empty `matches`, and ID numbers are masked.
With `Accept: text/csv` the answer is a CSV file instead (one line per match, or one for a row without any)."""


@blp.route("/verify/bulk")
class BulkVerify(MethodView):
    decorators = [limiter.limit(lambda: current_app.config["BULK_VERIFY_RATE_LIMIT"], key_func=caller_key)]

    @blp.doc(
        summary="Verify many certificates at once (JSON or CSV)",
        description=_BULK_DESCRIPTION,
        requestBody={"required": True, "content": {
            "application/json": {"schema": BulkVerifyRequestSchema, "example": _BULK_EXAMPLE},
            "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
        }},
        # Both answers documented here: the manual 200 replaces the one @blp.response would write.
        responses={"200": {"description": "One answer per row, in order", "content": {
            "application/json": {"schema": BulkVerifyResponseSchema, "example": _ANSWER_EXAMPLE},
            "text/csv": {"schema": {"type": "string"}, "example": (
            "row,query number,query name,found,status,certificate number,holder name,occupation,level,issued on,"
            "body,error\r\n1,S000044100001265000001,张伟,1,valid,S000044100001265000001,张伟,电工,四级/中级工,"
            "2026-05-20,广州市职业技能鉴定中心,\r\n")}}}},
    )
    @blp.response(200, BulkVerifyResponseSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="No API token, or an invalid one")
    @blp.alt_response(422, schema=ErrorSchema,
                      description=f"Not JSON rows nor a CSV file, no rows, more than {BULK_MAX_ROWS} rows, or a "
                                  "CSV header without 姓名 and 证书编号 or 证件号码")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many bulk requests from this token")
    def post(self) -> Any:
        current_actor()  # any staff token, read scope enough; before the body is looked at
        rows = _csv_rows() if request.mimetype == "text/csv" else _json_rows()
        answers = _answer(rows)
        if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
            return Response(_answers_csv(answers), mimetype="text/csv",
                            headers={"Content-Disposition": 'attachment; filename="verification.csv"'})
        return {"answers": answers}


def _json_rows() -> list[Any]:
    try:
        data = BulkVerifyRequestSchema().load(request.get_json(silent=True) or {})
    except ValidationError as err:
        abort(422, exc=err, messages={"json": err.messages})
    rows: list[Any] = data["rows"]
    return rows


def _csv_rows() -> list[dict[str, str]]:
    try:
        text = request.get_data().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("csv-encoding", "CSV 文件须为 UTF-8 编码。", "The CSV file must be UTF-8.") from None
    lines = [line for line in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in line)]
    header = [_CSV_COLUMNS.get(cell.strip().lower()) for cell in lines[0]] if lines else []
    if "name" not in header or not {"number", "id_number"} & set(header):
        raise InvalidInput("csv-header", "CSV 首行须含“姓名”以及“证书编号”或“证件号码”列。",
                           "The CSV header must name the columns 姓名/name and 证书编号/number or 证件号码/id_number.",
                           field="rows")
    data = lines[1:]
    if not data or len(data) > BULK_MAX_ROWS:
        raise InvalidInput("too-many-rows" if data else "no-rows",
                           f"每次核验 1-{BULK_MAX_ROWS} 行（本文件 {len(data)} 行）。",
                           f"1 to {BULK_MAX_ROWS} rows per request (this file has {len(data)}).", field="rows")
    rows = []
    for line in data:
        row: dict[str, str] = {}
        for key, cell in zip(header, line, strict=False):
            if key is not None and cell.strip():
                row.setdefault(key, cell)
        rows.append(row)
    return rows


def _answer(rows: list[Any]) -> list[dict[str, Any]]:
    """Each row checked on its own; the valid ones looked up together."""
    schema = VerifyRequestSchema()
    answers: list[dict[str, Any]] = []
    queries: list[tuple[int, BulkQuery]] = []
    for position, row in enumerate(rows, start=1):
        answer: dict[str, Any] = {"row": position, "query": _echo(row), "matches": [], "error": None}
        answers.append(answer)
        try:
            if not isinstance(row, Mapping):
                raise ValidationError("每行须为对象 / Each row must be an object.")
            data = schema.load(row)
        except ValidationError as err:
            answer["error"] = _row_error(err)
            continue
        queries.append((position - 1, BulkQuery(name=data["name"], number=data.get("number"),
                                                id_number=data.get("id_number"))))
    found = verify_many(get_read_session(), [query for _, query in queries])
    for (index, _), matches in zip(queries, found, strict=True):
        answers[index]["matches"] = matches
    return answers


def _echo(row: Any) -> dict[str, str]:
    """What the row asked, ID number masked; only the text fields of the lookup."""
    if not isinstance(row, Mapping):
        return {}
    echo = {key: row[key].strip() for key in ("number", "id_number", "name") if isinstance(row.get(key), str)}
    if "id_number" in echo:
        echo["id_number"] = mask_id(fold_id(echo["id_number"]))  # as stored and as matches show it
    return echo


def _row_error(err: ValidationError) -> dict[str, Any]:
    messages = err.messages if isinstance(err.messages, Mapping) else {"_schema": err.messages}
    field, problems = next(iter(messages.items()))
    while isinstance(problems, Mapping):  # a nested message (not expected for these flat rows)
        problems = next(iter(problems.values()))
    message = problems[0] if isinstance(problems, list) and problems else str(problems)
    return {"reason": "row-invalid", "message": message, "field": None if field == "_schema" else field}


def _answers_csv(answers: list[dict[str, Any]]) -> bytes:
    lines: list[list[object]] = []
    for answer in answers:
        query = answer["query"]
        asked = [answer["row"], query.get("number", query.get("id_number", "")), query.get("name", "")]
        error = answer["error"]["message"] if answer["error"] else ""
        matches: list[VerificationResult] = answer["matches"]
        if not matches:
            lines.append([*asked, 0, "", "", "", "", "", "", "", error])
        for match in matches:
            occupation = match.occupation_name + ("" if match.work_type in ("", "--") else f"（{match.work_type}）")
            lines.append([*asked, 1, match.status, match.number, match.holder_name, occupation, match.level_label,
                          match.issued_on.isoformat(), match.body_name, error])
    return csv_bytes(_CSV_OUT_HEADER, lines)
