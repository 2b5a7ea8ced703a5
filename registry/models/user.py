"""Staff accounts: the regulator's and the bodies'."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field, SQLModel

from registry.models._types import UTCDateTime

ROLES = ("regulator", "body_admin", "assessor", "supervisor")


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('regulator', 'body_admin', 'assessor', 'supervisor')", name="role"),
        CheckConstraint("(role = 'regulator') = (body_id IS NULL)", name="role_body"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    body_id: int | None = Field(default=None, foreign_key="bodies.id", index=True)
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
