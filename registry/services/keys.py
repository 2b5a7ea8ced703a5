"""The registry's PKI: its root, one signing key per body, rotation, and who may sign.

Private keys live in the database only encrypted under the master key (certificates.pki); the master key
itself comes from the deployment (REGISTRY_MASTER_KEY or a key file) and is held by a `KeyVault`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import Session, col, select

from certificates import Signer, key_id
from certificates.pki import (
    KeyDecryptionError,
    certificate_to_pem,
    decrypt_private_key,
    encrypt_private_key,
    issue_signing_certificate,
    load_certificate_pem,
    make_root_certificate,
    master_key_fingerprint,
)
from certificates.signing import generate_private_key
from registry.errors import Conflict
from registry.models import Body, SigningKey, pk
from registry.services.actors import Actor, require_regulator
from registry.services.audit import record_event

ROOT_NAME = "职业技能等级证书登记系统根证书"  # CN holds at most 64 UTF-8 bytes
ROOT_ORGANIZATION = "职业技能等级认定证书登记系统 Skill-level Certificate Registry"
ROOT_VALIDITY = timedelta(days=365 * 25)
BODY_KEY_VALIDITY = timedelta(days=365 * 10)
# A certificate signed the moment before a key was made still verifies if clocks differ a little.
CLOCK_SKEW = timedelta(minutes=5)


class MasterKeyMismatch(RuntimeError):
    """The configured master key is not the one that encrypted the stored keys."""


@dataclass(frozen=True)
class BodySigner:
    """A body's current key, decrypted, with its certificate and the chain up to the registry root."""

    signer: Signer
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def key_id(self) -> str:
        return self.signer.key_id

    @property
    def private_key(self) -> ec.EllipticCurvePrivateKey:
        return self.signer.private_key


@dataclass
class KeyVault:
    """Holds the master key and the keys it has decrypted in this process (by key id, which never changes)."""

    master_key: bytes = field(repr=False)
    _keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict, repr=False)

    @property
    def fingerprint(self) -> str:
        return master_key_fingerprint(self.master_key)

    def seal(self, key: ec.EllipticCurvePrivateKey, kid: str) -> bytes:
        return encrypt_private_key(key, self.master_key, kid)

    def open(self, row: SigningKey) -> ec.EllipticCurvePrivateKey:
        key = self._keys.get(row.key_id)
        if key is None:
            if row.master_key_fingerprint != self.fingerprint:
                raise MasterKeyMismatch(
                    f"key {row.key_id} was encrypted under master key {row.master_key_fingerprint}, "
                    f"but the configured master key is {self.fingerprint}"
                )
            try:
                key = decrypt_private_key(row.encrypted_private_key, self.master_key, row.key_id)
            except KeyDecryptionError as err:
                raise MasterKeyMismatch(f"key {row.key_id} cannot be decrypted: {err}") from err
            self._keys[row.key_id] = key
        return key


def root_key(session: Session) -> SigningKey | None:
    return session.exec(select(SigningKey).where(SigningKey.role == "root")).first()


def require_root(session: Session) -> SigningKey:
    root = root_key(session)
    if root is None:
        raise Conflict(
            "registry-root-missing",
            "登记系统尚未创建根证书：请先运行 `registry keys init`。",
            "The registry has no root certificate yet: run `registry keys init` first.",
        )
    return root


def init_root(session: Session, vault: KeyVault, *, actor: Actor, now: datetime, name: str = ROOT_NAME) -> SigningKey:
    """Create the registry root CA. There is only ever one; a second call is refused. The caller commits."""
    require_regulator(actor)
    if root_key(session) is not None:
        raise Conflict("registry-root-exists", "根证书已存在，不会被覆盖。",
                       "A root certificate exists; it is never replaced.")
    key = generate_private_key()
    cert = make_root_certificate(key, common_name=name, organization=ROOT_ORGANIZATION, not_before=now - CLOCK_SKEW,
                                 not_after=now + ROOT_VALIDITY)
    row = _store(session, vault, key, cert, role="root", body_id=None, now=now)
    record_event(session, actor=actor, action="pki.root-created", object_type="signing_key", object_id=row.key_id,
                 now=now, after={"key_id": row.key_id, "not_after": row.not_after.isoformat()})
    return row


def create_body_key(session: Session, vault: KeyVault, body: Body, *, now: datetime) -> SigningKey:
    """A new key pair for a body and its certificate from the registry root. The caller commits."""
    root = require_root(session)
    root_cert = load_certificate_pem(root.certificate_pem)
    key = generate_private_key()
    cert = issue_signing_certificate(
        issuer_key=vault.open(root), issuer_certificate=root_cert, public_key=key.public_key(),
        body_name=body.name, credit_code=body.credit_code,
        not_before=now - CLOCK_SKEW, not_after=min(now + BODY_KEY_VALIDITY, root.not_after),
    )
    return _store(session, vault, key, cert, role="body", body_id=pk(body), now=now)


def current_key(session: Session, body_id: int) -> SigningKey | None:
    return session.exec(
        select(SigningKey).where(SigningKey.body_id == body_id, col(SigningKey.retired_at).is_(None))
    ).first()


def body_signer(session: Session, vault: KeyVault, body: Body) -> BodySigner:
    """The key a body signs with now. A suspended or withdrawn body cannot sign."""
    if body.status != "active":
        raise Conflict(
            "body-cannot-sign",
            f"评价机构「{body.name}」状态为{_STATUS_ZH.get(body.status, body.status)}，不能签名。",
            f"The evaluation body '{body.name}' is {body.status} and cannot sign.",
        )
    row = current_key(session, pk(body))
    if row is None:
        raise Conflict(
            "body-key-missing",
            f"评价机构「{body.name}」没有签名密钥：请运行 `registry keys init` 或轮换密钥。",
            f"The evaluation body '{body.name}' has no signing key: run `registry keys init` or rotate its key.",
        )
    root = require_root(session)
    return BodySigner(
        signer=Signer(vault.open(row)),
        certificate=load_certificate_pem(row.certificate_pem),
        chain=(load_certificate_pem(root.certificate_pem),),
    )


def ensure_body_keys(session: Session, vault: KeyVault, *, now: datetime) -> list[SigningKey]:
    """Give every body that is not withdrawn and has no key in use one (bodies filed before the PKI existed)."""
    created = []
    for body in session.exec(select(Body).where(Body.status != "withdrawn").order_by(col(Body.id))):
        if current_key(session, pk(body)) is None:
            created.append(create_body_key(session, vault, body, now=now))
    return created


def list_keys(session: Session) -> list[SigningKey]:
    return list(session.exec(select(SigningKey).order_by(col(SigningKey.id))))


# key id -> (public key, body id). A key id names one key forever, so the cache never goes stale.
_public_keys: dict[str, tuple[ec.EllipticCurvePublicKey, int]] = {}


def public_key_for(session: Session, kid: str, *, body_id: int) -> ec.EllipticCurvePublicKey | None:
    """The public key with that key id if it is a key of that body; else None."""
    found = registry_key(session, kid)
    return found[0] if found is not None and found[1] == body_id else None


def registry_key(session: Session, kid: str) -> tuple[ec.EllipticCurvePublicKey, int] | None:
    """(public key, body id) of a body key whose certificate the registry root issued, else None: a key row
    added to the database by anyone without the root key verifies nothing."""
    cached = _public_keys.get(kid)
    if cached is None:
        row = session.exec(select(SigningKey).where(SigningKey.key_id == kid, SigningKey.role == "body")).first()
        root = root_key(session)
        if row is None or row.body_id is None or root is None:
            return None
        cert = load_certificate_pem(row.certificate_pem)
        try:
            cert.verify_directly_issued_by(load_certificate_pem(root.certificate_pem))
        except (ValueError, TypeError, InvalidSignature):
            return None
        public = cert.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey) or key_id(public) != kid:
            return None
        cached = _public_keys[kid] = (public, row.body_id)
    return cached


_STATUS_ZH = {"active": "正常", "suspended": "暂停", "withdrawn": "已撤销备案"}


def _store(session: Session, vault: KeyVault, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, *,
           role: str, body_id: int | None, now: datetime) -> SigningKey:
    kid = key_id(key.public_key())
    row = SigningKey(
        key_id=kid, role=role, body_id=body_id,
        certificate_pem=certificate_to_pem(cert),
        encrypted_private_key=vault.seal(key, kid),
        master_key_fingerprint=vault.fingerprint,
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, created_at=now,
    )
    session.add(row)
    session.flush()
    vault._keys[kid] = key
    return row
