"""Certificates as Open Badges 3.0 credentials signed by their body's credential key, and the status lists that
say which of them are revoked (docs/open-badges.md).

A credential is signed when asked for, never stored: what it says comes from the signed record, its salt from the
master key and the certificate number, and its proof time from the key, so the same key always gives the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from certificates import data_integrity
from certificates.badges import (
    Component,
    IssuerProfile,
    achievement_definition,
    credential_urn,
    holder_salt,
    open_badge_credential,
    salt_secret,
)
from certificates.didkey import did_key
from certificates.record import CertificateRecord
from certificates.status_list import LIST_SIZE, StatusPosition, status_entry, status_list_credential
from registry.errors import Conflict, NotFound
from registry.models import Body, Certificate, CredentialKey, PublishedStandard, pk
from registry.services.credential_keys import credential_key, find_credential_key, private_key
from registry.services.keys import KeyVault

REGISTRY_NAME = "职业技能等级证书登记系统"
STATUS_LIST_PATH = "/api/v1/status-lists"
# How long a verifier may keep a status list before asking again (the spec's ttl, and the HTTP max-age), and how
# long a signed list stays valid at all: a list replayed later than that is refused by verifiers.
STATUS_LIST_TTL = timedelta(minutes=5)
STATUS_LIST_VALIDITY = timedelta(days=1)
# Certificates that no longer stand: their credentials' revocation bit is set.
NOT_STANDING = ("revoked", "superseded")


def status_list_url(base_url: str, key_id: str, list_number: int) -> str:
    return f"{base_url}{STATUS_LIST_PATH}/{key_id}/{list_number}"


def credential_json(credential: dict[str, Any]) -> bytes:
    """How a credential is written out, the same everywhere (API answer and PDF attachment)."""
    return json.dumps(credential, ensure_ascii=False, indent=2).encode("utf-8")


def signed_credential(session: Session, vault: KeyVault, cert: Certificate, *, base_url: str,
                      now: datetime) -> dict[str, Any]:
    """The certificate's OpenBadgeCredential signed by its body's credential key (made now if the body has none;
    the caller commits). Only a valid certificate of an active body gets a fresh signature, as for the PDF."""
    if cert.status != "valid":
        raise Conflict(
            "certificate-not-valid",
            "此证书已撤销或已被替代，不再签发新的电子凭证；可扫码或在登记系统查验其状态。",
            "This certificate is revoked or superseded, so no new credential is signed; its status can be checked "
            "by its QR code or in the registry.",
        )
    body = session.get(Body, cert.body_id)
    assert body is not None  # noqa: S101  (foreign key)
    if body.status != "active":
        raise Conflict(
            "body-cannot-sign",
            f"评价机构「{body.name}」目前不能签名，不能签发电子凭证；证书本身仍有效，可扫码或在登记系统查验。",
            f"'{body.name}' cannot sign at present, so no credential is signed; the certificate itself stays valid "
            "and can be checked by its QR code or in the registry.",
        )
    row = credential_key(session, vault, body, now=now)
    key = private_key(vault, row)
    did = did_key(key.public_key())
    record = CertificateRecord.from_dict(cert.record)
    credential = open_badge_credential(
        record,
        credential_id=credential_urn(base_url, record.number, did),
        issuer=IssuerProfile(did=did, name=record.body_name, url=f"{base_url}/bodies/{record.body_credit_code}",
                             credit_code=record.body_credit_code),
        achievement=achievement_definition(record, registry_url=base_url, registry_name=REGISTRY_NAME,
                                           components=_components(session, record)),
        salt=holder_salt(salt_secret(vault.master_key), record.number),
        status=status_entry(status_list_url(base_url, row.key_id, StatusPosition.of(pk(cert)).list_number),
                            StatusPosition.of(pk(cert))),
        issued_at=cert.issued_at,
    )
    # The earliest moment this key could have signed this certificate: fixed, so re-exports are identical.
    return data_integrity.sign(credential, key, created=max(cert.issued_at, row.created_at))


def _components(session: Session, record: CertificateRecord) -> list[Component]:
    """What the standard version's level is assessed by, for the Achievement's criteria."""
    code, _, version = record.standard.partition("@")
    row = session.exec(select(PublishedStandard).where(PublishedStandard.code == code,
                                                       PublishedStandard.version == int(version))).first()
    if row is None:
        return []
    for level in row.content.get("levels", []):
        if level.get("digit") == record.level:
            return [Component(c["name_zh"], int(c["pass_mark"]), int(c.get("max_score", 100)))
                    for c in level.get("components", [])]
    return []


@dataclass(frozen=True)
class StatusListFacts:
    """What one status list says, before it is signed: whose key, which block, which bits are set."""

    key: CredentialKey
    list_number: int
    revoked: tuple[int, ...]


def status_list_facts(session: Session, *, key_id: str, list_number: int) -> StatusListFacts:
    """The revoked and superseded certificates of the key's body in that block of ids. Lists past the last
    certificate do not exist (404), so nobody makes the registry sign lists without end."""
    row = find_credential_key(session, key_id)
    last_id = session.exec(select(func.max(Certificate.id))).one() or 0
    if row is None or list_number < 0 or list_number > last_id // LIST_SIZE:
        raise NotFound("status-list-not-found", f"未找到状态列表 {key_id}/{list_number}。",
                       f"No status list {key_id}/{list_number}.")
    first = list_number * LIST_SIZE
    ids = session.exec(select(Certificate.id).where(
        Certificate.body_id == row.body_id, col(Certificate.status).in_(NOT_STANDING),
        col(Certificate.id) >= first, col(Certificate.id) < first + LIST_SIZE,
    ).order_by(col(Certificate.id))).all()
    return StatusListFacts(key=row, list_number=list_number, revoked=tuple(i - first for i in ids if i is not None))


def signed_status_list(vault: KeyVault, facts: StatusListFacts, *, base_url: str, now: datetime) -> dict[str, Any]:
    """The BitstringStatusListCredential, signed by the same key (retired or not) as the credentials pointing to it:
    verifiers require the list's issuer to be the credential's. A suspended or withdrawn body's lists are still
    signed, so revocations of its certificates keep reaching verifiers."""
    key = private_key(vault, facts.key)
    document = status_list_credential(
        list_url=status_list_url(base_url, facts.key.key_id, facts.list_number), issuer=did_key(key.public_key()),
        revoked=facts.revoked, valid_from=now, valid_until=now + STATUS_LIST_VALIDITY,
        ttl_ms=int(STATUS_LIST_TTL.total_seconds() * 1000),
    )
    return data_integrity.sign(document, key, created=now)
