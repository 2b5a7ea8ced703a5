"""Candidates' photos, as printed on their certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from registry.models._types import UTCDateTime


class CandidatePhoto(SQLModel, table=True):
    """A candidate's photo, kept only as prepared for print (RGB JPEG, 295 x 413 pixels, no metadata): the
    uploaded file, with whatever EXIF or GPS it carried, is never stored. One per candidate; a re-upload
    replaces it, and it goes with a candidate removed from a batch."""

    __tablename__ = "candidate_photos"

    candidate_id: int = Field(foreign_key="candidates.id", primary_key=True, ondelete="CASCADE")
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
