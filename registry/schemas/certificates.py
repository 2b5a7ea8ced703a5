"""Shapes of issued certificates for their body and the regulator: listings, the whole record, revocation, reissue."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from certificates import ID_TYPES
from registry.models import REVOCATION_REASONS
from registry.models.certificate import CERTIFICATE_STATUSES
from registry.schemas.common import PageArgsSchema, page_envelope

STANDARD_PATTERN = r"^\d-\d{2}-\d{2}-\d{2}(@\d{4})?$"


class CertificateSchema(Schema):
    """A certificate as printed (the signed record) and its status now."""

    number = fields.String(metadata={"description": "证书编号 (22 characters)", "example": "S000144440001264000001"})
    status = fields.String(metadata={"enum": list(CERTIFICATE_STATUSES)})
    holder_name = fields.String(metadata={"example": "张伟"})
    id_type = fields.String(metadata={"enum": list(ID_TYPES), "example": "resident"})
    id_type_label = fields.String(metadata={"description": "证件类型 as printed", "example": "居民身份证"})
    id_number = fields.String(allow_none=True, metadata={
        "description": "the full 证件号码: only for the issuing body's staff and the regulator, else null",
        "example": "11010519491231002X"})
    id_number_masked = fields.String(metadata={"example": "110105********002X"})
    occupation_code = fields.String(metadata={"example": "6-31-01-03"})
    occupation_name = fields.String(metadata={"example": "电工"})
    work_type = fields.String(metadata={"description": "工种/职业方向 as printed, -- when none", "example": "--"})
    level = fields.Integer(metadata={"example": 4})
    level_label = fields.String(metadata={"example": "四级/中级工"})
    level_label_en = fields.String(metadata={"example": "Level 4 / Intermediate Worker"})
    standard = fields.String(metadata={"description": "the standard version assessed against",
                                       "example": "6-31-01-03@2018"})
    standard_title = fields.String()
    body_id = fields.Integer(metadata={"example": 7})
    body_name = fields.String(metadata={"description": "the issuing body's name as filed"})
    body_credit_code = fields.String()
    batch_id = fields.Integer()
    assessed_on = fields.Date()
    issued_on = fields.Date(metadata={"description": "issue date (China)"})
    issued_at = fields.DateTime(format="iso")
    key_id = fields.String(metadata={"description": "the body key that signed the record"})


CertificatePageSchema = page_envelope(CertificateSchema, name="CertificatePageSchema",
                                      total="certificates matching the filters, on every page")


class RevocationSchema(Schema):
    reason = fields.String(metadata={"enum": list(REVOCATION_REASONS)})
    reason_zh = fields.String(metadata={"example": "弄虚作假取得"})
    reason_en = fields.String(metadata={"example": "Obtained by fraud or false documents"})
    note = fields.String()
    revoked_at = fields.DateTime(format="iso")
    revoked_on = fields.Date(metadata={"description": "China's date of the revocation"})
    revoked_by = fields.String(allow_none=True, metadata={"description": "the staff account; null for the system"})


class CertificateDetailSchema(CertificateSchema):
    genuine = fields.Boolean(metadata={"description": "the stored record still matches the body's signature"})
    revocation = fields.Nested(RevocationSchema, allow_none=True)
    superseded_by = fields.String(allow_none=True,
                                  metadata={"description": "number of the certificate reissued in its place"})
    supersedes = fields.String(allow_none=True, metadata={"description": "number of the certificate it replaced"})


class CertificateListArgsSchema(PageArgsSchema):
    body_id = fields.Integer(validate=validate.Range(min=1),
                             metadata={"description": "the issuing body (a body's staff only ever see their own)"})
    status = fields.String(validate=validate.OneOf(CERTIFICATE_STATUSES))
    number = fields.String(validate=validate.Length(min=1, max=22),
                           metadata={"description": "part of the certificate number"})
    holder_name = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "part of the name"})
    id_number = fields.String(validate=validate.Length(min=5, max=32),
                              metadata={"description": "the whole 证件号码"})
    issued_from = fields.Date(metadata={"description": "issued on or after (YYYY-MM-DD)", "example": "2026-01-01"})
    issued_to = fields.Date(metadata={"description": "issued on or before (YYYY-MM-DD)", "example": "2026-12-31"})
    batch_id = fields.Integer(validate=validate.Range(min=1))
    standard = fields.String(validate=validate.Regexp(STANDARD_PATTERN, error="Give an occupation code such as "
                                                      "6-31-01-03, or code@version such as 6-31-01-03@2018."),
                             metadata={"description": "occupation code, or code@version for one version's",
                                       "example": "6-31-01-03@2018"})

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("issued_from") and data.get("issued_to") and data["issued_to"] < data["issued_from"]:
            raise ValidationError("issued_to cannot be before issued_from.", field_name="issued_to")

    @post_load
    def _standard(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        code, _sep, version = data.pop("standard", "").partition("@")
        data["standard_code"] = code
        data["standard_version"] = int(version) if version else None
        return data


class RevokeSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(list(REVOCATION_REASONS)),
                           metadata={"description": "; ".join(f"{key}: {en}" for key, (_zh, en)
                                                              in REVOCATION_REASONS.items())})
    note = fields.String(load_default="", validate=validate.Length(max=1000),
                         metadata={"description": "required when the reason is other"})


class ReissueSchema(Schema):
    """The corrected holder details (at least one must differ from the old certificate) and why."""

    holder_name = fields.String(validate=validate.Length(min=1, max=64), metadata={"example": "王伟明"})
    id_type = fields.String(validate=validate.OneOf(list(ID_TYPES)), metadata={"example": "resident"})
    id_number = fields.String(validate=validate.Length(min=5, max=32), metadata={"example": "11010519491231002X"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={"example": "姓名更正"})
