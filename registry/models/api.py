"""What the JSON API keeps: API tokens (hashed) and the answers to idempotent requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.models._types import JSONType, UTCDateTime

TOKEN_SCOPES = ("read", "write")


class ApiToken(SQLModel, table=True):
    """A staff account's token for programs. Only a hash of its secret is stored; it acts as that account,
    read-only or read-write, until revoked or expired, and stops with the account."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write')", name="scope"),)

    id: int | None = Field(default=None, primary_key=True)
    token_id: str = Field(max_length=16, unique=True)  # public part, shown in lists and the audit trail
    secret_hash: str = Field(max_length=64)  # SHA-256 (hex) of the secret part: it is 256 random bits
    user_id: int = Field(foreign_key="users.id", index=True)
    body_id: int | None = Field(default=None, foreign_key="bodies.id", index=True)  # None: the regulator's
    name: str = Field(max_length=100)
    scope: str = Field(max_length=5)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_by: str | None = Field(default=None, max_length=100)


class IdempotentRequest(SQLModel, table=True):
    """A creating request made with an Idempotency-Key: its fingerprint, then the answer to replay."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    caller: str = Field(max_length=100)  # whose key space: one token or one account
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)  # SHA-256 of method, path and body
    status_code: int | None = None  # None while the first request is still running
    headers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
