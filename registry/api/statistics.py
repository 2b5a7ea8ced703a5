"""GET /api/v1/statistics…: the regulator's figures (certificates by month, occupation, level, province and body;
pass rates by body and standard), the same aggregates as the regulator's statistics page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import current_actor
from registry.db import get_read_session
from registry.schemas.common import ErrorSchema
from registry.schemas.statistics import StatisticsArgsSchema, StatisticsSchema, StatisticsTableSchema
from registry.services import api_queries
from registry.services.clock import CHINA

blp = Blueprint("statistics", __name__, description="Statistics of certificates and pass rates (regulator)")

_UNAUTHENTICATED = "No, wrong or expired credentials (API token or HTTP Basic)"
_COUNT = {"key": "6-31-01-03", "label": "电工", "label_en": "Electrician", "issued": 120, "valid": 118}
_RATE = {"key": "6-31-01-03@2018", "label": "电工（2018年版）", "label_en": "Electrician (2018)", "candidates": 150,
         "passed": 120, "rate": 0.8}


def _today() -> date:
    """Months are China's calendar months."""
    return datetime.now(CHINA).date()


@blp.route("/statistics")
class Statistics(MethodView):
    @blp.arguments(StatisticsArgsSchema, location="query")
    @blp.response(200, StatisticsSchema, example={
        "as_of": "2026-05-20",
        "overview": {"bodies_by_status": {"active": 12, "suspended": 1, "withdrawn": 0}, "issued_this_month": 40,
                     "revocations": 3, "revoked_this_month": 1, "batches_awaiting_approval": 2},
        "tables": {"month": [_COUNT | {"key": "2026-05", "label": "2026-05", "label_en": "2026-05"}],
                   "occupation": [_COUNT],
                   "level": [_COUNT | {"key": "4", "label": "四级/中级工",
                                       "label_en": "Level 4 / Intermediate Worker"}],
                   "province": [_COUNT | {"key": "44", "label": "广东省", "label_en": "Guangdong"}],
                   "body": [_COUNT | {"key": "7", "label": "广东省电工技能评价中心",
                                      "label_en": "广东省电工技能评价中心"}],
                   "pass-body": [_RATE | {"key": "7", "label": "广东省电工技能评价中心",
                                          "label_en": "广东省电工技能评价中心"}],
                   "pass-standard": [_RATE]},
    })
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(403, schema=ErrorSchema, description="Only the regulator reads statistics")
    @blp.alt_response(422, schema=ErrorSchema, description="`months` out of range")
    def get(self, args: dict[str, Any]) -> api_queries.Figures:
        """Every statistics table and the overview figures at once."""
        actor = current_actor()
        return api_queries.all_statistics(get_read_session(), actor=actor, today=_today(), months=args["months"])


@blp.route("/statistics/<string:table>")
class StatisticsTable(MethodView):
    @blp.arguments(StatisticsArgsSchema, location="query")
    @blp.response(200, StatisticsTableSchema,
                  example={"table": "occupation", "kind": "counts", "as_of": "2026-05-20", "rows": [_COUNT]})
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(403, schema=ErrorSchema, description="Only the regulator reads statistics")
    @blp.alt_response(404, schema=ErrorSchema, description="No such table (month, occupation, level, province, "
                                                           "body, pass-body, pass-standard)")
    @blp.alt_response(422, schema=ErrorSchema, description="`months` out of range")
    def get(self, args: dict[str, Any], table: str) -> dict[str, Any]:
        """One table: counts (issued, valid) per month, occupation, level, province or body; or pass rates
        (candidates, passed, rate) per body or standard version."""
        actor = current_actor()
        today = _today()
        rows = api_queries.statistics_table(get_read_session(), table, actor=actor, today=today,
                                            months=args["months"])
        kind = "pass-rates" if table in api_queries.RATE_TABLES else "counts"
        return {"table": table, "kind": kind, "as_of": today, "rows": rows}
