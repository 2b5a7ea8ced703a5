"""Issued certificates, their serial counters and revocations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.models._types import JSONType, UTCDateTime

CERTIFICATE_STATUSES = ("valid", "revoked", "superseded")


class SerialCounter(SQLModel, table=True):
    """The last serial used for one number prefix, year and level: locked while a batch is issued."""

    __tablename__ = "certificate_serials"

    prefix: str = Field(max_length=13, primary_key=True)
    year: int = Field(primary_key=True)
    level: int = Field(primary_key=True)
    last_serial: int = 0


class Certificate(SQLModel, table=True):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("prefix", "year", "level", "serial"),
        CheckConstraint("status IN ('valid', 'revoked', 'superseded')", name="status"),
        Index("ix_certificates_id_number_name", "id_number", "holder_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=22, unique=True)
    prefix: str = Field(max_length=13)
    year: int
    level: int
    serial: int
    body_id: int = Field(foreign_key="bodies.id", index=True)
    batch_id: int = Field(foreign_key="batches.id", index=True)
    candidate_id: int = Field(foreign_key="candidates.id", index=True)
    holder_name: str = Field(max_length=64)
    id_type: str = Field(max_length=20)
    id_number: str = Field(max_length=32)
    occupation_code: str = Field(max_length=10)
    issued_on: date
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Every printed field, frozen at issuance, and the issuing body's signature over its canonical bytes.
    record: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=100)
    # The body's signature over the QR payload (docs/verification-format.md), base64url of raw r||s.
    qr_signature: str = Field(max_length=100)
    status: str = Field(default="valid", max_length=10)
    supersedes_id: int | None = Field(default=None, foreign_key="certificates.id", unique=True)


REVOCATION_REASONS: dict[str, tuple[str, str]] = {
    "fraud": ("弄虚作假取得", "Obtained by fraud or false documents"),
    "assessment-irregularity": ("考核违规", "Irregularity in the assessment"),
    "issued-in-error": ("误发", "Issued in error"),
    "body-withdrawn": ("评价机构被撤销备案", "Issuing body's filing withdrawn"),
    "holder-request": ("持证人申请注销", "Cancelled at the holder's request"),
    "other": ("其他", "Other"),
}


class Revocation(SQLModel, table=True):
    __tablename__ = "revocations"

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificates.id", unique=True)
    reason: str = Field(max_length=40)
    note: str = Field(default="", max_length=1000)
    revoked_by: int | None = Field(default=None, foreign_key="users.id")
    revoked_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
