"""Each body's Ed25519 credential key: made when first needed, private half sealed by the master key like the PKI's.

The body's X.509 key (ECDSA P-256) stays what signs PDFs and QR payloads; Open Badges verifiers expect
eddsa-rdfc-2022 and a did:key issuer, so credentials get a key of their own, one in use per body.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from certificates.didkey import credential_key_id, generate_ed25519_key, public_key_from_multibase, public_key_multibase
from certificates.pki import KeyDecryptionError, decrypt_ed25519_private_key, encrypt_ed25519_private_key
from registry.models import Body, CredentialKey, pk
from registry.services.keys import KeyVault, MasterKeyMismatch

# The associated data of a sealed credential key: never equal to a signing key's (those are bare key ids).
_CONTEXT_PREFIX = "credential-key:"


def current_credential_key(session: Session, body_id: int) -> CredentialKey | None:
    return session.exec(
        select(CredentialKey).where(CredentialKey.body_id == body_id, col(CredentialKey.retired_at).is_(None))
    ).first()


def list_credential_keys(session: Session) -> list[CredentialKey]:
    """Every body's credential keys, by body, the oldest first."""
    return list(session.exec(select(CredentialKey).order_by(col(CredentialKey.body_id), col(CredentialKey.id))))


def find_credential_key(session: Session, key_id: str) -> CredentialKey | None:
    return session.exec(select(CredentialKey).where(CredentialKey.key_id == key_id)).first()


def credential_key(session: Session, vault: KeyVault, body: Body, *, now: datetime) -> CredentialKey:
    """The body's key in use, made now if it has none. Flushed, not committed: the caller commits.

    Two requests making the first key at once: the unique index keeps one, the other reads it.
    """
    row = current_credential_key(session, pk(body))
    if row is not None:
        return row
    key = generate_ed25519_key()
    kid = credential_key_id(key.public_key())
    row = CredentialKey(
        key_id=kid, body_id=pk(body), public_key_multibase=public_key_multibase(key.public_key()),
        encrypted_private_key=encrypt_ed25519_private_key(key, vault.master_key, _CONTEXT_PREFIX + kid),
        master_key_fingerprint=vault.fingerprint, created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = current_credential_key(session, pk(body))
        if existing is None:
            raise
        return existing
    return row


def retire_credential_key(session: Session, body_id: int, *, now: datetime) -> CredentialKey | None:
    """Stop the body's key in use from signing new credentials (its did:key and status lists stay), so that the next
    one made is its successor. Flushed, not committed."""
    row = current_credential_key(session, body_id)
    if row is not None:
        row.retired_at = now
        session.add(row)
        session.flush()
    return row


def public_key(row: CredentialKey) -> Ed25519PublicKey:
    return public_key_from_multibase(row.public_key_multibase)


def private_key(vault: KeyVault, row: CredentialKey) -> Ed25519PrivateKey:
    """The decrypted key; MasterKeyMismatch when the configured master key is not the one that sealed it."""
    if row.master_key_fingerprint != vault.fingerprint:
        raise MasterKeyMismatch(
            f"credential key {row.key_id} was encrypted under master key {row.master_key_fingerprint}, "
            f"but the configured master key is {vault.fingerprint}"
        )
    try:
        key = decrypt_ed25519_private_key(row.encrypted_private_key, vault.master_key, _CONTEXT_PREFIX + row.key_id)
    except KeyDecryptionError as err:
        raise MasterKeyMismatch(f"credential key {row.key_id} cannot be decrypted: {err}") from err
    if public_key_multibase(key.public_key()) != row.public_key_multibase:
        raise RuntimeError(f"credential key {row.key_id}: the private key does not match the stored public key")
    return key
