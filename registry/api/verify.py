"""POST /api/v1/verify: the public lookup, no login, misses rate-limited."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from registry.db import get_read_session
from registry.limits import limiter
from registry.schemas.common import ErrorSchema
from registry.schemas.verify import VerifyRequestSchema, VerifyResponseSchema
from registry.services.verification import verify_by_id_number, verify_by_number

blp = Blueprint("verify", __name__, description="Certificate verification (public)")


def _is_miss(response: Response) -> bool:
    """Only misses and malformed lookups count against the limit; genuine checks never do."""
    if response.status_code != 200:
        return True
    body = response.get_json(silent=True) or {}
    return not body.get("matches")


@blp.route("/verify")
class Verify(MethodView):
    decorators = [
        limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], deduct_when=_is_miss),
        limiter.limit(lambda: current_app.config["VERIFY_CEILING"]),
    ]

    @blp.arguments(VerifyRequestSchema, example={"number": "S000044100001265000001", "name": "张伟"})
    @blp.response(200, VerifyResponseSchema)
    @blp.alt_response(422, schema=ErrorSchema, description="Malformed request")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many misses (or lookups) from this client")
    @blp.doc(security=[])  # public: no authentication, whatever the API's default
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Look up certificates by 证书编号 + 姓名 or 证件号码 + 姓名.

        A wrong name and an unknown number give the same empty answer.
        """
        session = get_read_session()
        if "number" in data:
            matches = verify_by_number(session, number=data["number"], name=data["name"])
        else:
            matches = verify_by_id_number(session, id_number=data["id_number"], name=data["name"])
        return {"matches": matches}
