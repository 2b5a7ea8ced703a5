"""API v1: background jobs (a large batch's issuance, its print bundle, a large import): their progress, retry
and file.

A job is seen by its body's staff and the regulator; another body's is answered as not found (404).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from registry import jobs
from registry.api import reader_language
from registry.api.auth import current_actor
from registry.db import get_session
from registry.models import Job
from registry.schemas.common import ErrorSchema
from registry.schemas.jobs import JobSchema
from registry.services import jobs as job_service

blp = Blueprint("jobs", __name__, description="Background jobs: progress, retry and the file a job made")

JOB_EXAMPLE = {
    "id": 12, "kind": "issue", "status": "running", "batch_id": 3,
    "progress": {"done": 4200, "total": 10000, "percent": 42}, "attempts": 1, "result": None, "error": None,
    "created_at": "2026-05-20T02:00:00+00:00", "started_at": "2026-05-20T02:00:01+00:00", "finished_at": None,
    "links": {"self": "/api/v1/jobs/12"},
}
_UNAUTHENTICATED = "No, wrong or expired credentials (API token or HTTP Basic)"
_NOT_FOUND = "No such job, or another body's"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"



def job_answer(job: Job) -> dict[str, Any]:
    """The job as JobSchema shows it, with live progress from the queue."""
    shown = jobs.view(current_app, job).as_dict(reader_language())
    links = {"self": url_for("jobs.Job", job_id=job.id)}
    if file_role(job) is not None:
        links["file"] = url_for("jobs.JobFile", job_id=job.id)
    return shown | {"links": links}


def file_role(job: Job) -> str | None:
    """Which file of the job its readers download: a print bundle, or a refused import's error report (made
    when asked for, in the reader's language)."""
    if job.kind == "print" and job.status == "succeeded":
        return "output"
    if job.kind == "import" and job.status == "failed" and job.result and "errors" in job.result:
        return "errors"
    return None


def accepted(job: Job) -> Response:
    """202 Accepted with the job and where to watch it (a response of its own: the operation's 200 schema,
    e.g. the approval's certificates, does not describe it)."""
    answer = job_answer(job)
    response = jsonify(JobSchema().dump(answer))
    response.status_code = 202
    response.headers.update({"Location": answer["links"]["self"], "Retry-After": "2"})
    return response


@blp.route("/jobs/<int:job_id>", endpoint="Job")
class JobResource(MethodView):
    @blp.response(200, JobSchema, example=JOB_EXAMPLE)
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    def get(self, job_id: int) -> Any:
        """A job's state and progress. Poll it (every few seconds) until `status` is succeeded or failed."""
        return job_answer(job_service.get_job(get_session(), job_id, actor=current_actor()))


@blp.route("/jobs/<int:job_id>/retry", endpoint="JobRetry")
class JobRetry(MethodView):
    @blp.response(202, JobSchema, example=JOB_EXAMPLE | {"status": "queued", "attempts": 1},
                  description="The job, queued again")
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(403, schema=ErrorSchema, description="Not staff of the job's body, or a read-only token")
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.alt_response(409, schema=ErrorSchema, description="The job is queued, running or has succeeded")
    def post(self, job_id: int) -> Any:
        """Send a failed or interrupted job again. Its work is all or nothing, so it starts from the beginning;
        the workers also send interrupted jobs again by themselves (up to three runs)."""
        actor = current_actor(write=True)
        session = get_session()
        job = job_service.get_job(session, job_id, actor=actor)
        view = jobs.view(current_app, job)
        job = job_service.send_again(session, job_id, actor=actor, interrupted=view.state == "interrupted",
                                     now=datetime.now(UTC))
        jobs.send(current_app, job)
        return accepted(job_service.reload(session, job_id))


@blp.route("/jobs/<int:job_id>/file", endpoint="JobFile")
class JobFileResource(MethodView):
    @blp.response(200, content_type="application/pdf", description="The file the job made: a print job's bundle "
                  "(PDF), or a refused import's error report (XLSX)")
    @blp.alt_response(401, schema=ErrorSchema, description=_UNAUTHENTICATED)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND + ", or it made no file (yet)")
    def get(self, job_id: int) -> Any:
        """The print bundle a finished print job rendered, or the row errors of a refused import as XLSX."""
        session = get_session()
        job = job_service.get_job(session, job_id, actor=current_actor())
        report = jobs.error_report(job, reader_language())
        if report is not None:
            content, filename, media_type = *report, XLSX
        else:
            file = job_service.job_file(session, job, "output")
            content, filename, media_type = file.content, file.filename, file.media_type
        return Response(content, mimetype=media_type, headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})
