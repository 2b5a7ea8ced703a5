"""What offline verifiers download: the trust bundle (root + body keys) and the status snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from certificates import Signer
from certificates.pki import load_certificate_pem
from certificates.trust import CredentialKeyEntry, KeyEntry, StatusEntry, build_bundle, build_status
from registry.models import Body, Certificate, CredentialKey, Revocation, SigningKey
from registry.services.clock import CHINA
from registry.services.keys import KeyVault, require_root


def trust_bundle(session: Session, vault: KeyVault, *, now: datetime, registry_url: str) -> dict[str, Any]:
    """Every body key ever issued, and every key a body signs credentials with (named by its did:key), with its
    body's current status, signed by the registry root."""
    root = require_root(session)
    rows = session.exec(
        select(SigningKey, Body).join(Body, col(Body.id) == col(SigningKey.body_id)).order_by(col(SigningKey.id))
    )
    entries = [
        KeyEntry(key_id=key.key_id, certificate=load_certificate_pem(key.certificate_pem),
                 body_name=body.name, credit_code=body.credit_code, body_status=body.status,
                 retired_at=key.retired_at)
        for key, body in rows
    ]
    credential_rows = session.exec(
        select(CredentialKey, Body).join(Body, col(Body.id) == col(CredentialKey.body_id))
        .order_by(col(CredentialKey.id))
    )
    credential_keys = [
        CredentialKeyEntry(did="did:key:" + key.public_key_multibase, body_name=body.name,
                           credit_code=body.credit_code, body_status=body.status, created_at=key.created_at,
                           retired_at=key.retired_at)
        for key, body in credential_rows
    ]
    return build_bundle(root=load_certificate_pem(root.certificate_pem), root_signer=Signer(vault.open(root)),
                        keys=entries, generated_at=now, registry_url=registry_url, credential_keys=credential_keys)


def status_snapshot(session: Session, vault: KeyVault, *, now: datetime) -> dict[str, Any]:
    """Every certificate that is revoked or superseded, signed by the registry root."""
    root = require_root(session)
    successor = aliased(Certificate)
    rows = session.execute(
        sa_select(col(Certificate.number), col(Certificate.status), col(Revocation.reason),
                  col(Revocation.revoked_at), col(successor.number), col(successor.issued_on))
        .outerjoin(Revocation, col(Revocation.certificate_id) == col(Certificate.id))
        .outerjoin(successor, col(successor.supersedes_id) == col(Certificate.id))
        .where(col(Certificate.status) != "valid")
    )
    entries = [
        StatusEntry(number=number, status=status, reason=reason, successor=next_number,
                    since=revoked_at.astimezone(CHINA).date() if status == "revoked" else next_issued_on)
        for number, status, reason, revoked_at, next_number, next_issued_on in rows
    ]
    return build_status(root_signer=Signer(vault.open(root)), entries=entries, generated_at=now)
