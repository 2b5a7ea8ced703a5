"""What a worker does with a job id: claim the job, do its work as the account that asked, record the end.

Each kind of work is one transaction in the services (issuance, the print bundle, an import), so a worker
killed midway leaves nothing half-done, and the job sent again does the whole work once.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlmodel import Session

from registry.db import session_scope
from registry.errors import DomainError
from registry.models import Job, JobFile
from registry.runtime import document_settings, import_limits, photo_limits, vault_for
from registry.services import jobs
from registry.services.actors import Actor
from registry.services.issuance import approve_batch
from registry.services.photo_import import PhotosRejected, import_photos
from registry.services.printing import print_bundle
from registry.services.sheets import PastedRowsRejected
from registry.services.spreadsheet_import import estimated_rows, import_spreadsheet

log = logging.getLogger(__name__)

Report = Callable[[int, int], None]


@dataclass
class Outcome:
    """How a job's work ended: what it did, and its files; or `refused`, with whatever explains the refusal."""

    result: dict[str, Any]
    done: int
    files: list[JobFile] = field(default_factory=list)
    refused: DomainError | None = None


Handler = Callable[[Flask, Session, Job, Actor, Report], Outcome]


def run_job(app: Flask, job_id: int) -> None:
    """Run one job to its end. Refusals (the body was suspended meanwhile, a name cannot print, a bad row)
    end the job as failed with the reason; anything else is logged, fails the job and is raised for the
    queue to see."""
    queue = app.extensions["registry.jobs"]
    with app.app_context(), session_scope(app.extensions["registry.sessions"]) as session:
        job = jobs.claim(session, job_id, now=_now())
        if job is None:
            return
        handler = HANDLERS[job.kind]
        with queue.heartbeat(job_id, job.total) as report:
            try:
                actor = jobs.worker_actor(session, job)
                outcome = handler(app, session, job, actor, report)
            except DomainError as err:
                session.rollback()
                outcome = Outcome({}, 0, refused=err)
            except Exception:
                session.rollback()
                log.exception("job %s (%s) failed", job_id, job.kind)
                jobs.fail(session, job_id, error=DomainError(
                    "internal-error", "任务因内部错误中止。", "The job stopped on an internal error."), now=_now())
                raise
        if outcome.refused is not None:
            jobs.fail(session, job_id, error=outcome.refused, result=outcome.result or None, files=outcome.files,
                      now=_now())
        else:
            jobs.finish(session, job_id, result=outcome.result, done=outcome.done, files=outcome.files, now=_now())


def _issue(app: Flask, session: Session, job: Job, actor: Actor, report: Report) -> Outcome:
    issued = approve_batch(session, batch_id=job.batch_id, approved_by=actor, vault=vault_for(app), now=_now(),
                           progress=report)
    return Outcome({"certificates": len(issued)}, len(issued))


def _print(app: Flask, session: Session, job: Job, actor: Actor, report: Report) -> Outcome:
    pdf = print_bundle(session, batch_id=job.batch_id, actor=actor, settings=document_settings(app),
                       progress=report)
    file = JobFile(job_id=job.id or 0, role="output", filename=f"batch-{job.batch_id}-certificates.pdf",
                   media_type="application/pdf", content=pdf)
    return Outcome({"pages": job.total, "bytes": len(pdf)}, job.total, [file])


def _import(app: Flask, session: Session, job: Job, actor: Actor, report: Report) -> Outcome:
    """The uploaded file, checked and imported whole; a refused file's bad cells are kept with the job in both
    languages (each reader sees them, and their XLSX report, in theirs)."""
    upload = jobs.job_file(session, job, "input")
    total = estimated_rows(upload.filename, upload.content)
    report(0, total)
    try:
        result = import_spreadsheet(session, batch_id=job.batch_id, filename=upload.filename,
                                    stream=io.BytesIO(upload.content), actor=actor, now=_now(),
                                    limits=import_limits(app), progress=lambda rows: report(rows, max(total, rows)))
    except PastedRowsRejected as refused:
        session.rollback()
        errors = [{"row": e.line, "column": e.column, "column_zh": e.column_zh, "column_en": e.column_en,
                   "message_zh": e.message_zh, "message_en": e.message_en} for e in refused.errors]
        return Outcome({"errors": errors, "omitted": refused.omitted}, 0, refused=refused)
    return Outcome({"added": result.added, "passed": result.passed}, result.added)


def _photos(app: Flask, session: Session, job: Job, actor: Actor, report: Report) -> Outcome:
    """The uploaded ZIP of photos, every one stored or none; refused files are kept with the job by name."""
    upload = jobs.job_file(session, job, "input")
    try:
        result = import_photos(session, batch_id=job.batch_id, actor=actor, data=upload.content, now=_now(),
                               limits=photo_limits(app))
    except PhotosRejected as refused:
        session.rollback()
        errors = [{"file": e.name, "reason": e.reason, "message_zh": e.message_zh, "message_en": e.message_en}
                  for e in refused.errors]
        return Outcome({"errors": errors, "omitted": refused.omitted}, 0, refused=refused)
    stored = result.stored
    return Outcome({"stored": stored, "replaced": result.replaced, "ignored": result.ignored}, stored)


HANDLERS: dict[str, Handler] = {"issue": _issue, "print": _print, "import": _import, "photos": _photos}


def _now() -> datetime:
    return datetime.now(UTC)
