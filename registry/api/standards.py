"""GET /api/v1/standards…: the published national occupational standards, their versions, content and changes.

Public: standards are published national data (as the /standards pages are), so these endpoints need no
authentication; every answer is the same for every caller.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.db import get_read_session
from registry.schemas.common import ErrorSchema, PageArgsSchema
from registry.schemas.standards import (
    DiffArgsSchema,
    OccupationPageSchema,
    OccupationSchema,
    StandardDiffSchema,
    StandardVersionSchema,
)
from registry.services import api_queries
from registry.services.clock import CHINA

blp = Blueprint("standards", __name__,
                description="Published national occupational standards (public: no authentication needed)")

_VERSION = {"version": 2018, "title": "国家职业技能标准 电工（2018年版）", "effective_from": "2018-12-26",
            "status": "current", "superseded_by": None, "content_hash": "9f2c…"}
_OCCUPATION = {"code": "6-31-01-03", "name": "电工", "name_en": "Electrician", "versions": [_VERSION]}


def _today() -> date:
    """Which version is current is decided on China's calendar."""
    return datetime.now(CHINA).date()


@blp.route("/standards")
class Standards(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, OccupationPageSchema,
                  example={"items": [_OCCUPATION], "page": 1, "per_page": 50, "total": 5})
    @blp.alt_response(422, schema=ErrorSchema, description="A paging argument out of range (names it)")
    @blp.doc(security=[])  # public: no authentication, whatever the API's default
    def get(self, args: dict[str, Any]) -> api_queries.Page[api_queries.Occupation]:
        """The catalogue: every occupation with a published standard, by code, and its versions' status.

        Public (no authentication). A version is `current` (in force today), `superseded` (by the code@version
        given) or `upcoming` (its effective date is still ahead).
        """
        return api_queries.page_of(api_queries.occupations(get_read_session(), today=_today()),
                                   page=args["page"], per_page=args["per_page"])


@blp.route("/standards/<string:code>")
class Occupation(MethodView):
    @blp.response(200, OccupationSchema, example=_OCCUPATION)
    @blp.alt_response(404, schema=ErrorSchema, description="No published standard for this occupation code")
    @blp.doc(security=[])  # public: no authentication, whatever the API's default
    def get(self, code: str) -> api_queries.Occupation:
        """One occupation's published versions, oldest first, with their status today.

        Public (no authentication).
        """
        return api_queries.occupation(get_read_session(), code, today=_today())


@blp.route("/standards/<string:code>/<int:version>")
class StandardVersion(MethodView):
    @blp.response(200, StandardVersionSchema, example={
        "code": "6-31-01-03", "version": 2018, "name": "电工", "name_en": "Electrician",
        "title": "国家职业技能标准 电工（2018年版）", "effective_from": "2018-12-26", "status": "current",
        "superseded_by": None, "content_hash": "9f2c…", "notes": "", "work_types": [],
        "levels": [{"digit": 5, "label": "五级/初级工", "label_en": "Level 5 / Junior Worker",
                    "eligibility": ["累计从事本职业或相关职业工作1年（含）以上。"], "work_types": [],
                    "components": [{"kind": "theory", "name_zh": "理论知识考试", "name_en": "Theory examination",
                                    "pass_mark": 60, "max_score": 100},
                                   {"kind": "skill", "name_zh": "技能考核", "name_en": "Practical skills assessment",
                                    "pass_mark": 60, "max_score": 100}]}],
    })
    @blp.alt_response(404, schema=ErrorSchema, description="No such occupation code or version")
    @blp.doc(security=[])  # public: no authentication, whatever the API's default
    def get(self, code: str, version: int) -> api_queries.StandardContent:
        """A version's full content: levels, their eligibility, 工种 and components with pass marks.

        Public (no authentication). The content is immutable once published; `content_hash` identifies it.
        """
        return api_queries.standard_version(get_read_session(), code, version, today=_today())


@blp.route("/standards/<string:code>/diff")
class StandardDiff(MethodView):
    @blp.arguments(DiffArgsSchema, location="query")
    @blp.response(200, StandardDiffSchema, example={
        "code": "6-31-01-03", "from": 2018, "to": 2024, "unchanged": False,
        "fields": [{"field": "effective_from", "old": "2018-12-26", "new": "2025-03-01"}],
        "work_types_added": [], "work_types_removed": [], "levels_added": [], "levels_removed": [],
        "levels_changed": [{"digit": 4, "eligibility_added": [], "eligibility_removed": [], "work_types_added": [],
                            "work_types_removed": [],
                            "components": [{"kind": "skill", "name_zh": "技能考核",
                                            "name_en": "Practical skills assessment", "change": "changed",
                                            "old_pass_mark": 60, "new_pass_mark": 65, "old_max_score": 100,
                                            "new_max_score": 100}]}],
    })
    @blp.alt_response(404, schema=ErrorSchema,
                      description="No such occupation code, or it has no such version (`field` says from or to)")
    @blp.alt_response(422, schema=ErrorSchema, description="`from` or `to` is not a version year")
    @blp.doc(security=[])  # public: no authentication, whatever the API's default
    def get(self, args: dict[str, Any], code: str) -> Any:
        """What changed between two versions: descriptive fields, 工种, levels, eligibility, components, pass marks.

        Public (no authentication). By default from the version before the newest to the newest; an occupation
        with one version compares it with itself (`unchanged`).
        """
        return api_queries.standard_diff(get_read_session(), code, old=args.get("from_version"),
                                         new=args.get("to_version"), today=_today())
