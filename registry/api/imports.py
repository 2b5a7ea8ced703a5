"""API v1: a batch's candidates and scores imported from a spreadsheet (XLSX or CSV), and the template to fill in.

Authorisation as for the other batch endpoints: body staff reach only their own body's batches (another body's
is 404), a read-only token may download the template but not import.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from registry import jobs
from registry.api import reader_language
from registry.api.auth import current_actor
from registry.api.idempotency import idempotent
from registry.api.jobs import accepted
from registry.db import get_session
from registry.models import pk
from registry.runtime import import_limits
from registry.schemas.common import ErrorSchema
from registry.schemas.jobs import JobSchema
from registry.services import batch_api
from registry.services.jobs import queue_import, reload
from registry.services.registers import batch_level
from registry.services.sheets import PastedRowsRejected
from registry.services.spreadsheet_import import errors_xlsx, import_spreadsheet, require_file_size, template_xlsx

blp = Blueprint("imports", __name__, description="Spreadsheet import of a batch's candidates and scores (evaluation "
                "body staff)")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SpreadsheetUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "the filled-in template: .xlsx, or .csv in UTF-8 or "
                                                          "GB18030; at most 20 MB and 100,000 rows by default "
                                                          "(REGISTRY_IMPORT_MAX_BYTES, REGISTRY_IMPORT_MAX_ROWS)"})


class ImportQuerySchema(Schema):
    errors = fields.String(load_default="json", metadata={
        "description": "`xlsx`: a refused file's errors as an XLSX report instead of JSON"})


class ImportResultSchema(Schema):
    added = fields.Integer(required=True)
    passed = fields.Integer(required=True)


def _size(stream: Any) -> int:
    size = int(stream.seek(0, 2))
    stream.seek(0)
    return size



@blp.route("/batches/<int:batch_id>/template.xlsx")
class BatchTemplate(MethodView):
    @blp.response(200, content_type=XLSX, description="The template: the level's columns, an example row and "
                  "a sheet 填写说明 on each column")
    @blp.alt_response(401, schema=ErrorSchema, description="No, wrong or expired credentials")
    @blp.alt_response(404, schema=ErrorSchema, description="No such batch, or another body's")
    def get(self, batch_id: int) -> Any:
        """The XLSX template for this batch's level, with Chinese headers."""
        actor = current_actor()
        session = get_session()
        batch = batch_api.readable_batch(session, batch_id=batch_id, actor=actor)
        template = template_xlsx(batch_level(session, batch), import_limits(current_app))
        return Response(template, mimetype=XLSX, headers={
            "Content-Disposition": f'attachment; filename="batch-{batch_id}-template.xlsx"'})


@blp.route("/batches/<int:batch_id>/import")
class BatchImport(MethodView):
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.arguments(SpreadsheetUploadSchema, location="files")
    @blp.response(201, ImportResultSchema, example={"added": 120, "passed": 113})
    @blp.alt_response(401, schema=ErrorSchema, description="No, wrong or expired credentials")
    @blp.alt_response(403, schema=ErrorSchema, description="A read-only token, or a role that may not enter scores")
    @blp.alt_response(404, schema=ErrorSchema, description="No such batch, or another body's")
    @blp.alt_response(409, schema=ErrorSchema, description="The batch is submitted or issued: no more changes")
    @blp.alt_response(413, schema=ErrorSchema, description="The request is larger than the largest upload allowed "
                      "(`reason` too-large): refused before it is read")
    @blp.alt_response(422, schema=ErrorSchema, description="The file refused (`reason` names the rule: "
                      "file-too-large, file-not-xlsx, file-not-csv, xlsx-too-large-unzipped, xlsx-external-link, "
                      "xlsx-dtd, too-many-rows, too-many-columns), or its rows: `errors` lists each bad cell by "
                      "row and column (at most 1000; `omitted` counts the rest); nothing is added. "
                      "With an `Idempotency-Key`, the same file again gets this answer again")
    @blp.alt_response(202, schema=JobSchema, description="A file larger than REGISTRY_JOBS_IMPORT_INLINE_BYTES "
                      "(1 MB by default, about 20,000 rows) is imported by a background job: the job, with "
                      "`Location` to poll. A refused file's row errors are then in the job's `result.errors`, "
                      "and its XLSX report at `/jobs/{job_id}/file`")
    @idempotent
    def post(self, query: dict[str, Any], files: dict[str, Any], batch_id: int) -> Any:
        """Import candidates and scores from an XLSX or CSV file: all rows, or none if any cell is refused."""
        actor = current_actor(write=True)
        upload = files["file"]
        lang = reader_language()
        size = _size(upload.stream)
        if size > current_app.config["JOBS_IMPORT_INLINE_BYTES"]:
            require_file_size(size, import_limits(current_app))  # refused now, not by a job
            session = get_session()
            batch_api.readable_batch(session, batch_id=batch_id, actor=actor)
            job, _ = queue_import(session, batch_id=batch_id, actor=actor, filename=upload.filename or "",
                                  content=upload.stream.read(), lang=lang, now=datetime.now(UTC))
            jobs.send(current_app, job)
            return accepted(reload(session, pk(job)))
        try:
            result = import_spreadsheet(get_session(), batch_id=batch_id, filename=upload.filename or "",
                                        stream=upload.stream, actor=actor, now=datetime.now(UTC),
                                        limits=import_limits(current_app))
        except PastedRowsRejected as refused:
            if query["errors"] == "xlsx":
                return Response(errors_xlsx(refused.errors, lang, refused.omitted), status=422, mimetype=XLSX,
                                headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}-errors.xlsx"'})
            english = lang.startswith("en")
            answer = jsonify({
                "code": 422, "status": "Unprocessable Entity", "message": refused.message(lang),
                "reason": refused.reason, "field": "file", "omitted": refused.omitted,
                "errors": [{"row": e.line, "column": e.column, "column_name": e.column_en if english else e.column_zh,
                            "message": e.message_en if english else e.message_zh} for e in refused.errors],
            })
            answer.status_code = 422
            return answer
        return {"added": result.added, "passed": result.passed}, 201
