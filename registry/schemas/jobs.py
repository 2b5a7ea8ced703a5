"""A background job as the API shows it: what it is doing, how far it got and how it ended."""

from __future__ import annotations

from marshmallow import Schema, fields


class JobProgressSchema(Schema):
    done = fields.Integer(required=True, metadata={"description": "items done (certificates signed, pages, rows)"})
    total = fields.Integer(required=True)
    percent = fields.Integer(required=True, metadata={"description": "0-100; 100 once the job succeeded"})


class JobErrorSchema(Schema):
    reason = fields.String(required=True, metadata={"description": "stable slug, as in the API's errors"})
    message = fields.String(required=True, metadata={"description": "in the reader's language"})
    field = fields.String(allow_none=True)


class JobSchema(Schema):
    """`status`: queued, running, interrupted (its worker stopped answering: retry it, or wait for the workers
    to send it again), succeeded or failed (the reason in `error`; nothing was changed)."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "issue, print or import"})
    status = fields.String(required=True)
    batch_id = fields.Integer(required=True)
    progress = fields.Nested(JobProgressSchema, required=True)
    attempts = fields.Integer(required=True, metadata={"description": "how many times a worker started it"})
    result = fields.Dict(allow_none=True, metadata={"description": (
        "what it did, e.g. {\"certificates\": 10000}; a refused import's `errors` (row, column, column_name, "
        "message) or a refused photo ZIP's (file, reason, message), in the reader's language, and `omitted`")})
    error = fields.Nested(JobErrorSchema, allow_none=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    links = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "`self`, and `file` when the job made one (the print bundle)"})
