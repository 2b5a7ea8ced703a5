"""Each body's Ed25519 credential key: it signs the body's Open Badges credentials and their status lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from registry.models._types import UTCDateTime


class CredentialKey(SQLModel, table=True):
    """One Ed25519 key pair of a body, named in credentials by its did:key. Never deleted: a retired key stops
    signing credentials but keeps signing the status lists of what it signed, and its did:key keeps verifying."""

    __tablename__ = "credential_keys"
    __table_args__ = (
        # At most one key in use per body.
        Index("uq_credential_keys_active_body", "body_id", unique=True,
              sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(max_length=16, unique=True)  # first 16 hex of SHA-256 of the raw public key
    body_id: int = Field(foreign_key="bodies.id", index=True)
    public_key_multibase: str = Field(max_length=64)  # z6Mk…: the did:key is "did:key:" + this
    # AES-256-GCM under a key derived from the master key, as signing_keys; the associated data names the row.
    encrypted_private_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    master_key_fingerprint: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    retired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
