"""What the regulator reads about bodies and revocations: searches, a body's file, keys and certificate counts.

Read-only; the changes themselves go through bodies, keys and revocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from certificates import fold_id
from registry.models import Body, Certificate, CredentialKey, Revocation, SigningKey, User
from registry.services.bodies import ScopeLine, public_scope, scope_of

PAGE_SIZE = 50
BODY_STATUSES = ("active", "suspended", "withdrawn")


@dataclass(frozen=True)
class BodyListing:
    bodies: list[Body]
    certificates: dict[int, int]  # body id -> certificates issued (all statuses)
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def find_bodies(
    session: Session, *, query: str = "", status: str = "", page: int = 1, per_page: int = PAGE_SIZE
) -> BodyListing:
    """Bodies whose name, credit code or number prefix contains `query`, of one status if given, by filing."""
    text = " ".join(query.split())
    conditions = []
    if text:
        folded = fold_id(text)
        prefix = col(Body.kind) + col(Body.body_code) + col(Body.province) + col(Body.site_code)
        conditions.append(or_(col(Body.name).icontains(text, autoescape=True),
                              col(Body.credit_code).contains(folded, autoescape=True),
                              prefix.contains(folded, autoescape=True)))
    if status in BODY_STATUSES:
        conditions.append(col(Body.status) == status)
    total = session.exec(select(func.count()).select_from(Body).where(*conditions)).one()
    page = max(page, 1)
    bodies = list(session.exec(select(Body).where(*conditions).order_by(col(Body.id))
                               .offset((page - 1) * per_page).limit(per_page)))
    ids = [body.id for body in bodies]
    counts = dict(session.exec(
        select(Certificate.body_id, func.count()).where(col(Certificate.body_id).in_(ids))
        .group_by(col(Certificate.body_id))
    ).all()) if ids else {}
    return BodyListing(bodies, counts, total, page, per_page)


def certificate_counts(session: Session, body_id: int) -> dict[str, int]:
    """A body's certificates by status (valid, revoked, superseded), zero when none."""
    rows = dict(session.exec(
        select(Certificate.status, func.count()).where(Certificate.body_id == body_id)
        .group_by(col(Certificate.status))
    ).all())
    return {status: rows.get(status, 0) for status in ("valid", "revoked", "superseded")}


@dataclass(frozen=True)
class ScopeRow:
    """A filed scope line as the public sees it, with the id the regulator withdraws it by."""

    scope_id: int
    line: ScopeLine


def scope_rows(session: Session, body_id: int, *, today: date) -> list[ScopeRow]:
    entries = scope_of(session, body_id)
    lines = public_scope(session, body_id, today=today)  # same entries, same order (by id)
    return [ScopeRow(int(entry.id or 0), line) for entry, line in zip(entries, lines, strict=True)]


@dataclass(frozen=True)
class KeyInfo:
    """A body key's public facts; the encrypted private half never leaves the keys service."""

    key_id: str
    created_at: datetime
    not_after: datetime
    retired_at: datetime | None


@dataclass(frozen=True)
class CredentialKeyInfo:
    """A body's Open Badges credential key: its did:key (the public key itself), when made and retired."""

    did: str
    created_at: datetime
    retired_at: datetime | None


def credential_keys_of(session: Session, body_id: int) -> list[CredentialKeyInfo]:
    """A body's credential keys, the one in use first, then retired ones newest first."""
    rows = session.exec(
        select(CredentialKey.public_key_multibase, CredentialKey.created_at, CredentialKey.retired_at)
        .where(CredentialKey.body_id == body_id).order_by(col(CredentialKey.id).desc())
    ).all()
    keys = [CredentialKeyInfo("did:key:" + multibase, created, retired) for multibase, created, retired in rows]
    return sorted(keys, key=lambda k: k.retired_at is not None)


def keys_of(session: Session, body_id: int) -> list[KeyInfo]:
    """A body's signing keys, the one in use first, then retired ones newest first."""
    rows = session.exec(
        select(SigningKey.key_id, SigningKey.created_at, SigningKey.not_after, SigningKey.retired_at)
        .where(SigningKey.body_id == body_id).order_by(col(SigningKey.id).desc())
    ).all()
    keys = [KeyInfo(*row) for row in rows]
    return sorted(keys, key=lambda k: k.retired_at is not None)


@dataclass(frozen=True)
class RevocationRow:
    number: str
    holder_name: str
    occupation_code: str
    level: int
    body_name: str
    reason: str  # a key of REVOCATION_REASONS
    note: str
    revoked_at: datetime
    revoked_by: str  # the staff account's username, or "" for the system


@dataclass(frozen=True)
class RevocationListing:
    revocations: list[RevocationRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def find_revocations(
    session: Session, *, number: str = "", body_id: int | None = None, page: int = 1, per_page: int = PAGE_SIZE
) -> RevocationListing:
    """Revoked certificates, newest revocation first; `number` matches part of the certificate number."""
    conditions = []
    text = fold_id(number)
    if text:
        conditions.append(col(Certificate.number).contains(text, autoescape=True))
    if body_id is not None:
        conditions.append(col(Certificate.body_id) == body_id)
    counted = (select(func.count()).select_from(Revocation)
               .join(Certificate, col(Certificate.id) == Revocation.certificate_id).where(*conditions))
    total = session.exec(counted).one()
    page = max(page, 1)
    query = (
        select_columns(col(Certificate.number), col(Certificate.holder_name), col(Certificate.occupation_code),
                       col(Certificate.level), col(Body.name), col(Revocation.reason), col(Revocation.note),
                       col(Revocation.revoked_at), col(User.username))
        .select_from(Revocation)
        .join(Certificate, col(Certificate.id) == Revocation.certificate_id)
        .join(Body, col(Body.id) == Certificate.body_id)
        .outerjoin(User, col(User.id) == Revocation.revoked_by)
        .where(*conditions)
        .order_by(col(Revocation.revoked_at).desc(), col(Revocation.id).desc())
        .offset((page - 1) * per_page).limit(per_page)
    )
    rows = [RevocationRow(number, holder, code, level, body, reason, note, at, by or "")
            for number, holder, code, level, body, reason, note, at, by in session.execute(query)]
    return RevocationListing(rows, total, page, per_page)
