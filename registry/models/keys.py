"""The registry's PKI: its root and every body's signing keys, private halves encrypted by the master key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, Text, text
from sqlmodel import Field, SQLModel

from registry.models._types import UTCDateTime

KEY_ROLES = ("root", "body")


class SigningKey(SQLModel, table=True):
    """One key pair and its X.509 certificate. Never deleted: a retired key keeps verifying what it signed."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        CheckConstraint("role IN ('root', 'body')", name="role"),
        CheckConstraint("(role = 'root') = (body_id IS NULL)", name="root_has_no_body"),
        # At most one key in use per body, and one root.
        Index("uq_signing_keys_active_body", "body_id", unique=True,
              sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),
        Index("uq_signing_keys_one_root", "role", unique=True,
              sqlite_where=text("role = 'root'"), postgresql_where=text("role = 'root'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(max_length=16, unique=True)
    role: str = Field(max_length=4)
    body_id: int | None = Field(default=None, foreign_key="bodies.id", index=True)
    certificate_pem: str = Field(sa_column=Column(Text, nullable=False))
    # AES-256-GCM under a key derived from the master key; the key id is the associated data.
    encrypted_private_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    master_key_fingerprint: str = Field(max_length=16)
    not_before: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    not_after: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    retired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class CertificatePdf(SQLModel, table=True):
    """A rendered and signed PDF: a cache of what the signed record says, kept so a suspended body's
    holders can still download what was signed while it could sign."""

    __tablename__ = "certificate_pdfs"

    certificate_id: int = Field(foreign_key="certificates.id", primary_key=True)
    key_id: str = Field(max_length=16)
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
