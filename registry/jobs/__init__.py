"""Background jobs: the queue, the worker's part, and how a job looks to the people waiting for it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlmodel import Session, col, select

from registry.jobs.queue import JobQueue, LiveProgress
from registry.jobs.runner import run_job
from registry.models import Job
from registry.services import jobs
from registry.services.sheets import CellError
from registry.services.spreadsheet_import import errors_xlsx

__all__ = ["JobQueue", "JobView", "error_report", "init_app", "job_queue", "recover_interrupted", "send", "view"]

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.extensions["registry.jobs"] = JobQueue(
        app.config["JOBS_URL"], lambda job_id: run_job(app, job_id), stale_after=app.config["JOBS_STALE_SECONDS"]
    )


def job_queue(app: Flask) -> JobQueue:
    queue: JobQueue = app.extensions["registry.jobs"]
    return queue


def send(app: Flask, job: Job) -> None:
    assert job.id is not None  # noqa: S101  (committed)
    job_queue(app).send(job.id)


@dataclass(frozen=True)
class JobView:
    """A job as the console and the API show it: `interrupted` is a running job whose worker went silent."""

    job: Job
    state: str  # queued, running, interrupted, succeeded, failed
    done: int
    total: int

    @property
    def percent(self) -> int:
        if self.state == "succeeded":
            return 100
        return 0 if self.total <= 0 else min(100, self.done * 100 // self.total)

    @property
    def open(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def retryable(self) -> bool:
        return self.state in ("failed", "interrupted")

    def result(self, lang: str) -> dict[str, Any] | None:
        """The job's result for a reader: a refused file's errors (kept in both languages) in theirs."""
        result = self.job.result
        if not result or "errors" not in result:
            return result
        en = lang.startswith("en")
        return result | {"errors": [_localised(error, en) for error in result["errors"]]}

    def as_dict(self, lang: str) -> dict[str, Any]:
        job = self.job
        error = None
        if job.error:
            error = {"reason": job.error["reason"], "message": job.error["en" if lang == "en" else "zh"],
                     "field": job.error.get("field")}
        return {"id": job.id, "kind": job.kind, "status": self.state, "batch_id": job.batch_id,
                "progress": {"done": self.done, "total": self.total, "percent": self.percent},
                "attempts": job.attempts, "result": self.result(lang), "error": error, "created_at": job.created_at,
                "started_at": job.started_at, "finished_at": job.finished_at}


def _localised(error: dict[str, Any], en: bool) -> dict[str, Any]:
    """One refused cell (row, column) or file, with its column name and message in one language."""
    shown = {k: v for k, v in error.items() if not k.endswith(("_zh", "_en"))}
    shown["message"] = error["message_en" if en else "message_zh"]
    if "column_zh" in error:
        shown["column_name"] = error["column_en" if en else "column_zh"]
    return shown


def error_report(job: Job, lang: str) -> tuple[bytes, str] | None:
    """A refused import's bad cells as an XLSX report in the reader's language (formula-safe), and its file name;
    None for any other job."""
    result = job.result or {}
    if job.kind != "import" or job.status != "failed" or "errors" not in result:
        return None
    cells = [CellError(line=e["row"], column=e["column"], column_zh=e["column_zh"], column_en=e["column_en"],
                       message_zh=e["message_zh"], message_en=e["message_en"]) for e in result["errors"]]
    return errors_xlsx(cells, lang, int(result.get("omitted", 0))), f"batch-{job.batch_id}-errors.xlsx"


def view(app: Flask, job: Job) -> JobView:
    queue = job_queue(app)
    if job.status != "running":
        done = job.done if job.status in ("succeeded", "failed") else 0
        return JobView(job, job.status, done, job.total)
    assert job.id is not None  # noqa: S101
    live: LiveProgress | None = queue.progress(job.id)
    started = job.started_at.timestamp() if job.started_at else None
    state = "interrupted" if queue.is_stale(job.id, started_at=started) else "running"
    return JobView(job, state, live.done if live else 0, live.total if live else job.total)


def recover_interrupted(app: Flask, session: Session, *, max_attempts: int = 3) -> list[int]:
    """Send again every running job whose worker went silent, up to `max_attempts` runs in all (the rest stay
    interrupted for a person to retry), and every queued job whose message the queue no longer holds (a Redis
    restarted without persistence, a queue file deleted). Run by the workers every minute. A job sent twice
    runs once: a worker claims only a queued job."""
    queue = job_queue(app)
    sent: list[int] = []
    running = list(session.exec(select(Job).where(col(Job.status) == "running")))
    queued = list(session.exec(select(Job.id).where(col(Job.status) == "queued")))
    session.rollback()
    for job in running:
        assert job.id is not None  # noqa: S101
        started = job.started_at.timestamp() if job.started_at else None
        if job.attempts >= max_attempts or not queue.is_stale(job.id, started_at=started):
            continue
        if not jobs.requeue_if_running(session, job.id):
            continue
        log.warning("job %s was interrupted (attempt %s); sending it again", job.id, job.attempts)
        queue.send(job.id)
        sent.append(job.id)
    if queued and not queue.immediate:
        waiting = queue.waiting()
        for job_id in queued:
            if job_id is not None and job_id not in waiting and job_id not in sent:
                log.warning("job %s was queued but its message is not on the queue; sending it again", job_id)
                queue.send(job_id)
                sent.append(job_id)
    return sent


def now() -> datetime:
    return datetime.now(UTC)
