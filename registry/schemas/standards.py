"""Shapes of the published standards catalogue, a version's content and a diff between versions."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from registry.schemas.common import page_envelope
from standards import level_label

STANDARD_STATUSES = ("current", "superseded", "upcoming")


class VersionSummarySchema(Schema):
    """One published version of an occupation's standard and its status today (China's date)."""

    version = fields.Integer(attribute="row.version", metadata={"description": "version year", "example": 2018})
    title = fields.String(attribute="row.title", metadata={"example": "国家职业技能标准 电工（2018年版）"})
    effective_from = fields.Date(attribute="row.effective_from", metadata={"example": "2018-12-26"})
    status = fields.String(metadata={"enum": list(STANDARD_STATUSES), "example": "current"})
    superseded_by = fields.String(allow_none=True, metadata={"description": "code@version in force after it",
                                                             "example": None})
    content_hash = fields.String(attribute="row.content_hash",
                                 metadata={"description": "SHA-256 of the canonical content, fixed at publication"})


class OccupationSchema(Schema):
    code = fields.String(metadata={"description": "occupation code (职业编码)", "example": "6-31-01-03"})
    name = fields.String(metadata={"example": "电工"})
    name_en = fields.String(metadata={"example": "Electrician"})
    versions = fields.List(fields.Nested(VersionSummarySchema), metadata={"description": "oldest first"})


OccupationPageSchema = page_envelope(OccupationSchema, name="OccupationPageSchema",
                                     total="occupations with a published standard")


class ComponentSchema(Schema):
    kind = fields.String(metadata={"enum": ["theory", "skill", "review"]})
    name_zh = fields.String(metadata={"example": "理论知识考试"})
    name_en = fields.String(metadata={"example": "Theory examination"})
    pass_mark = fields.Integer(metadata={"example": 60})
    max_score = fields.Integer(metadata={"example": 100})


class LevelSchema(Schema):
    digit = fields.Integer(metadata={"description": "the level digit of the certificate number", "example": 4})
    label = fields.String(metadata={"example": "四级/中级工"})
    label_en = fields.Method("_label_en", metadata={"example": "Level 4 / Intermediate Worker"})
    eligibility = fields.List(fields.String(), metadata={"description": "申报条件: any one of them suffices"})
    work_types = fields.List(fields.String(), metadata={"description": "工种 assessed at this level"})
    components = fields.List(fields.Nested(ComponentSchema),
                             metadata={"description": "a candidate passes only if every component reaches its "
                                                      "pass mark"})

    def _label_en(self, level: Any) -> str:
        return level_label(level.digit, "en")


class StandardVersionSchema(Schema):
    """A published version's whole content (immutable) and its status today."""

    code = fields.String(attribute="version.code", metadata={"example": "6-31-01-03"})
    version = fields.Integer(attribute="version.version", metadata={"example": 2018})
    name = fields.String(attribute="version.name", metadata={"example": "电工"})
    name_en = fields.String(attribute="version.name_en", metadata={"example": "Electrician"})
    title = fields.String(attribute="version.title")
    effective_from = fields.Date(attribute="version.effective_from")
    status = fields.String(attribute="entry.status", metadata={"enum": list(STANDARD_STATUSES)})
    superseded_by = fields.String(attribute="entry.superseded_by", allow_none=True)
    content_hash = fields.String(attribute="version.content_hash")
    notes = fields.String(attribute="version.notes")
    work_types = fields.List(fields.String(), attribute="version.work_types",
                             metadata={"description": "工种/职业方向 of the occupation; empty when none"})
    levels = fields.List(fields.Nested(LevelSchema), attribute="version.levels",
                         metadata={"description": "lowest level (五级) first"})


class DiffArgsSchema(Schema):
    from_version = fields.Integer(data_key="from", validate=validate.Range(min=1900, max=2999),
                                  metadata={"description": "older version year; default the one before `to`",
                                            "example": 2018})
    to_version = fields.Integer(data_key="to", validate=validate.Range(min=1900, max=2999),
                                metadata={"description": "newer version year; default the newest", "example": 2024})


class FieldChangeSchema(Schema):
    field = fields.String(metadata={"enum": ["name", "name_en", "title", "effective_from", "notes"]})
    old = fields.String()
    new = fields.String()


class ComponentChangeSchema(Schema):
    kind = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    change = fields.String(metadata={"enum": ["added", "removed", "changed"]})
    old_pass_mark = fields.Integer(allow_none=True)
    new_pass_mark = fields.Integer(allow_none=True)
    old_max_score = fields.Integer(allow_none=True)
    new_max_score = fields.Integer(allow_none=True)


class LevelChangeSchema(Schema):
    digit = fields.Integer()
    eligibility_added = fields.List(fields.String())
    eligibility_removed = fields.List(fields.String())
    work_types_added = fields.List(fields.String())
    work_types_removed = fields.List(fields.String())
    components = fields.List(fields.Nested(ComponentChangeSchema))


class StandardDiffSchema(Schema):
    code = fields.String(metadata={"example": "6-31-01-03"})
    from_version = fields.Integer(attribute="old_version", data_key="from", metadata={"example": 2018})
    to_version = fields.Integer(attribute="new_version", data_key="to", metadata={"example": 2024})
    unchanged = fields.Boolean()
    fields_changed = fields.List(fields.Nested(FieldChangeSchema), attribute="fields", data_key="fields")
    work_types_added = fields.List(fields.String())
    work_types_removed = fields.List(fields.String())
    levels_added = fields.List(fields.Integer(), metadata={"description": "level digits"})
    levels_removed = fields.List(fields.Integer(), metadata={"description": "level digits"})
    levels_changed = fields.List(fields.Nested(LevelChangeSchema),
                                 metadata={"description": "levels both versions cover that differ"})
