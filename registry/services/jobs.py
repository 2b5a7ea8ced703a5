"""Background jobs as records: opened by staff, claimed and closed by a worker, sent again when one was lost.

The queue carries only a job's id. Whether a job may run, as whom and on what, is decided here against the
database, so a job delivered twice, or sent again after its worker was killed, does the same thing once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from registry.errors import Conflict, DomainError, Forbidden, NotFound
from registry.models import Batch, Candidate, Job, JobFile, User
from registry.services.actors import Actor, require_body_role
from registry.services.audit import record_event
from registry.services.batches import ENTRY_ROLES, get_batch, require_editable, require_second_person

OPEN_STATES = ("queued", "running")


def open_job(
    session: Session, *, kind: str, batch: Batch, actor: Actor, total: int, now: datetime,
    params: dict[str, Any] | None = None, files: list[JobFile] | None = None,
) -> tuple[Job, bool]:
    """A new queued job on the batch, or the one of this kind already open (second click, retried request).

    Returns the job and whether it is new (only a new job is sent to the queue by the caller). Committed.
    """
    existing = open_job_of(session, batch_id=_id(batch), kind=kind)
    if existing is not None:
        return existing, False
    assert actor.user_id is not None  # noqa: S101  (only staff accounts open jobs)
    job = Job(kind=kind, body_id=batch.body_id, batch_id=_id(batch), created_by=actor.user_id,
              params=params or {}, total=total, created_at=now)
    session.add(job)
    try:
        session.flush()
        for file in files or ():
            file.job_id = _id(job)
            session.add(file)
        record_event(session, actor=actor, action="job.queued", object_type="batch", object_id=batch.id, now=now,
                     before=None, after={"job": job.id, "kind": kind, "total": total})
        session.commit()
    except IntegrityError:  # another request opened the same job first: join it
        session.rollback()
        existing = open_job_of(session, batch_id=_id(batch), kind=kind)
        if existing is None:
            raise
        return existing, False
    return job, True


def queue_issuance(session: Session, *, batch_id: int, actor: Actor, now: datetime) -> tuple[Job, bool]:
    """Approve a large batch in the background: the approver's right to approve is checked now, so a refusal
    comes at once; the worker checks everything again (suspension, scope) when it issues."""
    batch = get_batch(session, batch_id)
    require_second_person(batch, actor)
    return open_job(session, kind="issue", batch=batch, actor=actor, total=passed_count(session, batch_id), now=now)


def queue_import(session: Session, *, batch_id: int, actor: Actor, filename: str, content: bytes, lang: str,
                 now: datetime, kind: str = "import") -> tuple[Job, bool]:
    """Import a large file in the background (`kind` import: a spreadsheet; photos: a ZIP of photos): who may
    import into the batch is checked now; the file waits with the job (in the database, for a worker on any
    machine) and is checked whole when the job runs."""
    batch = get_batch(session, batch_id)
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)
    require_editable(batch)
    upload = JobFile(job_id=0, role="input", filename=filename[:200], media_type="application/octet-stream",
                     content=content)  # job_id set once the job has one
    job, new = open_job(session, kind=kind, batch=batch, actor=actor, total=0, now=now, params={"lang": lang},
                        files=[upload])
    if not new:  # another file is being imported into this batch: this one would be checked against stale rows
        raise Conflict("import-in-progress", f"此批次正在导入另一个文件（任务 {job.id}），请等其完成后再上传。",
                       f"Another file is being imported into this batch (job {job.id}); upload this one when it "
                       "has finished.", field="file")
    return job, new


def queue_print(session: Session, *, batch_id: int, actor: Actor, pages: int, now: datetime) -> tuple[Job, bool]:
    """Render a large batch's print bundle in the background (the caller has checked the actor may print)."""
    return open_job(session, kind="print", batch=get_batch(session, batch_id), actor=actor, total=pages, now=now)


def open_job_of(session: Session, *, batch_id: int, kind: str) -> Job | None:
    return session.exec(
        select(Job).where(Job.batch_id == batch_id, Job.kind == kind, col(Job.status).in_(OPEN_STATES))
    ).first()


def latest_jobs(session: Session, *, batch_id: int) -> list[Job]:
    """The batch's jobs, newest first (the console shows the open ones and the last outcome of each kind)."""
    return list(session.exec(select(Job).where(Job.batch_id == batch_id).order_by(col(Job.id).desc()).limit(20)))


def get_job(session: Session, job_id: int, *, actor: Actor) -> Job:
    """The job for its body's staff and the regulator; anyone else is told it does not exist."""
    job = session.get(Job, job_id)
    if job is None or not (actor.role in ("regulator", "system") or actor.body_id == job.body_id):
        raise NotFound("job-not-found", f"未找到任务 {job_id}。", f"No job {job_id}.", field="job_id")
    return job


def reload(session: Session, job_id: int) -> Job:
    """The job as it is now (after a worker, perhaps this very process in immediate mode, changed it)."""
    job = session.get(Job, job_id, populate_existing=True)
    assert job is not None  # noqa: S101  (jobs are never deleted)
    return job


def job_file(session: Session, job: Job, role: str) -> JobFile:
    file = session.get(JobFile, (job.id, role))
    if file is None:
        raise NotFound("job-file-not-found", "此任务没有可下载的文件。", "This job has no file to download.",
                       field="job_id")
    return file


def claim(session: Session, job_id: int, *, now: datetime) -> Job | None:
    """Mark the queued job running for this worker, or None when another worker has it or it has ended
    (a duplicate delivery)."""
    job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.status != "queued":
        session.rollback()
        return None
    job.status, job.started_at, job.finished_at, job.error = "running", now, None, None
    job.attempts += 1
    session.commit()
    return job


def worker_actor(session: Session, job: Job) -> Actor:
    """The account that asked for the job, as it is now: a deactivated account's jobs do not run."""
    user = session.get(User, job.created_by)
    if user is None or not user.active:
        raise Forbidden("account-inactive", "提交此任务的账号已停用。", "The account that asked for this job is no "
                        "longer active.")
    return Actor.of(user)


def finish(session: Session, job_id: int, *, result: dict[str, Any], done: int, now: datetime,
           files: list[JobFile] | None = None) -> None:
    job = _locked(session, job_id)
    job.status, job.result, job.done, job.finished_at = "succeeded", result, done, now
    job.total = max(job.total, done)  # an import's rows are known only once its file has been read
    for file in files or ():
        file.job_id = job_id
        session.merge(file)
    session.commit()


def fail(session: Session, job_id: int, *, error: DomainError, now: datetime, result: dict[str, Any] | None = None,
         files: list[JobFile] | None = None) -> None:
    """The job ended on a refusal: the work it was doing was rolled back, the reason is kept for the reader,
    with what explains it (an import's bad rows, its error report)."""
    job = _locked(session, job_id)
    job.status, job.finished_at, job.done, job.result = "failed", now, 0, result
    job.error = {"reason": error.reason, "zh": error.message_zh, "en": error.message_en, "field": error.field}
    for file in files or ():
        file.job_id = job_id
        session.merge(file)
    session.commit()


def send_again(session: Session, job_id: int, *, actor: Actor, interrupted: bool, now: datetime) -> Job:
    """Queue a failed job, or one whose worker stopped (`interrupted`, judged by the queue's heartbeat), again.

    The work is all or nothing, so what a lost worker left behind was rolled back and running it again
    finishes it; a job whose batch was since issued another way simply finds it done.
    """
    job = get_job(session, job_id, actor=actor)
    require_body_role(actor, job.body_id, "body_admin", "assessor", "supervisor")
    if job.status == "succeeded" or (job.status == "running" and not interrupted) or job.status == "queued":
        session.rollback()
        raise Conflict("job-not-retryable", "此任务正在进行或已完成，无需重试。",
                       "This job is running or has finished; there is nothing to retry.", field="job_id")
    locked = _locked(session, job_id)
    locked.status, locked.error = "queued", None
    record_event(session, actor=actor, action="job.retried", object_type="batch", object_id=locked.batch_id,
                 now=now, before={"job": job_id, "status": job.status}, after={"job": job_id, "status": "queued"})
    try:
        session.commit()
    except IntegrityError as err:  # an open job of the same kind on the batch exists: that one is the retry
        session.rollback()
        raise Conflict("job-not-retryable", "此批次已有同类任务正在进行。",
                       "The batch already has a job of this kind in progress.", field="job_id") from err
    return locked


def requeue_if_running(session: Session, job_id: int) -> bool:
    """Put a running job whose worker went silent back in the queued state; False if another worker or
    person did it first (so only one of them sends it again)."""
    result = session.execute(
        update(Job).where(col(Job.id) == job_id, col(Job.status) == "running").values(status="queued")
    )
    changed = getattr(result, "rowcount", 0)
    session.commit()
    return changed == 1


def passed_count(session: Session, batch_id: int) -> int:
    return int(session.exec(
        select(func.count()).select_from(Candidate).where(Candidate.batch_id == batch_id,
                                                          col(Candidate.passed).is_(True))
    ).one())


def _locked(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
    assert job is not None  # noqa: S101  (claimed before)
    return job


def _id(obj: Batch | Job) -> int:
    assert obj.id is not None  # noqa: S101  (persisted)
    return obj.id
