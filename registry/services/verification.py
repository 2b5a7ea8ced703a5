"""Public verification: number + name or ID number + name, answering status with the ID number masked."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from certificates import FieldError, KeyRing, mask_id, validate_name
from registry.models import REVOCATION_REASONS, Certificate, Revocation, pk
from registry.services.issuance import CHINA


@dataclass(frozen=True)
class VerificationResult:
    number: str
    holder_name: str
    id_type: str
    id_number_masked: str
    occupation_code: str
    occupation_name: str
    work_type: str
    level: int
    level_label: str
    standard: str
    body_name: str
    issued_on: date
    status: str  # valid | revoked | superseded
    genuine: bool  # the stored record still matches the registry's signature
    revoked_on: date | None = None
    revocation_reason: str | None = None
    revocation_reason_zh: str | None = None
    revocation_reason_en: str | None = None
    superseded_by: str | None = None


def _clean_name(name: str) -> str:
    """The name as stored at issuance; a name no certificate could carry simply matches nothing."""
    try:
        return validate_name(name)
    except FieldError:
        return " ".join(unicodedata.normalize("NFC", name).split())


def verify_by_number(session: Session, *, number: str, name: str, keyring: KeyRing) -> list[VerificationResult]:
    query = select(Certificate).where(
        Certificate.number == number.strip().upper(), Certificate.holder_name == _clean_name(name)
    )
    return _results(session, list(session.exec(query)), keyring)


def verify_by_id_number(
    session: Session, *, id_number: str, name: str, keyring: KeyRing
) -> list[VerificationResult]:
    query = (
        select(Certificate)
        .where(Certificate.id_number == id_number.strip().upper(), Certificate.holder_name == _clean_name(name))
        .order_by(col(Certificate.issued_on).desc(), col(Certificate.id).desc())
    )
    return _results(session, list(session.exec(query)), keyring)


def _results(session: Session, certs: list[Certificate], keyring: KeyRing) -> list[VerificationResult]:
    if not certs:
        return []
    ids = [c.id for c in certs]
    revocations = {
        r.certificate_id: r for r in session.exec(select(Revocation).where(col(Revocation.certificate_id).in_(ids)))
    }
    successors = {
        c.supersedes_id: c.number
        for c in session.exec(select(Certificate).where(col(Certificate.supersedes_id).in_(ids)))
    }
    results = []
    for cert in certs:
        record = cert.record
        revocation = revocations.get(pk(cert))
        reason = revocation.reason if revocation else None
        results.append(
            VerificationResult(
                number=cert.number,
                holder_name=record["holder_name"],
                id_type=record["id_type_label"],
                id_number_masked=mask_id(record["id_number"]),
                occupation_code=record["occupation_code"],
                occupation_name=record["occupation_name"],
                work_type=record["work_type"],
                level=record["level"],
                level_label=record["level_label"],
                standard=record["standard"],
                body_name=record["body_name"],
                issued_on=cert.issued_on,
                status=cert.status,
                genuine=keyring.verify(record, cert.signature, cert.key_id),
                revoked_on=revocation.revoked_at.astimezone(CHINA).date() if revocation else None,
                revocation_reason=reason,
                revocation_reason_zh=REVOCATION_REASONS[reason][0] if reason else None,
                revocation_reason_en=REVOCATION_REASONS[reason][1] if reason else None,
                superseded_by=successors.get(pk(cert)),
            )
        )
    return results
