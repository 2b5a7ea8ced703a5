"""/api/v1/bodies…: evaluation bodies, their status, filed scope and signing keys.

The regulator files and changes bodies and sees them all; a body's staff see their own body only: another body is
answered as not found (404), as if it did not exist. Which role may change what is decided by the services.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import current_actor
from registry.api.idempotency import idempotent
from registry.db import get_session
from registry.models import Body, pk
from registry.runtime import vault_for
from registry.schemas.bodies import (
    BodyFilingSchema,
    BodyKeysSchema,
    BodyListArgsSchema,
    BodyPageSchema,
    BodySchema,
    BodyStatusChangeSchema,
    ScopeFilingSchema,
    ScopeLineSchema,
    ScopePageSchema,
)
from registry.schemas.common import ErrorSchema, PageArgsSchema
from registry.services import api_queries, oversight
from registry.services.bodies import BodyFiling, add_scope, change_body_status, file_body, withdraw_scope
from registry.services.clock import CHINA
from registry.services.key_rotation import rotate_body_key

blp = Blueprint("bodies", __name__, description="Evaluation bodies, their scope and keys (regulator; a body's own "
                                                "staff read their body)")

_BODY = {"id": 7, "name": "广东省电工技能评价中心", "kind": "S", "credit_code": "52440100MJ0000017X", "province": "44",
         "province_name": "广东省", "province_name_en": "Guangdong", "body_code": "0001", "site_code": "440001",
         "number_prefix": "S000144440001", "status": "active", "status_reason": "", "status_changed_at": None,
         "filed_at": "2026-05-20T02:00:00+00:00", "contact_name": "李明", "contact_phone": "020-12345678"}
_SCOPE = {"id": 12, "occupation_code": "6-31-01-03", "occupation_name": "电工", "occupation_name_en": "Electrician",
          "work_type": None, "levels": [5, 4, 3], "valid_from": "2026-01-01", "valid_to": "2028-12-31",
          "state": "in-force", "withdrawn_on": None}
_KEYS = {"current": {"key_id": "k4f1c2d9e0a1b2c3", "valid_from": "2026-05-20", "valid_to": "2036-05-17",
                     "in_date": True},
         "keys": [{"key_id": "k4f1c2d9e0a1b2c3", "created_at": "2026-05-20T02:00:00+00:00",
                   "not_after": "2036-05-17T02:00:00+00:00", "retired_at": None}],
         "credential_keys": [{"did": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                              "created_at": "2026-05-20T02:00:00+00:00", "retired_at": None}]}

_UNAUTHENTICATED = "No, wrong or expired credentials (API token or HTTP Basic)"
_NOT_FOUND = "No such body, or another body's (a body's staff see only their own)"



def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return datetime.now(CHINA).date()


@blp.route("/bodies")
class Bodies(MethodView):
    @blp.arguments(BodyListArgsSchema, location="query")
    @blp.response(200, BodyPageSchema, example={"items": [_BODY], "page": 1, "per_page": 50, "total": 1})
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(422, schema=ErrorSchema, description="A filter or paging argument is malformed (names it)")
    def get(self, args: dict[str, Any]) -> api_queries.Page[Body]:
        """Filed bodies in filing order: the regulator's every body, a body's staff their own.

        `q` matches part of the name, credit code or certificate number prefix.
        """
        actor = current_actor()
        return api_queries.find_bodies(get_session(), actor=actor, query=args.get("q", ""),
                                       status=args.get("status"), province=args.get("province"),
                                       page=args["page"], per_page=args["per_page"])

    @blp.arguments(BodyFilingSchema, example={
        "name": "广东省电工技能评价中心", "kind": "S", "credit_code": "52440100MJ0000017X", "province": "44",
        "body_code": "0001", "site_code": "440001", "contact_name": "李明", "contact_phone": "020-12345678"})
    @blp.response(201, BodySchema, example=_BODY, headers={"Location": {"description": "the new body's address",
                                                                        "schema": {"type": "string"}}})
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(403, schema=ErrorSchema, description="Only the regulator files bodies")
    @blp.alt_response(409, schema=ErrorSchema, description="The registry has no root certificate yet")
    @blp.alt_response(422, schema=ErrorSchema,
                      description="A field is missing or wrong, or the credit code or number prefix is taken")
    @idempotent
    def post(self, data: dict[str, Any]) -> Any:
        """File (备案) an evaluation body; it gets its number prefix and a signing key from the registry root."""
        actor = current_actor(write=True)
        body = file_body(get_session(), filing=BodyFiling(**data), actor=actor, vault=vault_for(current_app),
                         now=_now())
        return body, 201, {"Location": url_for("bodies.BodyRecord", body_id=pk(body))}


@blp.route("/bodies/<int:body_id>")
class BodyRecord(MethodView):
    @blp.response(200, BodySchema, example=_BODY)
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    def get(self, body_id: int) -> Body:
        """One body as filed, with its status and contact details."""
        actor = current_actor()
        return api_queries.visible_body(get_session(), body_id=body_id, actor=actor)


@blp.route("/bodies/<int:body_id>/status")
class BodyStatus(MethodView):
    @blp.arguments(BodyStatusChangeSchema, example={"change": "suspend", "reason": "年度检查发现考评员资格问题"})
    @blp.response(200, BodySchema, example=_BODY | {"status": "suspended", "status_reason": "年度检查",
                                                   "status_changed_at": "2026-06-01T01:30:00+00:00"})
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(403, schema=ErrorSchema, description="Only the regulator changes a body's status")
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Not allowed from the current status (e.g. reinstating an active body)")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown change or no reason")
    def patch(self, data: dict[str, Any], body_id: int) -> Body:
        """Suspend, reinstate or withdraw a body, with the reason; suspension stops new issuance at once."""
        actor = current_actor(write=True)
        session = get_session()
        api_queries.visible_body(session, body_id=body_id, actor=actor)
        return change_body_status(session, body_id=body_id, change=data["change"], reason=data["reason"],
                                  actor=actor, now=_now())


@blp.route("/bodies/<int:body_id>/scope")
class Scope(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, ScopePageSchema, example={"items": [_SCOPE], "page": 1, "per_page": 50, "total": 1})
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.alt_response(422, schema=ErrorSchema, description="A paging argument out of range (names it)")
    def get(self, args: dict[str, Any], body_id: int) -> api_queries.Page[oversight.ScopeRow]:
        """The body's filed scope in filing order, each line's state today; withdrawn lines stay, so marked."""
        actor = current_actor()
        session = get_session()
        api_queries.visible_body(session, body_id=body_id, actor=actor)
        return api_queries.page_of(oversight.scope_rows(session, body_id, today=_today()),
                                   page=args["page"], per_page=args["per_page"])

    @blp.arguments(ScopeFilingSchema, example={"occupation_code": "6-31-01-03", "work_type": None,
                                               "levels": [5, 4, 3], "valid_from": "2026-01-01",
                                               "valid_to": "2028-12-31"})
    @blp.response(201, ScopeLineSchema, example=_SCOPE)
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(403, schema=ErrorSchema, description="Only the regulator files scope")
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.alt_response(409, schema=ErrorSchema, description="The body is withdrawn")
    @blp.alt_response(422, schema=ErrorSchema,
                      description="Unknown occupation, 工种 or level for the published standards, or a wrong period")
    @idempotent
    def post(self, data: dict[str, Any], body_id: int) -> Any:
        """File a scope line: an occupation (and optionally one 工种), levels, and the period they are filed for."""
        actor = current_actor(write=True)
        session = get_session()
        api_queries.visible_body(session, body_id=body_id, actor=actor)
        entry = add_scope(session, body_id=body_id, actor=actor, now=_now(), **data)
        return api_queries.scope_line(session, body_id=body_id, scope_id=pk(entry), today=_today()), 201


@blp.route("/bodies/<int:body_id>/scope/<int:scope_id>/withdraw")
class ScopeWithdrawal(MethodView):
    @blp.response(200, ScopeLineSchema, example=_SCOPE | {"state": "withdrawn", "withdrawn_on": "2026-06-01"})
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(403, schema=ErrorSchema, description="Only the regulator withdraws scope")
    @blp.alt_response(404, schema=ErrorSchema, description="No such body or scope line of this body")
    @blp.alt_response(409, schema=ErrorSchema, description="The line is already withdrawn")
    def post(self, body_id: int, scope_id: int) -> oversight.ScopeRow:
        """Withdraw a scope line: it stays on file, marked withdrawn, and allows no new batch from then on."""
        actor = current_actor(write=True)
        session = get_session()
        api_queries.visible_body(session, body_id=body_id, actor=actor)
        api_queries.scope_line(session, body_id=body_id, scope_id=scope_id, today=_today())  # this body's line
        withdraw_scope(session, scope_id=scope_id, actor=actor, now=_now())
        return api_queries.scope_line(session, body_id=body_id, scope_id=scope_id, today=_today())


@blp.route("/bodies/<int:body_id>/key")
class Key(MethodView):
    @blp.response(200, BodyKeysSchema, example=_KEYS)
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    def get(self, body_id: int) -> api_queries.BodyKeys:
        """The body's signing key in use and its retired keys (public facts only, never a private half)."""
        actor = current_actor()
        session = get_session()
        api_queries.visible_body(session, body_id=body_id, actor=actor)
        return api_queries.body_keys(session, body_id, now=_now())


@blp.route("/bodies/<int:body_id>/key/rotate")
class KeyRotation(MethodView):
    @blp.response(201, BodyKeysSchema, example=_KEYS)
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(403, schema=ErrorSchema, description="Only the regulator rotates keys")
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.alt_response(409, schema=ErrorSchema, description="The body is withdrawn and gets no new key")
    @idempotent
    def post(self, body_id: int) -> Any:
        """Retire the body's signing key and its Open Badges credential key and make new ones.

        What the old keys signed keeps verifying: both stay in the trust bundle as retired.
        """
        actor = current_actor(write=True)
        session = get_session()
        api_queries.visible_body(session, body_id=body_id, actor=actor)
        rotate_body_key(session, vault_for(current_app), body_id=body_id, actor=actor, now=_now())
        return api_queries.body_keys(session, body_id, now=_now()), 201
