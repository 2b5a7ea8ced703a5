"""API v1: assessment batches of an evaluation body, their candidates and scores, submission and the decision.

Another body's batch or candidate is answered 404, as if it did not exist; the regulator reads every body's
batches and the services refuse it any change (403). Who may do what is the services' decision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from registry import jobs
from registry.api.auth import current_actor
from registry.api.idempotency import idempotent
from registry.api.jobs import JOB_EXAMPLE, accepted
from registry.db import get_session
from registry.models import pk
from registry.runtime import vault_for
from registry.schemas.batches import (
    BatchApprovalSchema,
    BatchCandidatesSchema,
    BatchPageSchema,
    BatchQuerySchema,
    BatchReturnSchema,
    BatchSchema,
    CandidatePatchSchema,
    CandidateSchema,
    CandidateScoresSchema,
    CandidatesInputSchema,
    OpenBatchSchema,
)
from registry.schemas.common import ErrorSchema
from registry.schemas.jobs import JobSchema
from registry.services import batch_api
from registry.services.batch_register import BatchSearch
from registry.services.batches import (
    CandidateInput,
    add_candidates,
    open_batch,
    record_scores,
    remove_candidate,
    return_batch,
    submit_batch,
    update_candidate,
)
from registry.services.issuance import approve_batch
from registry.services.jobs import passed_count, queue_issuance, reload

blp = Blueprint("batches", __name__, description="Assessment batches, candidates and scores (evaluation body "
                "staff; the regulator reads)")

ERROR = ErrorSchema
UNAUTHENTICATED = "No, wrong or expired credentials (API token or HTTP Basic)"
CHANGE_REFUSED = "A read-only token, or a role or body that may not do this"
NOT_FOUND = "No such batch, or another body's"
INVALID = "Malformed input (`errors` names the field), or a rule of the domain broken (`field` names it)"
CANDIDATE_EXAMPLE = {
    "id": 31, "batch_id": 7, "name": "张伟", "id_type": "resident", "id_number": "11010519491231002X",
    "scores": {"theory": 82, "skill": 59}, "passed": False,
    "reason_zh": "技能考核 59 分，低于合格线 60 分",
    "reason_en": "Practical skills assessment 59 is below the pass mark 60",
}
SUMMARY_EXAMPLE = {
    "id": 7, "body_id": 3, "body_name": "广东省测试职业技能评价中心", "standard_code": "6-31-01-03",
    "standard_version": 2018, "occupation_name": "电工", "occupation_name_en": "Electrician", "level": 4,
    "work_type": None, "assessed_on": "2026-05-10", "status": "returned", "candidates": 5, "passed": 4,
    "certificates": 0,
}
BATCH_EXAMPLE = {
    **SUMMARY_EXAMPLE, "place": "广州市天河区实训基地",
    "created_by": {"id": 12, "name": "李考评"}, "created_at": "2026-05-10T08:00:00+00:00",
    "submitted_by": {"id": 12, "name": "李考评"}, "submitted_at": "2026-05-11T02:30:00+00:00",
    "decided_by": {"id": 14, "name": "王督导"}, "decided_at": "2026-05-12T06:00:00+00:00",
    "return_reason": "第 3 名考生技能考核成绩与评分表不符，请核对。",
}



def _now() -> datetime:
    return datetime.now(UTC)


def _candidate_input(data: dict[str, Any]) -> CandidateInput:
    return CandidateInput(name=data["name"], id_type=data["id_type"], id_number=data["id_number"],
                          scores=data.get("scores", {}))


@blp.route("/batches")
class Batches(MethodView):
    @blp.arguments(BatchQuerySchema, location="query")
    @blp.response(200, BatchPageSchema,
                  example={"items": [SUMMARY_EXAMPLE], "page": 1, "per_page": 50, "total": 1})
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(422, schema=ERROR, description="A filter or paging parameter is malformed")
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """List assessment batches, the latest assessment first.

        Body staff see their own body's batches; the regulator sees every body's and may filter by `body_id`.
        Filters: `status`, `standard_code` (every version), `assessed_from`/`assessed_to` (inclusive).
        Paging: `page` from 1, `per_page` 1-100 (default 50).
        """
        actor = current_actor()
        search = BatchSearch(body_id=query.get("body_id"), status=query.get("status", ""),
                             standard_code=query.get("standard_code", ""),
                             assessed_from=query.get("assessed_from"), assessed_to=query.get("assessed_to"))
        listing = batch_api.batch_listing(get_session(), search, actor=actor, page=query["page"],
                                          per_page=query["per_page"])
        return {"items": listing.batches, "page": listing.page, "per_page": listing.per_page,
                "total": listing.total}

    @blp.arguments(OpenBatchSchema, example={"standard_code": "6-31-01-03", "standard_version": 2018, "level": 4,
                                             "work_type": None, "assessed_on": "2026-05-10",
                                             "place": "广州市天河区实训基地"})
    @blp.response(201, BatchSchema, example={**BATCH_EXAMPLE, "status": "draft", "candidates": 0, "passed": 0,
                                             "submitted_by": None, "submitted_at": None, "decided_by": None,
                                             "decided_at": None, "return_reason": None},
                  headers={"Location": {"description": "the new batch", "schema": {"type": "string"}}})
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(403, schema=ERROR, description="Not an assessor or body administrator, a read-only token, "
                      "the body suspended, or outside the body's filed scope")
    @blp.alt_response(422, schema=ERROR, description=INVALID + ": standard not published or not in force, level "
                      "or 工种 not in the standard, assessment date in the future")
    @idempotent
    def post(self, data: dict[str, Any]) -> Any:
        """Open a batch for the caller's body: one standard version, level (and 工种), date and place."""
        actor = current_actor(write=True)
        session = get_session()
        batch = open_batch(
            session, body_id=batch_api.own_body_id(actor), standard_code=data["standard_code"],
            standard_version=data["standard_version"], level=data["level"], work_type=data["work_type"],
            assessed_on=data["assessed_on"], place=data["place"], actor=actor, now=_now(),
        )
        location = url_for("batches.BatchItem", batch_id=batch.id)
        return batch_api.batch_detail(session, batch), 201, {"Location": location}


@blp.route("/batches/<int:batch_id>")
class BatchItem(MethodView):
    @blp.response(200, BatchSchema, example=BATCH_EXAMPLE)
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(404, schema=ERROR, description=NOT_FOUND)
    def get(self, batch_id: int) -> Any:
        """One batch: standard, level, status, counts, who entered, submitted and decided it, and when.

        `return_reason` is the supervisor's reason when the batch was last returned.
        """
        actor = current_actor()
        session = get_session()
        return batch_api.batch_detail(session, batch_api.readable_batch(session, batch_id=batch_id, actor=actor))


@blp.route("/batches/<int:batch_id>/candidates")
class BatchCandidates(MethodView):
    @blp.response(200, BatchCandidatesSchema, example={"candidates": [CANDIDATE_EXAMPLE]})
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(404, schema=ERROR, description=NOT_FOUND)
    def get(self, batch_id: int) -> Any:
        """The batch's candidates with full ID numbers, scores per component and the computed outcome.

        Only the body's staff and the regulator reach this; `passed` and the reasons are computed from the
        standard version the batch is assessed against (every component at or above its pass mark).
        """
        actor = current_actor()
        session = get_session()
        batch = batch_api.readable_batch(session, batch_id=batch_id, actor=actor)
        return {"candidates": batch_api.candidate_results(session, batch)}

    @blp.arguments(CandidatesInputSchema, example={"candidates": [
        {"name": "张伟", "id_type": "resident", "id_number": "11010519491231002X",
         "scores": {"theory": 82, "skill": 75}},
        {"name": "李娜", "id_type": "passport", "id_number": "E12345678", "scores": {"theory": 90, "skill": 59}},
    ]})
    @blp.response(201, BatchCandidatesSchema, example={"candidates": [CANDIDATE_EXAMPLE]})
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(403, schema=ERROR, description=CHANGE_REFUSED)
    @blp.alt_response(404, schema=ERROR, description=NOT_FOUND)
    @blp.alt_response(409, schema=ERROR, description="The batch is submitted or issued: no more changes")
    @blp.alt_response(422, schema=ERROR, description=INVALID + "; a refused row is named like "
                      "`candidates[2].id_number` and nothing is added", example={
                          "code": 422, "status": "Unprocessable Entity", "message": "第 3 行：证件号码校验位不正确。",
                          "reason": "id-number-check", "field": "candidates[2].id_number"})
    @idempotent
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Add candidates with their scores: all of them, or none if any row is refused."""
        actor = current_actor(write=True)
        session = get_session()
        batch = batch_api.readable_batch(session, batch_id=batch_id, actor=actor)
        added = add_candidates(session, batch_id=batch_id, actor=actor, now=_now(),
                               candidates=[_candidate_input(row) for row in data["candidates"]])
        return {"candidates": batch_api.results_of(session, batch, added)}, 201


@blp.route("/batches/<int:batch_id>/candidates/<int:candidate_id>")
class BatchCandidate(MethodView):
    @blp.response(200, CandidateSchema, example=CANDIDATE_EXAMPLE)
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(404, schema=ERROR, description="No such batch or candidate, or another body's")
    def get(self, batch_id: int, candidate_id: int) -> Any:
        """One candidate with full ID number, scores and computed outcome."""
        actor = current_actor()
        session = get_session()
        batch, candidate = batch_api.batch_candidate(session, batch_id=batch_id, candidate_id=candidate_id,
                                                     actor=actor)
        return batch_api.candidate_result(session, batch, candidate)

    @blp.arguments(CandidatePatchSchema, example={"name": "张伟", "scores": {"skill": 78}})
    @blp.response(200, CandidateSchema, example={**CANDIDATE_EXAMPLE, "scores": {"theory": 82, "skill": 78},
                                                 "passed": True, "reason_zh": "各考核项目均达到合格线",
                                                 "reason_en": "Every component reaches its pass mark"})
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(403, schema=ERROR, description=CHANGE_REFUSED)
    @blp.alt_response(404, schema=ERROR, description="No such batch or candidate, or another body's")
    @blp.alt_response(409, schema=ERROR, description="The batch is submitted or issued: no more changes")
    @blp.alt_response(422, schema=ERROR, description=INVALID + "; or the 证件 already belongs to another candidate")
    def patch(self, data: dict[str, Any], batch_id: int, candidate_id: int) -> Any:
        """Correct a candidate's name, 证件 or scores before the batch is submitted.

        Only the fields given change; `scores` merges by component and a score set to null is cleared.
        The same checks as entry apply, and the audit trail keeps what changed.
        """
        actor = current_actor(write=True)
        session = get_session()
        batch, candidate = batch_api.batch_candidate(session, batch_id=batch_id, candidate_id=candidate_id,
                                                     actor=actor)
        corrected = CandidateInput(
            name=data.get("name", candidate.name), id_type=data.get("id_type", candidate.id_type),
            id_number=data.get("id_number", candidate.id_number),
            scores={**candidate.scores, **data.get("scores", {})},
        )
        updated = update_candidate(session, candidate_id=candidate_id, data=corrected, actor=actor, now=_now())
        return batch_api.candidate_result(session, batch, updated)

    @blp.response(204, description="The candidate is taken out of the batch")
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(403, schema=ERROR, description=CHANGE_REFUSED)
    @blp.alt_response(404, schema=ERROR, description="No such batch or candidate, or another body's")
    @blp.alt_response(409, schema=ERROR, description="The batch is submitted or issued: no more changes")
    def delete(self, batch_id: int, candidate_id: int) -> None:
        """Remove a wrongly entered candidate from a batch that is still being prepared (audited)."""
        actor = current_actor(write=True)
        session = get_session()
        batch_api.batch_candidate(session, batch_id=batch_id, candidate_id=candidate_id, actor=actor)
        remove_candidate(session, candidate_id=candidate_id, actor=actor, now=_now())


@blp.route("/batches/<int:batch_id>/candidates/<int:candidate_id>/scores")
class CandidateScores(MethodView):
    @blp.arguments(CandidateScoresSchema, example={"scores": {"theory": 82, "skill": 78}})
    @blp.response(200, CandidateSchema, example={**CANDIDATE_EXAMPLE, "scores": {"theory": 82, "skill": 78},
                                                 "passed": True, "reason_zh": "各考核项目均达到合格线",
                                                 "reason_en": "Every component reaches its pass mark"})
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(403, schema=ERROR, description=CHANGE_REFUSED)
    @blp.alt_response(404, schema=ERROR, description="No such batch or candidate, or another body's")
    @blp.alt_response(409, schema=ERROR, description="The batch is submitted or issued: no more changes")
    @blp.alt_response(422, schema=ERROR, description=INVALID + ": a component the level lacks, a score outside "
                      "0-100", example={"code": 422, "status": "Unprocessable Entity",
                                        "message": "Level 4 has no component 'review' (it has: theory, skill).",
                                        "reason": "score-component-unknown", "field": "scores.review"})
    def put(self, data: dict[str, Any], batch_id: int, candidate_id: int) -> Any:
        """Replace a candidate's scores (components left out have no score); the outcome is computed again."""
        actor = current_actor(write=True)
        session = get_session()
        batch, _ = batch_api.batch_candidate(session, batch_id=batch_id, candidate_id=candidate_id, actor=actor)
        scored = record_scores(session, candidate_id=candidate_id, scores=data["scores"], actor=actor, now=_now())
        return batch_api.candidate_result(session, batch, scored)


@blp.route("/batches/<int:batch_id>/submit")
class SubmitBatch(MethodView):
    @blp.response(200, BatchSchema, example={**BATCH_EXAMPLE, "status": "submitted", "decided_by": None,
                                             "decided_at": None, "return_reason": None})
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(403, schema=ERROR, description="Not an assessor or body administrator, or a read-only token")
    @blp.alt_response(404, schema=ERROR, description=NOT_FOUND)
    @blp.alt_response(409, schema=ERROR, description="Already submitted or issued")
    @blp.alt_response(422, schema=ERROR, description="The batch has no candidates")
    @idempotent
    def post(self, batch_id: int) -> Any:
        """Submit the batch's results for a supervisor's approval; no changes after this unless returned."""
        actor = current_actor(write=True)
        session = get_session()
        batch_api.readable_batch(session, batch_id=batch_id, actor=actor)
        batch = submit_batch(session, batch_id=batch_id, actor=actor, now=_now())
        return batch_api.batch_detail(session, batch)


@blp.route("/batches/<int:batch_id>/approve")
class ApproveBatch(MethodView):
    @blp.response(200, BatchApprovalSchema, example={
        "batch": {**BATCH_EXAMPLE, "status": "issued", "certificates": 1, "return_reason": None},
        "certificates": [{"number": "S000144440001264000001", "candidate_id": 31, "holder_name": "张伟",
                          "issued_on": "2026-05-20", "status": "valid"}],
    })
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(403, schema=ERROR, description="Not a supervisor of the body, the supervisor entered or "
                      "submitted the results, a read-only token, the body suspended or the scope withdrawn")
    @blp.alt_response(404, schema=ERROR, description=NOT_FOUND)
    @blp.alt_response(409, schema=ERROR, description="Not awaiting approval, or the body cannot sign now")
    @blp.alt_response(422, schema=ERROR, description="A passed candidate's certificate cannot be printed (named)")
    @blp.alt_response(202, schema=JobSchema, description="A large batch (more passed candidates than "
                      "REGISTRY_JOBS_INLINE_MAX, 500 by default) is issued by a background job: the job, with "
                      "`Location` to poll", example=JOB_EXAMPLE | {"kind": "issue", "status": "queued"})
    @idempotent
    def post(self, batch_id: int) -> Any:
        """Approve a submitted batch and issue one signed certificate per passed candidate, all or nothing.

        Answers the issued certificate numbers; approving an issued batch again answers the same certificates.
        A large batch answers 202 with a background job instead; when the job has succeeded, this batch's
        certificates are listed by `GET /certificates?batch_id={batch_id}`.
        """
        actor = current_actor(write=True)
        session = get_session()
        batch = batch_api.readable_batch(session, batch_id=batch_id, actor=actor)
        if batch.status == "submitted" and passed_count(session, batch_id) > current_app.config["JOBS_INLINE_MAX"]:
            job, new = queue_issuance(session, batch_id=batch_id, actor=actor, now=_now())
            if new:
                jobs.send(current_app, job)
            return accepted(reload(session, pk(job)))
        issued = approve_batch(session, batch_id=batch_id, approved_by=actor, vault=vault_for(current_app),
                               now=_now())
        return {"batch": batch_api.batch_detail(session, batch), "certificates": issued}


@blp.route("/batches/<int:batch_id>/return")
class ReturnBatch(MethodView):
    @blp.arguments(BatchReturnSchema, example={"reason": "第 3 名考生技能考核成绩与评分表不符，请核对。"})
    @blp.response(200, BatchSchema, example=BATCH_EXAMPLE)
    @blp.alt_response(401, schema=ERROR, description=UNAUTHENTICATED)
    @blp.alt_response(403, schema=ERROR, description="Not a supervisor of the body, the supervisor entered or "
                      "submitted the results, or a read-only token")
    @blp.alt_response(404, schema=ERROR, description=NOT_FOUND)
    @blp.alt_response(409, schema=ERROR, description="Not awaiting approval")
    @blp.alt_response(422, schema=ERROR, description="No reason given")
    @idempotent
    def post(self, data: dict[str, Any], batch_id: int) -> Any:
        """Return a submitted batch to the staff who entered it, with the reason; they correct and resubmit."""
        actor = current_actor(write=True)
        session = get_session()
        batch_api.readable_batch(session, batch_id=batch_id, actor=actor)
        batch = return_batch(session, batch_id=batch_id, reason=data["reason"], actor=actor, now=_now())
        return batch_api.batch_detail(session, batch)
