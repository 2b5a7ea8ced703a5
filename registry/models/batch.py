"""Assessment batches (one standard version, level, date and place) and their candidates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.models._types import JSONType, UTCDateTime

BATCH_STATUSES = ("draft", "submitted", "returned", "issued")


class Batch(SQLModel, table=True):
    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted', 'returned', 'issued')", name="status"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="bodies.id", index=True)
    standard_id: int = Field(foreign_key="standard_versions.id")
    level: int
    work_type: str | None = Field(default=None, max_length=100)
    assessed_on: date
    place: str = Field(max_length=200)
    status: str = Field(default="draft", max_length=10)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    submitted_by: int | None = Field(default=None, foreign_key="users.id")
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    return_reason: str = Field(default="", max_length=500)


class Candidate(SQLModel, table=True):
    """A person assessed in a batch, with one score per component of the level."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("batch_id", "id_type", "id_number"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batches.id", index=True)
    name: str = Field(max_length=64)
    id_type: str = Field(max_length=20)
    id_number: str = Field(max_length=32, index=True)
    scores: dict[str, int] = Field(sa_column=Column(JSONType, nullable=False))
    # The outcome computed from the (immutable) standard when the scores were recorded.
    passed: bool
