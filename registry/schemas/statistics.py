"""Shapes of the regulator's statistics: the overview, certificate counts per group and pass rates."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

COUNT_DESCRIPTION = "issued: every certificate issued (revoked and superseded included); valid: those valid now"


class StatisticsArgsSchema(Schema):
    months = fields.Integer(load_default=12, validate=validate.Range(min=1, max=120),
                            metadata={"description": "calendar months in the month table, up to this one",
                                      "example": 12})


class OverviewSchema(Schema):
    bodies_by_status = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                   metadata={"example": {"active": 12, "suspended": 1, "withdrawn": 0}})
    issued_this_month = fields.Integer()
    revocations = fields.Integer()
    revoked_this_month = fields.Integer()
    batches_awaiting_approval = fields.Integer()


class CountSchema(Schema):
    key = fields.String(metadata={"description": "month (2026-05), occupation code, level digit, province code or "
                                                 "body id", "example": "6-31-01-03"})
    label = fields.String(metadata={"example": "电工"})
    label_en = fields.String(metadata={"example": "Electrician"})
    issued = fields.Integer(metadata={"example": 120})
    valid = fields.Integer(metadata={"example": 118})


class PassRateSchema(Schema):
    """Candidates of issued batches in one group and how many passed every component."""

    key = fields.String(metadata={"description": "body id, or standard code@version", "example": "6-31-01-03@2018"})
    label = fields.String(metadata={"example": "电工（2018年版）"})
    label_en = fields.String(metadata={"example": "Electrician (2018)"})
    candidates = fields.Integer(metadata={"example": 150})
    passed = fields.Integer(metadata={"example": 120})
    rate = fields.Float(allow_none=True, metadata={"description": "passed / candidates, 0 to 1; null without "
                                                                  "candidates", "example": 0.8})


class StatisticsTablesSchema(Schema):
    month = fields.List(fields.Nested(CountSchema),
                        metadata={"description": "oldest month first; " + COUNT_DESCRIPTION})
    occupation = fields.List(fields.Nested(CountSchema), metadata={"description": COUNT_DESCRIPTION})
    level = fields.List(fields.Nested(CountSchema), metadata={"description": "五级 first; " + COUNT_DESCRIPTION})
    province = fields.List(fields.Nested(CountSchema),
                           metadata={"description": "the issuing body's province; " + COUNT_DESCRIPTION})
    body = fields.List(fields.Nested(CountSchema), metadata={"description": COUNT_DESCRIPTION})
    pass_body = fields.List(fields.Nested(PassRateSchema), attribute="pass-body", data_key="pass-body")
    pass_standard = fields.List(fields.Nested(PassRateSchema), attribute="pass-standard", data_key="pass-standard")


class StatisticsSchema(Schema):
    as_of = fields.Date(metadata={"description": "China's date the figures are for"})
    overview = fields.Nested(OverviewSchema)
    tables = fields.Nested(StatisticsTablesSchema)


class StatisticsRowSchema(Schema):
    """A row of a count table (issued, valid) or of a pass-rate table (candidates, passed, rate)."""

    key = fields.String()
    label = fields.String()
    label_en = fields.String()
    issued = fields.Integer()
    valid = fields.Integer()
    candidates = fields.Integer()
    passed = fields.Integer()
    rate = fields.Float(allow_none=True)


class StatisticsTableSchema(Schema):
    table = fields.String(metadata={"enum": ["month", "occupation", "level", "province", "body", "pass-body",
                                             "pass-standard"]})
    kind = fields.String(metadata={"enum": ["counts", "pass-rates"]})
    as_of = fields.Date()
    rows = fields.List(fields.Nested(StatisticsRowSchema))
