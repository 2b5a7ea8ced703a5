"""Published standard versions, synced from standards/data and immutable once stored."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.models._types import JSONType, UTCDateTime


class PublishedStandard(SQLModel, table=True):
    __tablename__ = "standard_versions"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=10, index=True)
    version: int
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=200)
    title: str = Field(max_length=200)
    effective_from: date
    content: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    content_hash: str = Field(max_length=64)
    source: str = Field(max_length=200)
    synced_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
