"""Shapes of the public verification request and answer."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

NUMBER_PATTERN = r"^[YSys]\d{21}$"


class VerifyRequestSchema(Schema):
    """Either a certificate number or an ID number, always with the holder's name."""

    number = fields.String(
        validate=validate.Regexp(NUMBER_PATTERN, error="证书编号为 22 位：Y 或 S 加 21 位数字 / "
                                 "A certificate number is Y or S followed by 21 digits."),
        metadata={"description": "证书编号 (22 characters)", "example": "S000044100001265000001"},
    )
    id_number = fields.String(
        validate=validate.Length(min=5, max=32, error="证件号码长度为 5-32 位 / ID number must be 5-32 characters."),
        metadata={"description": "证件号码", "example": "11010519491231002X"},
    )
    name = fields.String(
        required=True,
        error_messages={"required": "姓名必填 / name is required."},
        validate=validate.Length(min=1, max=64, error="姓名为 1-64 个字符 / Name must be 1-64 characters."),
        metadata={"description": "姓名, as printed on the certificate", "example": "张伟"},
    )

    @validates_schema
    def _one_key(self, data: dict[str, Any], **_: Any) -> None:
        if ("number" in data) == ("id_number" in data):
            raise ValidationError(
                "请提供证书编号或证件号码之一 / Give either number or id_number, not both or neither.",
                field_name="number",
            )

    @post_load
    def _strip(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {key: value.strip() for key, value in data.items()}


class CertificateStatusSchema(Schema):
    number = fields.String()
    holder_name = fields.String()
    id_type = fields.String(metadata={"description": "证件类型"})
    id_number_masked = fields.String(metadata={"example": "110105********002X"})
    occupation_code = fields.String()
    occupation_name = fields.String()
    work_type = fields.String(metadata={"description": "工种/职业方向, -- when none"})
    level = fields.Integer()
    level_label = fields.String(metadata={"example": "三级/高级工"})
    standard = fields.String(metadata={"example": "6-31-01-03@2018"})
    body_name = fields.String()
    issued_on = fields.Date()
    status = fields.String(metadata={"enum": ["valid", "revoked", "superseded"]})
    genuine = fields.Boolean(metadata={"description": "the stored record matches the registry signature"})
    revoked_on = fields.Date(allow_none=True)
    revocation_reason = fields.String(allow_none=True)
    revocation_reason_zh = fields.String(allow_none=True)
    revocation_reason_en = fields.String(allow_none=True)
    superseded_by = fields.String(allow_none=True)


class VerifyResponseSchema(Schema):
    matches = fields.List(fields.Nested(CertificateStatusSchema))


# --- bulk verification ---------------------------------------------------------------------------------------

BULK_MAX_ROWS = 1000

_ROW_DESCRIPTION = ("`{number, name}` or `{id_number, name}`, as for POST /verify. A malformed row does not fail "
                    "the request: its answer carries an `error` instead.")


class BulkVerifyRequestSchema(Schema):
    """1 to 1000 lookups; each row is checked on its own, against VerifyRequestSchema."""

    rows = fields.List(
        fields.Raw(metadata={"type": "object", "description": _ROW_DESCRIPTION}),
        required=True,
        validate=validate.Length(min=1, max=BULK_MAX_ROWS,
                                 error=f"每次核验 1-{BULK_MAX_ROWS} 行 / 1 to {BULK_MAX_ROWS} rows per request."),
        error_messages={"required": "rows 必填 / rows is required."},
        metadata={"description": f"1 to {BULK_MAX_ROWS} rows. {_ROW_DESCRIPTION}"},
    )


class BulkQueryEchoSchema(Schema):
    number = fields.String(metadata={"example": "S000044100001265000001"})
    id_number = fields.String(metadata={"description": "masked", "example": "110105********002X"})
    name = fields.String(metadata={"example": "张伟"})


class RowErrorSchema(Schema):
    reason = fields.String(required=True, metadata={"example": "row-invalid"})
    message = fields.String(required=True)
    field = fields.String(allow_none=True, metadata={"description": "the row's offending column"})


class BulkAnswerSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "1-based position of the input row"})
    query = fields.Nested(BulkQueryEchoSchema, required=True, metadata={"description": "the row, ID number masked"})
    matches = fields.List(fields.Nested(CertificateStatusSchema), required=True)
    error = fields.Nested(RowErrorSchema, allow_none=True, required=True)


class BulkVerifyResponseSchema(Schema):
    answers = fields.List(fields.Nested(BulkAnswerSchema), metadata={"description": "one per input row, in order"})
