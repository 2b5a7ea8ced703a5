"""Shapes of evaluation bodies, their filing, status changes, scope lines and signing keys."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from certificates import PROVINCES
from registry.models.body import BODY_KINDS, BODY_STATUSES
from registry.schemas.common import PageArgsSchema, page_envelope
from standards import LEVELS

STATUS_CHANGES = ("suspend", "reinstate", "withdraw")
SCOPE_STATES = ("in-force", "upcoming", "expired", "withdrawn")


def _text(max_length: int, **metadata: Any) -> fields.String:
    """A required text field of at most `max_length` characters (the service trims and checks it again)."""
    return fields.String(required=True, validate=validate.Length(min=1, max=max_length), metadata=metadata)


class BodySchema(Schema):
    """A filed body as its own staff and the regulator see it (contact details included)."""

    id = fields.Integer(metadata={"example": 7})
    name = fields.String(metadata={"description": "备案名称, exactly as filed", "example": "广东省电工技能评价中心"})
    kind = fields.String(metadata={"enum": list(BODY_KINDS),
                                   "description": "Y employer (用人单位), S social training-evaluation organisation"})
    credit_code = fields.String(metadata={"description": "统一社会信用代码", "example": "52440100MJ0000017X"})
    province = fields.String(metadata={"description": "GB/T 2260 province code", "example": "44"})
    province_name = fields.Function(lambda body: PROVINCES.get(body.province, (body.province, ""))[0],
                                    metadata={"example": "广东省"})
    province_name_en = fields.Function(lambda body: PROVINCES.get(body.province, ("", body.province))[1],
                                       metadata={"example": "Guangdong"})
    body_code = fields.String(metadata={"example": "0001"})
    site_code = fields.String(metadata={"example": "440001"})
    number_prefix = fields.String(metadata={"description": "the first 13 characters of its certificate numbers",
                                            "example": "S000144440001"})
    status = fields.String(metadata={"enum": list(BODY_STATUSES)})
    status_reason = fields.String(metadata={"description": "why the status last changed; empty if it never did"})
    status_changed_at = fields.DateTime(format="iso", allow_none=True)
    filed_at = fields.DateTime(format="iso")
    contact_name = fields.String()
    contact_phone = fields.String()


BodyPageSchema = page_envelope(BodySchema, name="BodyPageSchema", total="bodies matching the filters, on every page")


class BodyListArgsSchema(PageArgsSchema):
    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "part of the name, credit code or number prefix", "example": "电工"})
    status = fields.String(validate=validate.OneOf(BODY_STATUSES), metadata={"example": "active"})
    province = fields.String(validate=validate.OneOf(list(PROVINCES)), metadata={"example": "44"})


class BodyFilingSchema(Schema):
    """A body's 备案. Formats (credit code check character, province, codes) are checked by the registry."""

    name = _text(200, description="备案名称", example="广东省电工技能评价中心")
    kind = fields.String(required=True, validate=validate.OneOf(BODY_KINDS), metadata={"example": "S"})
    credit_code = _text(18, description="统一社会信用代码 (GB 32100)", example="52440100MJ0000017X")
    province = _text(2, description="GB/T 2260 province code", example="44")
    body_code = _text(4, description="0001-9999 if filed with the ministry, 0000 if with a province", example="0001")
    site_code = _text(6, description="six digits assigned by the provincial department", example="440001")
    contact_name = _text(100, example="李明")
    contact_phone = _text(40, example="020-12345678")


class BodyStatusChangeSchema(Schema):
    change = fields.String(required=True, validate=validate.OneOf(STATUS_CHANGES),
                           metadata={"description": "suspend (active → suspended), reinstate (suspended → active), "
                                                    "withdraw (either → withdrawn, final)", "example": "suspend"})
    reason = _text(500, example="年度检查发现考评员资格问题")


class ScopeLineSchema(Schema):
    """One line of a body's filed scope and its state today (China's date)."""

    id = fields.Integer(attribute="scope_id", metadata={"example": 12})
    occupation_code = fields.String(attribute="line.occupation_code", metadata={"example": "6-31-01-03"})
    occupation_name = fields.String(attribute="line.occupation_name", metadata={"example": "电工"})
    occupation_name_en = fields.String(attribute="line.occupation_name_en", metadata={"example": "Electrician"})
    work_type = fields.String(attribute="line.work_type", allow_none=True,
                              metadata={"description": "工种; null: every 工种 of the occupation"})
    levels = fields.List(fields.Integer(), attribute="line.levels", metadata={"example": [5, 4, 3]})
    valid_from = fields.Date(attribute="line.valid_from")
    valid_to = fields.Date(attribute="line.valid_to")
    state = fields.String(attribute="line.state", metadata={"enum": list(SCOPE_STATES)})
    withdrawn_on = fields.Date(attribute="line.withdrawn_on", allow_none=True)


ScopePageSchema = page_envelope(ScopeLineSchema, name="ScopePageSchema", total="the body's scope lines")


class ScopeFilingSchema(Schema):
    """A scope line to file: the occupation (and 工种) and levels must exist in a published standard."""

    occupation_code = _text(10, example="6-31-01-03")
    work_type = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                              metadata={"description": "one 工种; omit or null for the whole occupation"})
    levels = fields.List(fields.Integer(validate=validate.OneOf(list(LEVELS))), required=True,
                         validate=validate.Length(min=1, max=5), metadata={"example": [5, 4, 3]})
    valid_from = fields.Date(required=True, metadata={"example": "2026-01-01"})
    valid_to = fields.Date(required=True, metadata={"example": "2028-12-31"})


class KeyStatusSchema(Schema):
    key_id = fields.String(metadata={"example": "k4f1c2d9e0a1b2c3"})
    valid_from = fields.Date()
    valid_to = fields.Date()
    in_date = fields.Boolean(metadata={"description": "its certificate is valid now"})


class KeyInfoSchema(Schema):
    key_id = fields.String()
    created_at = fields.DateTime(format="iso")
    not_after = fields.DateTime(format="iso")
    retired_at = fields.DateTime(format="iso", allow_none=True,
                                 metadata={"description": "null for the key in use; a retired key still verifies"})


class CredentialKeyInfoSchema(Schema):
    did = fields.String(metadata={"description": "did:key:z6Mk…, the Ed25519 public key that signs the body's "
                                                "Open Badges credentials (docs/open-badges.md)"})
    created_at = fields.DateTime(format="iso")
    retired_at = fields.DateTime(format="iso", allow_none=True,
                                 metadata={"description": "null for the key in use; what a retired key signed "
                                                          "still verifies"})


class BodyKeysSchema(Schema):
    """Public facts of a body's signing keys (never a private half)."""

    current = fields.Nested(KeyStatusSchema, allow_none=True,
                            metadata={"description": "the key it signs with now; null if it has none"})
    keys = fields.List(fields.Nested(KeyInfoSchema), metadata={"description": "in use first, then retired"})
    credential_keys = fields.List(fields.Nested(CredentialKeyInfoSchema),
                                  metadata={"description": "its Open Badges credential keys, in use first"})
