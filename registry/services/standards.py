"""The standards catalogue in the database: sync from the data files, list, look up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

import standards
from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import PublishedStandard
from registry.services.actors import Actor, require_regulator
from registry.services.audit import record_event


@dataclass(frozen=True)
class SyncReport:
    added: tuple[str, ...]
    unchanged: tuple[str, ...]


def sync_standards(
    session: Session, *, versions: Iterable[standards.StandardVersion], actor: Actor, now: datetime
) -> SyncReport:
    """Publish new versions; refuse the whole sync if a published version's content changed."""
    require_regulator(actor)
    versions = list(versions)
    published = {(row.code, row.version): row for row in session.exec(select(PublishedStandard))}
    added: list[str] = []
    unchanged: list[str] = []
    for version in versions:
        row = published.get((version.code, version.version))
        label = f"{version.code}@{version.version}"
        if row is None:
            continue
        if row.content_hash != version.content_hash:
            raise Conflict(
                "standard-version-changed",
                f"{version.source}：{label} 已发布，内容不可更改（已发布哈希 {row.content_hash[:12]}，"
                f"文件哈希 {version.content_hash[:12]}）。请以新版本发布修改。",
                f"{version.source}: {label} is already published and cannot change (published hash "
                f"{row.content_hash[:12]}, file hash {version.content_hash[:12]}). Publish a new version.",
                field="content_hash",
            )
        unchanged.append(label)
    for version in versions:
        if (version.code, version.version) in published:
            continue
        row = PublishedStandard(
            code=version.code,
            version=version.version,
            name=version.name,
            name_en=version.name_en,
            title=version.title,
            effective_from=version.effective_from,
            content=version.to_content(),
            content_hash=version.content_hash,
            source=version.source,
            synced_at=now,
        )
        session.add(row)
        session.flush()
        label = f"{version.code}@{version.version}"
        record_event(
            session,
            actor=actor,
            action="standard.published",
            object_type="standard_version",
            object_id=label,
            now=now,
            after={"content_hash": version.content_hash, "effective_from": version.effective_from.isoformat()},
        )
        added.append(label)
    session.commit()
    return SyncReport(tuple(added), tuple(unchanged))


@dataclass(frozen=True)
class CatalogueEntry:
    row: PublishedStandard
    status: str  # current | superseded | upcoming
    superseded_by: str | None


def catalogue(session: Session, *, today: date) -> list[CatalogueEntry]:
    """Every published version with its status on `today`, by code then version."""
    by_code: dict[str, list[PublishedStandard]] = defaultdict(list)
    for row in session.exec(select(PublishedStandard)):
        by_code[row.code].append(row)
    entries: list[CatalogueEntry] = []
    for code in sorted(by_code):
        entries.extend(_with_status(by_code[code], today))
    return sorted(entries, key=lambda e: (e.row.code, e.row.version))


def occupation_versions(session: Session, code: str, *, today: date) -> list[CatalogueEntry]:
    """One occupation's published versions with their status on `today`, by version; NotFound if none."""
    rows = session.exec(select(PublishedStandard).where(PublishedStandard.code == code)).all()
    if not rows:
        raise NotFound("standard-not-found", f"职业编码 {code} 没有已发布的标准。",
                       f"Occupation code {code} has no published standard.", field="code")
    return sorted(_with_status(rows, today), key=lambda e: e.row.version)


def _with_status(rows: Iterable[PublishedStandard], today: date) -> list[CatalogueEntry]:
    """The versions of one occupation: the latest in force is current, earlier ones superseded by the next."""
    rows = sorted(rows, key=lambda r: (r.effective_from, r.version))
    in_force = [r for r in rows if r.effective_from <= today]
    current = in_force[-1] if in_force else None
    entries = []
    for row in rows:
        if row.effective_from > today:
            entries.append(CatalogueEntry(row, "upcoming", None))
        elif row is current:
            entries.append(CatalogueEntry(row, "current", None))
        else:
            later = in_force[in_force.index(row) + 1]
            entries.append(CatalogueEntry(row, "superseded", f"{later.code}@{later.version}"))
    return entries


def occupation_names(session: Session, codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Chinese and English names of some occupations, as their newest published version gives them."""
    query = select(PublishedStandard.code, PublishedStandard.name, PublishedStandard.name_en).where(
        col(PublishedStandard.code).in_(set(codes))
    ).order_by(col(PublishedStandard.effective_from), col(PublishedStandard.version))
    return {code: (name, name_en) for code, name, name_en in session.exec(query)}


def in_force_on(session: Session, code: str, day: date) -> PublishedStandard | None:
    rows = session.exec(
        select(PublishedStandard).where(PublishedStandard.code == code, PublishedStandard.effective_from <= day)
    ).all()
    return max(rows, key=lambda r: (r.effective_from, r.version), default=None)


def get_published(session: Session, standard_id: int) -> PublishedStandard:
    row = session.get(PublishedStandard, standard_id)
    if row is None:
        raise NotFound("standard-not-found", "未找到该标准版本。", "No such standard version.", field="standard_id")
    return row


def find_published(session: Session, code: str, version: int) -> PublishedStandard:
    row = session.exec(
        select(PublishedStandard).where(PublishedStandard.code == code, PublishedStandard.version == version)
    ).first()
    if row is None:
        raise InvalidInput(
            "standard-not-found",
            f"标准 {code}@{version} 未发布。",
            f"Standard {code}@{version} is not published.",
            field="standard",
        )
    return row


def as_version(row: PublishedStandard) -> standards.StandardVersion:
    """The immutable standard object behind a stored row (content as published)."""
    return standards.version_from_content(row.content, source=row.source, content_hash=row.content_hash)
