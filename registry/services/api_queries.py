"""What the JSON API reads beyond the consoles' queries: objects as the caller may see them (another body's answered
as not found, as the console does), listings with the API's filters, standard versions and statistics tables.

Read-only: every change goes through the shared services, which keep their own role checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import false, func, or_
from sqlmodel import Session, col, select

import standards
from certificates import fold_id, mask_id
from registry.errors import NotFound
from registry.models import REVOCATION_REASONS, Batch, Body, Certificate, PublishedStandard, Revocation, User
from registry.services import oversight, registers, statistics
from registry.services.actors import Actor, require_regulator
from registry.services.bodies import get_body
from registry.services.clock import CHINA
from registry.services.issuance import get_certificate
from registry.services.revocation import successor_of
from registry.services.standards import CatalogueEntry, as_version, catalogue, occupation_versions
from registry.services.verification import is_genuine
from standards.diff import StandardDiff, diff_versions

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int  # matching items on every page
    page: int
    per_page: int


def page_of(items: Sequence[T], *, page: int, per_page: int) -> Page[T]:
    """One page of a list that is small enough to hold whole (a past-the-end page is empty)."""
    start = (page - 1) * per_page
    return Page(list(items[start:start + per_page]), len(items), page, per_page)


def sees_every_body(actor: Actor) -> bool:
    """The regulator reads every body's objects; a body's staff only their own."""
    return actor.role in ("regulator", "system")


# --- Bodies ------------------------------------------------------------------------------------------------------

def visible_body(session: Session, *, body_id: int, actor: Actor) -> Body:
    """The body if the actor may see it; another body's is answered exactly as a body that does not exist."""
    body = get_body(session, body_id)
    if not sees_every_body(actor) and actor.body_id != body.id:
        raise NotFound("body-not-found", "未找到该评价机构。", "No such evaluation body.", field="body_id")
    return body


def find_bodies(
    session: Session, *, actor: Actor, query: str = "", status: str | None = None, province: str | None = None,
    page: int = 1, per_page: int = oversight.PAGE_SIZE,
) -> Page[Body]:
    """Bodies whose name, credit code or number prefix contains `query`, in filing order; a body's staff find only
    their own body."""
    conditions = []
    if not sees_every_body(actor):
        conditions.append(col(Body.id) == actor.body_id if actor.body_id is not None else false())
    text = " ".join(query.split())
    if text:
        folded = fold_id(text)
        prefix = col(Body.kind) + col(Body.body_code) + col(Body.province) + col(Body.site_code)
        conditions.append(or_(col(Body.name).icontains(text, autoescape=True),
                              col(Body.credit_code).contains(folded, autoescape=True),
                              prefix.contains(folded, autoescape=True)))
    if status:
        conditions.append(col(Body.status) == status)
    if province:
        conditions.append(col(Body.province) == province)
    total = session.exec(select(func.count()).select_from(Body).where(*conditions)).one()
    rows = session.exec(select(Body).where(*conditions).order_by(col(Body.id))
                        .offset((page - 1) * per_page).limit(per_page))
    return Page(list(rows), total, page, per_page)


def scope_line(session: Session, *, body_id: int, scope_id: int, today: date) -> oversight.ScopeRow:
    """One line of the body's filed scope with its state on `today`; NotFound if the body has no such line."""
    for row in oversight.scope_rows(session, body_id, today=today):
        if row.scope_id == scope_id:
            return row
    raise NotFound("scope-not-found", "未找到该备案范围。", "No such scope entry.", field="scope_id")


@dataclass(frozen=True)
class BodyKeys:
    current: registers.KeyStatus | None  # the key the body signs with now; None if it has none
    keys: list[oversight.KeyInfo]  # every key, the one in use first, then retired ones newest first
    credential_keys: list[oversight.CredentialKeyInfo]  # the same for its Open Badges credential keys


def body_keys(session: Session, body_id: int, *, now: datetime) -> BodyKeys:
    return BodyKeys(registers.key_status(session, body_id, now=now), oversight.keys_of(session, body_id),
                    oversight.credential_keys_of(session, body_id))


# --- Certificates -------------------------------------------------------------------------------------------------

def visible_certificate(session: Session, *, number: str, actor: Actor) -> Certificate:
    """The certificate if the actor's body issued it or the actor is the regulator; NotFound otherwise."""
    if sees_every_body(actor):
        return get_certificate(session, number)
    return registers.body_certificate(session, number=number, actor=actor)


@dataclass(frozen=True)
class CertificateSearch:
    """What a listing is narrowed by; an empty field does not narrow it."""

    body_id: int | None = None
    status: str = ""
    number: str = ""  # part of the number
    holder_name: str = ""  # part of the name
    id_number: str = ""  # the whole ID number
    issued_from: date | None = None
    issued_to: date | None = None  # inclusive
    batch_id: int | None = None
    standard_code: str = ""  # an occupation code
    standard_version: int | None = None  # with standard_code: that version's certificates only


@dataclass(frozen=True)
class CertificateFacts:
    """A certificate as its record prints it, with its state in the registry."""

    number: str
    status: str
    holder_name: str
    id_type: str
    id_type_label: str
    id_number: str | None  # None for a reader who may see only the masked form
    id_number_masked: str
    occupation_code: str
    occupation_name: str
    work_type: str
    level: int
    level_label: str
    level_label_en: str
    standard: str
    standard_title: str
    body_id: int
    body_name: str
    body_credit_code: str
    batch_id: int
    assessed_on: date
    issued_on: date
    issued_at: datetime
    key_id: str

    @classmethod
    def of(cls, cert: Certificate, actor: Actor) -> CertificateFacts:
        return cls(**_facts(cert, actor))


def _facts(cert: Certificate, actor: Actor) -> dict[str, Any]:
    """The values of CertificateFacts: the record as signed, the full ID number only for its body and the regulator."""
    record = cert.record
    full_id = sees_every_body(actor) or actor.body_id == cert.body_id
    return {
        "number": cert.number, "status": cert.status, "holder_name": record["holder_name"],
        "id_type": record["id_type"], "id_type_label": record["id_type_label"],
        "id_number": record["id_number"] if full_id else None, "id_number_masked": mask_id(record["id_number"]),
        "occupation_code": record["occupation_code"], "occupation_name": record["occupation_name"],
        "work_type": record["work_type"], "level": record["level"], "level_label": record["level_label"],
        "level_label_en": standards.level_label(record["level"], "en"), "standard": record["standard"],
        "standard_title": record["standard_title"], "body_id": cert.body_id, "body_name": record["body_name"],
        "body_credit_code": record["body_credit_code"], "batch_id": cert.batch_id,
        "assessed_on": date.fromisoformat(record["assessed_on"]), "issued_on": cert.issued_on,
        "issued_at": cert.issued_at, "key_id": cert.key_id,
    }


def find_certificates(
    session: Session, search: CertificateSearch, *, actor: Actor, page: int = 1,
    per_page: int = registers.PAGE_SIZE,
) -> Page[CertificateFacts]:
    """Certificates matching `search`, newest first: a body's staff see only their body's, the regulator all."""
    conditions = []
    if not sees_every_body(actor):
        conditions.append(col(Certificate.body_id) == actor.body_id if actor.body_id is not None else false())
    if search.body_id is not None:
        conditions.append(col(Certificate.body_id) == search.body_id)
    if search.status:
        conditions.append(col(Certificate.status) == search.status)
    if search.number.strip():
        conditions.append(col(Certificate.number).contains(fold_id(search.number), autoescape=True))
    name = " ".join(search.holder_name.split())
    if name:
        conditions.append(col(Certificate.holder_name).contains(name, autoescape=True))
    if search.id_number.strip():
        conditions.append(col(Certificate.id_number) == fold_id(search.id_number))
    if search.issued_from is not None:
        conditions.append(col(Certificate.issued_on) >= search.issued_from)
    if search.issued_to is not None:
        conditions.append(col(Certificate.issued_on) <= search.issued_to)
    if search.batch_id is not None:
        conditions.append(col(Certificate.batch_id) == search.batch_id)
    if search.standard_code:
        conditions.append(col(Certificate.occupation_code) == search.standard_code)
        if search.standard_version is not None:
            # A reissued certificate keeps its batch, so the batch names the version it was assessed against.
            assessed_against = (select(Batch.id).join(PublishedStandard, col(PublishedStandard.id) == Batch.standard_id)
                                .where(col(PublishedStandard.version) == search.standard_version))
            conditions.append(col(Certificate.batch_id).in_(assessed_against))
    total = session.exec(select(func.count()).select_from(Certificate).where(*conditions)).one()
    rows = session.exec(select(Certificate).where(*conditions).order_by(col(Certificate.id).desc())
                        .offset((page - 1) * per_page).limit(per_page))
    return Page([CertificateFacts.of(cert, actor) for cert in rows], total, page, per_page)


@dataclass(frozen=True)
class RevocationFacts:
    reason: str  # a key of REVOCATION_REASONS
    reason_zh: str
    reason_en: str
    note: str
    revoked_at: datetime
    revoked_on: date  # China's date
    revoked_by: str | None  # the staff account's username; None for the system


@dataclass(frozen=True)
class CertificateDetail(CertificateFacts):
    genuine: bool  # the stored record still matches the issuing body's signature
    revocation: RevocationFacts | None
    superseded_by: str | None  # the number of the certificate reissued in its place
    supersedes: str | None  # the number of the certificate it replaced


def certificate_detail(session: Session, *, number: str, actor: Actor) -> CertificateDetail:
    """The whole record of a certificate the actor may see, with its revocation, successor and predecessor."""
    cert = visible_certificate(session, number=number, actor=actor)
    revocation = session.exec(select(Revocation).where(Revocation.certificate_id == cert.id)).first()
    facts = None
    if revocation is not None:
        by = session.get(User, revocation.revoked_by) if revocation.revoked_by is not None else None
        zh, en = REVOCATION_REASONS.get(revocation.reason, (revocation.reason, revocation.reason))
        facts = RevocationFacts(revocation.reason, zh, en, revocation.note, revocation.revoked_at,
                                revocation.revoked_at.astimezone(CHINA).date(), by.username if by else None)
    successor = successor_of(session, cert)
    predecessor = session.get(Certificate, cert.supersedes_id) if cert.supersedes_id is not None else None
    return CertificateDetail(
        **_facts(cert, actor), genuine=is_genuine(session, cert), revocation=facts,
        superseded_by=successor.number if successor else None,
        supersedes=predecessor.number if predecessor else None,
    )


# --- Standards ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Occupation:
    """One occupation's published standard versions; the names are those of its newest version."""

    code: str
    name: str
    name_en: str
    versions: list[CatalogueEntry]


def occupations(session: Session, *, today: date) -> list[Occupation]:
    """Every occupation with a published standard, by code, its versions oldest first."""
    grouped: dict[str, list[CatalogueEntry]] = {}
    for entry in catalogue(session, today=today):
        grouped.setdefault(entry.row.code, []).append(entry)
    return [_occupation(code, entries) for code, entries in grouped.items()]


def occupation(session: Session, code: str, *, today: date) -> Occupation:
    return _occupation(code, occupation_versions(session, code, today=today))


def _occupation(code: str, entries: list[CatalogueEntry]) -> Occupation:
    newest = max(entries, key=lambda e: (e.row.effective_from, e.row.version)).row
    return Occupation(code, newest.name, newest.name_en, entries)


@dataclass(frozen=True)
class StandardContent:
    entry: CatalogueEntry  # the stored version and its status today
    version: standards.StandardVersion  # its content, checked against the published hash


def standard_version(session: Session, code: str, version: int, *, today: date) -> StandardContent:
    for entry in occupation_versions(session, code, today=today):
        if entry.row.version == version:
            return StandardContent(entry, as_version(entry.row))
    raise NotFound("standard-version-not-found", f"职业编码 {code} 没有 {version} 年版标准。",
                   f"Occupation code {code} has no {version} version.", field="version")


def standard_diff(session: Session, code: str, *, old: int | None, new: int | None, today: date) -> StandardDiff:
    """What changed from `old` to `new`; by default from the version before the newest to the newest."""
    rows = {entry.row.version: entry.row for entry in occupation_versions(session, code, today=today)}
    numbers = sorted(rows)
    new = numbers[-1] if new is None else new
    old = max((n for n in numbers if n < new), default=new) if old is None else old
    for label, wanted in (("from", old), ("to", new)):
        if wanted not in rows:
            raise NotFound("standard-version-not-found", f"职业编码 {code} 没有 {wanted} 年版标准。",
                           f"Occupation code {code} has no {wanted} version.", field=label)
    return diff_versions(as_version(rows[old]), as_version(rows[new]))


# --- Statistics ---------------------------------------------------------------------------------------------------

COUNT_TABLES = ("month", "occupation", "level", "province", "body")
RATE_TABLES = ("pass-body", "pass-standard")
STATISTICS_TABLES = COUNT_TABLES + RATE_TABLES


def statistics_table(
    session: Session, table: str, *, actor: Actor, today: date, months: int = 12
) -> list[statistics.Count] | list[statistics.PassRate]:
    """One of the regulator's tables by name (STATISTICS_TABLES); labels in Chinese and English."""
    require_regulator(actor)
    if table == "month":
        return statistics.by_month(session, today=today, months=months)
    if table == "occupation":
        return statistics.by_occupation(session)
    if table == "level":
        return [replace(c, label=standards.level_label(int(c.key), "zh"),
                        label_en=standards.level_label(int(c.key), "en")) for c in statistics.by_level(session)]
    if table == "province":
        return statistics.by_province(session)
    if table == "body":
        return statistics.by_body(session)
    if table == "pass-body":
        return statistics.pass_rates_by_body(session)
    if table == "pass-standard":
        return statistics.pass_rates_by_standard(session)
    raise NotFound("statistics-table-not-found", f"没有统计表 {table}（可用：{'、'.join(STATISTICS_TABLES)}）。",
                   f"No statistics table {table!r} (use one of {', '.join(STATISTICS_TABLES)}).", field="table")


@dataclass(frozen=True)
class Figures:
    as_of: date
    overview: statistics.Overview
    tables: dict[str, list[statistics.Count] | list[statistics.PassRate]]


def all_statistics(session: Session, *, actor: Actor, today: date, months: int = 12) -> Figures:
    require_regulator(actor)
    return Figures(today, statistics.overview(session, today=today),
                   {table: statistics_table(session, table, actor=actor, today=today, months=months)
                    for table in STATISTICS_TABLES})
