"""The holder portal's use cases: a worker proves who they are, then sees and downloads their certificates.

Proof is what only the holder (or someone holding their certificate) knows together: 证件号码 + 姓名 + one of
their 证书编号. The portal session keeps the id of that certificate, never the ID number itself.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlmodel import Session, col, select

from certificates import FieldError, fold_id, validate_name
from registry.models import Certificate
from registry.services.verification import VerificationResult, holder_results


@dataclass(frozen=True)
class Holder:
    """A holder signed in to the portal: who they proved to be, by the certificate they proved it with."""

    certificate_id: int
    id_type: str
    id_number: str
    name: str


def _clean(name: str) -> str:
    try:
        return validate_name(name)
    except FieldError:
        return " ".join(name.split())


def authenticate_holder(session: Session, *, id_number: str, name: str, number: str) -> Holder | None:
    """The holder when all three match one certificate (any status: a revoked one still proves identity)."""
    cert = session.exec(
        select(Certificate).where(
            col(Certificate.number) == fold_id(number),
            col(Certificate.id_number) == fold_id(id_number),
            col(Certificate.holder_name) == _clean(name),
        )
    ).first()
    if cert is None or cert.id is None:
        return None
    return Holder(certificate_id=cert.id, id_type=cert.id_type, id_number=cert.id_number, name=cert.holder_name)


def holder_by_certificate(session: Session, certificate_id: int) -> Holder | None:
    """The holder a portal session stands for (None if that certificate no longer exists)."""
    cert = session.get(Certificate, certificate_id)
    if cert is None or cert.id is None:
        return None
    return Holder(certificate_id=cert.id, id_type=cert.id_type, id_number=cert.id_number, name=cert.holder_name)


def certificates_of(session: Session, holder: Holder) -> list[VerificationResult]:
    """Every certificate issued to this person's ID document, from every body, newest first."""
    return holder_results(session, id_type=holder.id_type, id_number=holder.id_number)


def attempt_key(id_number: str, secret: str) -> str:
    """What the lockout counts failed attempts by: a keyed hash of the ID number, never the number itself."""
    return hmac.new(secret.encode(), fold_id(id_number).encode(), hashlib.sha256).hexdigest()[:32]
