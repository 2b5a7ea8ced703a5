"""Long work done by the task queue's workers: what was asked, by whom, how it ended, and its files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from registry.models._types import JSONType, UTCDateTime

JOB_KINDS = ("issue", "print", "import", "photos")
JOB_STATES = ("queued", "running", "succeeded", "failed")


class Job(SQLModel, table=True):
    """One piece of long work on a batch. The queue only carries the job's id: everything a worker needs is
    here, so a job lost with a killed worker can be sent again and runs the same way."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("kind IN ('issue', 'print', 'import', 'photos')", name="kind"),
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status"),
        # One unfinished job of a kind per batch: a second approval click joins the first job.
        Index("uq_jobs_open_per_batch", "batch_id", "kind", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    status: str = Field(default="queued", max_length=10)
    body_id: int = Field(foreign_key="bodies.id", index=True)
    batch_id: int = Field(foreign_key="batches.id", index=True)
    created_by: int = Field(foreign_key="users.id")  # the worker acts as this account, checked again when it runs
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    attempts: int = 0
    total: int = 0  # items to do (candidates, pages, rows), known when the job is created
    done: int = 0  # items done when the job ended; live progress while it runs is kept by the queue
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    error: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))  # reason, zh, en, field
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class JobFile(SQLModel, table=True):
    """A job's input or output file (an uploaded spreadsheet, a print bundle, an error report), kept in the
    database so that workers on other machines need no shared disk."""

    __tablename__ = "job_files"

    job_id: int = Field(foreign_key="jobs.id", primary_key=True)
    role: str = Field(max_length=10, primary_key=True)  # input (an upload), output (a print bundle)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
