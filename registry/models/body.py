"""Evaluation bodies (评价机构) and their filed scope."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.models._types import JSONType, UTCDateTime

BODY_KINDS = ("Y", "S")
BODY_STATUSES = ("active", "suspended", "withdrawn")


class Body(SQLModel, table=True):
    __tablename__ = "bodies"
    __table_args__ = (
        UniqueConstraint("kind", "body_code", "province", "site_code"),
        CheckConstraint("kind IN ('Y', 'S')", name="kind"),
        CheckConstraint("status IN ('active', 'suspended', 'withdrawn')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=1)
    credit_code: str = Field(max_length=18, unique=True)
    province: str = Field(max_length=2)
    body_code: str = Field(max_length=4)
    site_code: str = Field(max_length=6)
    contact_name: str = Field(max_length=100)
    contact_phone: str = Field(max_length=40)
    status: str = Field(default="active", max_length=10)
    status_reason: str = Field(default="", max_length=500)
    filed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status_changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def number_prefix(self) -> str:
        """The first 13 characters of every certificate number this body issues."""
        return f"{self.kind}{self.body_code}{self.province}{self.site_code}"


class ScopeEntry(SQLModel, table=True):
    """One line of a body's filed scope: an occupation (and 工种), some levels, for a period."""

    __tablename__ = "body_scopes"

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="bodies.id", index=True)
    occupation_code: str = Field(max_length=10)
    work_type: str | None = Field(default=None, max_length=100)
    levels: list[int] = Field(sa_column=Column(JSONType, nullable=False))
    valid_from: date
    valid_to: date
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    def covers(self, occupation_code: str, work_type: str | None, level: int, on: date) -> bool:
        """True if this entry allows assessing that occupation/工种/level on that day."""
        if self.withdrawn_at is not None or self.occupation_code != occupation_code:
            return False
        if self.work_type is not None and self.work_type != work_type:
            return False
        return level in self.levels and self.valid_from <= on <= self.valid_to
