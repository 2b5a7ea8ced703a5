"""Shapes of the batches API: opening a batch, candidates and their scores, decisions, and the answers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from certificates import ID_TYPES
from registry.models.batch import BATCH_STATUSES
from registry.schemas.common import PageArgsSchema, page_envelope

OCCUPATION_CODE = r"^\d-\d{2}-\d{2}-\d{2}$"
MAX_CANDIDATES = 1000  # one request; a larger batch is sent in several

_SCORES_EXAMPLE = {"theory": 82, "skill": 75}
_CANDIDATE_EXAMPLE = {"name": "张伟", "id_type": "resident", "id_number": "11010519491231002X",
                      "scores": _SCORES_EXAMPLE}


def _score_map(**kwargs: Any) -> fields.Dict:
    """Component kind → whole-number score (null: none recorded); which kinds a level has, the service checks."""
    return fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=20)),
        values=fields.Integer(strict=True, allow_none=True),
        metadata={"description": "成绩：考核项目 (theory 理论知识考试, skill 技能考核, review 综合评审) → 0-100",
                  "example": _SCORES_EXAMPLE},
        **kwargs,
    )


# Requests


class BatchQuerySchema(PageArgsSchema):
    body_id = fields.Integer(metadata={"description": "评价机构 id (the regulator's filter; staff see their own body)"})
    status = fields.String(validate=validate.OneOf(BATCH_STATUSES), metadata={"example": "submitted"})
    standard_code = fields.String(validate=validate.Regexp(OCCUPATION_CODE, error="职业编码形如 6-31-01-03 / "
                                                           "An occupation code looks like 6-31-01-03."),
                                  metadata={"description": "职业编码: every version of its standard",
                                            "example": "6-31-01-03"})
    assessed_from = fields.Date(metadata={"description": "考核日期 on or after", "example": "2026-05-01"})
    assessed_to = fields.Date(metadata={"description": "考核日期 on or before", "example": "2026-05-31"})

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("assessed_from"), data.get("assessed_to")
        if start is not None and end is not None and start > end:
            raise ValidationError("结束日期早于开始日期 / assessed_to is before assessed_from.",
                                  field_name="assessed_to")


class OpenBatchSchema(Schema):
    standard_code = fields.String(
        required=True,
        validate=validate.Regexp(OCCUPATION_CODE, error="职业编码形如 6-31-01-03 / "
                                 "An occupation code looks like 6-31-01-03."),
        metadata={"description": "职业编码 of the national occupational standard", "example": "6-31-01-03"},
    )
    standard_version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1900, max=2999),
                                      metadata={"description": "版本年 (e.g. 2018年版)", "example": 2018})
    level = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5),
                           metadata={"description": "等级 5 五级/初级工 … 1 一级/高级技师", "example": 4})
    work_type = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                              metadata={"description": "工种/职业方向 when the standard defines them at this level",
                                        "example": None})
    assessed_on = fields.Date(required=True, metadata={"description": "考核日期 (not after today)",
                                                       "example": "2026-05-10"})
    place = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "考核地点", "example": "广州市天河区实训基地"})


class CandidateInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "姓名 as it will be printed", "example": "张伟"})
    id_type = fields.String(required=True, validate=validate.OneOf(list(ID_TYPES)),
                            metadata={"description": "证件类型", "example": "resident"})
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=32),
                              metadata={"description": "证件号码", "example": "11010519491231002X"})
    scores = _score_map(load_default=dict)


class CandidatesInputSchema(Schema):
    candidates = fields.List(
        fields.Nested(CandidateInputSchema), required=True,
        validate=validate.Length(min=1, max=MAX_CANDIDATES),
        metadata={"description": "all added, or none if any row is refused", "example": [_CANDIDATE_EXAMPLE]},
    )


class CandidatePatchSchema(Schema):
    """A correction: only the fields given change; a score set to null is cleared."""

    name = fields.String(validate=validate.Length(min=1, max=64), metadata={"example": "张伟"})
    id_type = fields.String(validate=validate.OneOf(list(ID_TYPES)), metadata={"example": "resident"})
    id_number = fields.String(validate=validate.Length(min=1, max=32), metadata={"example": "11010519491231002X"})
    scores = _score_map()


class CandidateScoresSchema(Schema):
    scores = _score_map(required=True)


class BatchReturnSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"description": "退回原因, shown to the staff who entered the results",
                                     "example": "第 3 名考生技能考核成绩与评分表不符，请核对。"})


# Answers


class BatchPersonSchema(Schema):
    id = fields.Integer(attribute="user_id", metadata={"example": 12})
    name = fields.String(metadata={"example": "李考评"})


class BatchSummarySchema(Schema):
    id = fields.Integer(attribute="batch_id", metadata={"example": 7})
    body_id = fields.Integer(metadata={"example": 3})
    body_name = fields.String(metadata={"example": "广东省测试职业技能评价中心"})
    standard_code = fields.String(metadata={"example": "6-31-01-03"})
    standard_version = fields.Integer(metadata={"example": 2018})
    occupation_name = fields.String(metadata={"example": "电工"})
    occupation_name_en = fields.String(metadata={"example": "Electrician"})
    level = fields.Integer(metadata={"example": 4})
    work_type = fields.String(allow_none=True, metadata={"example": None})
    assessed_on = fields.Date(metadata={"example": "2026-05-10"})
    status = fields.String(metadata={"enum": list(BATCH_STATUSES), "example": "submitted"})
    candidates = fields.Integer(metadata={"description": "考生人数", "example": 5})
    passed = fields.Integer(metadata={"description": "合格人数", "example": 4})
    certificates = fields.Integer(metadata={"description": "已发证人数", "example": 0})


class BatchSchema(BatchSummarySchema):
    place = fields.String(metadata={"example": "广州市天河区实训基地"})
    created_by = fields.Nested(BatchPersonSchema, allow_none=True)
    created_at = fields.DateTime(metadata={"description": "UTC", "example": "2026-05-10T08:00:00+00:00"})
    submitted_by = fields.Nested(BatchPersonSchema, allow_none=True)
    submitted_at = fields.DateTime(allow_none=True, metadata={"example": "2026-05-11T02:30:00+00:00"})
    decided_by = fields.Nested(BatchPersonSchema, allow_none=True, metadata={"description": "who approved or returned"})
    decided_at = fields.DateTime(allow_none=True, metadata={"example": None})
    return_reason = fields.String(allow_none=True, metadata={"description": "退回原因 of the last return",
                                                             "example": None})


BatchPageSchema = page_envelope(BatchSummarySchema, name="BatchPageSchema",
                                total="batches matching the filters, on every page")


class CandidateSchema(Schema):
    id = fields.Integer(attribute="candidate_id", metadata={"example": 31})
    batch_id = fields.Integer(metadata={"example": 7})
    name = fields.String(metadata={"example": "张伟"})
    id_type = fields.String(metadata={"enum": list(ID_TYPES), "example": "resident"})
    id_number = fields.String(metadata={"description": "证件号码 in full (the body's staff and the regulator only)",
                                        "example": "11010519491231002X"})
    scores = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True),
                         metadata={"description": "every component of the level; null where no score is recorded",
                                   "example": {"theory": 82, "skill": 59}})
    passed = fields.Boolean(metadata={"description": "computed: every component at or above its pass mark",
                                      "example": False})
    reason_zh = fields.String(metadata={"example": "技能考核 59 分，低于合格线 60 分"})
    reason_en = fields.String(metadata={"example": "Practical skills assessment 59 is below the pass mark 60"})


class BatchCandidatesSchema(Schema):
    candidates = fields.List(fields.Nested(CandidateSchema))


class BatchCertificateSchema(Schema):
    number = fields.String(metadata={"description": "证书编号", "example": "S000144440001264000001"})
    candidate_id = fields.Integer(allow_none=True, metadata={"example": 31})
    holder_name = fields.String(metadata={"example": "张伟"})
    issued_on = fields.Date(metadata={"example": "2026-05-20"})
    status = fields.String(metadata={"enum": ["valid", "revoked", "superseded"], "example": "valid"})


class BatchApprovalSchema(Schema):
    batch = fields.Nested(BatchSchema)
    certificates = fields.List(fields.Nested(BatchCertificateSchema),
                               metadata={"description": "one per passed candidate; a retry answers the same"})
