"""The trust bundle and the status snapshot: what an offline verifier needs, signed by the registry root.

Both are JSON documents; docs/trust-bundle.md is their specification. The root signs the canonical bytes
(certificates.canonical) of the document without its "signature" member, with ES256 (raw r||s, base64url).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certificates.canonical import canonical_bytes
from certificates.didkey import public_key_from_multibase
from certificates.pki import body_name_of, credit_code_of
from certificates.signing import ALGORITHM, Signer, key_id, verify_bytes

BUNDLE_FORMAT = "skill-registry-trust/1"
BODY_STATES = ("active", "suspended", "withdrawn")
STATUS_FORMAT = "skill-registry-status/1"


class TrustError(ValueError):
    """A bundle or snapshot that is malformed, not signed by its root, or not the root the caller pinned."""


@dataclass(frozen=True)
class KeyEntry:
    """One signing key of a body: its certificate, and what the registry says about the key and the body."""

    key_id: str
    certificate: x509.Certificate
    body_name: str
    credit_code: str
    body_status: str  # active | suspended | withdrawn
    retired_at: datetime | None

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        key = self.certificate.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise TrustError(f"key {self.key_id} is not an ECDSA key")
        return key


@dataclass(frozen=True)
class CredentialKeyEntry:
    """One Ed25519 key a body signs its Open Badges credentials with, named by its did:key (decision 0004): the
    root's word that this did:key is that body's."""

    did: str
    body_name: str
    credit_code: str
    body_status: str  # active | suspended | withdrawn
    created_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True)
class TrustBundle:
    root: x509.Certificate
    generated_at: datetime
    keys: Mapping[str, KeyEntry] = field(default_factory=dict)
    credential_keys: Mapping[str, CredentialKeyEntry] = field(default_factory=dict)  # by did:key

    @property
    def root_fingerprint(self) -> str:
        return fingerprint(self.root)

    def key(self, kid: str) -> KeyEntry | None:
        return self.keys.get(kid)

    def credential_key(self, did: str) -> CredentialKeyEntry | None:
        return self.credential_keys.get(did)

    def entry_for_certificate(self, cert: x509.Certificate) -> KeyEntry | None:
        """The listed key whose certificate is exactly this one (same DER), else None."""
        der = cert.public_bytes(serialization.Encoding.DER)
        for entry in self.keys.values():
            if entry.certificate.public_bytes(serialization.Encoding.DER) == der:
                return entry
        return None


@dataclass(frozen=True)
class StatusEntry:
    number: str
    status: str  # revoked | superseded
    since: date
    reason: str | None = None
    successor: str | None = None


@dataclass(frozen=True)
class StatusSnapshot:
    generated_at: datetime
    entries: Mapping[str, StatusEntry]

    def get(self, number: str) -> StatusEntry | None:
        return self.entries.get(number)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, lowercase hex: what people compare by eye or pin."""
    return cert.fingerprint(hashes.SHA256()).hex()


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sign(document: dict[str, Any], root_signer: Signer) -> dict[str, Any]:
    signed = dict(document)
    signed["signature"] = {
        "alg": ALGORITHM, "key_id": root_signer.key_id, "value": root_signer.sign(document),
    }
    return signed


def build_bundle(
    *,
    root: x509.Certificate,
    root_signer: Signer,
    keys: Iterable[KeyEntry],
    generated_at: datetime,
    registry_url: str,
    credential_keys: Iterable[CredentialKeyEntry] = (),
) -> dict[str, Any]:
    """The bundle as a JSON-ready mapping, signed by the root key."""
    if key_id(root_signer.public_key) != _root_key_id(root):
        raise TrustError("the signer is not the root certificate's key")
    document = {
        "format": BUNDLE_FORMAT,
        "generated_at": _iso(generated_at),
        "registry": registry_url,
        "root": {"key_id": _root_key_id(root), "sha256": fingerprint(root), "certificate": _pem(root)},
        "keys": [
            {
                "key_id": entry.key_id,
                "body": {"name": entry.body_name, "credit_code": entry.credit_code, "status": entry.body_status},
                "certificate": _pem(entry.certificate),
                "not_before": _iso(entry.certificate.not_valid_before_utc),
                "not_after": _iso(entry.certificate.not_valid_after_utc),
                "status": "retired" if entry.retired_at else "active",
                "retired_at": _iso(entry.retired_at) if entry.retired_at else None,
            }
            for entry in sorted(keys, key=lambda e: e.key_id)
        ],
        "credential_keys": [
            {
                "did": entry.did,
                "body": {"name": entry.body_name, "credit_code": entry.credit_code, "status": entry.body_status},
                "created_at": _iso(entry.created_at),
                "status": "retired" if entry.retired_at else "active",
                "retired_at": _iso(entry.retired_at) if entry.retired_at else None,
            }
            for entry in sorted(credential_keys, key=lambda e: e.did)
        ],
    }
    return _sign(document, root_signer)


def build_status(
    *, root_signer: Signer, entries: Iterable[StatusEntry], generated_at: datetime
) -> dict[str, Any]:
    """A signed list of every certificate that is no longer valid (revoked or superseded)."""
    document = {
        "format": STATUS_FORMAT,
        "generated_at": _iso(generated_at),
        "certificates": [
            {"number": e.number, "status": e.status, "since": e.since.isoformat(), "reason": e.reason,
             "successor": e.successor}
            for e in sorted(entries, key=lambda e: e.number)
        ],
    }
    return _sign(document, root_signer)


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _root_key_id(root: x509.Certificate) -> str:
    public = root.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise TrustError("the root certificate's key is not an ECDSA P-256 key")
    return key_id(public)


def _load_json(text: str | bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise TrustError(f"the {what} is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise TrustError(f"the {what} is not a JSON object")
    return data


def _check_signature(data: dict[str, Any], root_public: ec.EllipticCurvePublicKey, what: str) -> None:
    signature = data.get("signature")
    if not isinstance(signature, dict) or signature.get("alg") != ALGORITHM:
        raise TrustError(f"the {what} carries no {ALGORITHM} signature")
    unsigned = {k: v for k, v in data.items() if k != "signature"}
    try:
        body = canonical_bytes(unsigned)
    except (TypeError, ValueError) as err:
        raise TrustError(f"the {what} cannot be put in canonical form: {err}") from err
    value = signature.get("value")
    if not isinstance(value, str) or not verify_bytes(root_public, body, value):
        raise TrustError(f"the {what}'s signature does not verify against the registry root")


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise TrustError(f"{what} is not a timestamp")
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError as err:
        raise TrustError(f"{what} is not a UTC timestamp like 2026-05-20T02:00:00Z") from err
    return moment.replace(tzinfo=UTC)


def load_bundle(text: str | bytes, *, root_fingerprint: str | None) -> TrustBundle:
    """Parse and check a bundle: self-signed root, the root's signature over the bundle, each key issued by it.

    `root_fingerprint` pins the root (the SHA-256 hex the registry publishes). None trusts whichever root the
    bundle carries, which proves nothing about who made it: only for a bundle that came by a trusted channel.
    """
    data = _load_json(text, "trust bundle")
    if data.get("format") != BUNDLE_FORMAT:
        raise TrustError(f"not a trust bundle of format {BUNDLE_FORMAT}")
    try:
        root = x509.load_pem_x509_certificate(data["root"]["certificate"].encode("ascii"))
    except (KeyError, TypeError, ValueError) as err:
        raise TrustError("the trust bundle's root certificate is missing or unreadable") from err
    if root_fingerprint is not None and fingerprint(root) != root_fingerprint.strip().lower().replace(":", ""):
        raise TrustError("the trust bundle's root is not the pinned registry root")
    root_public = root.public_key()
    if not isinstance(root_public, ec.EllipticCurvePublicKey):
        raise TrustError("the registry root's key is not an ECDSA P-256 key")
    try:
        root.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature) as err:
        raise TrustError("the registry root certificate is not self-signed") from err
    _check_signature(data, root_public, "trust bundle")
    keys: dict[str, KeyEntry] = {}
    for item in data.get("keys") or []:
        try:
            cert = x509.load_pem_x509_certificate(item["certificate"].encode("ascii"))
            body = item["body"]
            entry = KeyEntry(
                key_id=str(item["key_id"]), certificate=cert, body_name=str(body["name"]),
                credit_code=str(body["credit_code"]), body_status=str(body["status"]),
                retired_at=_time(item["retired_at"], "retired_at") if item.get("retired_at") else None,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise TrustError(f"a key entry of the trust bundle is malformed: {err}") from err
        public = cert.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey) or key_id(public) != entry.key_id:
            raise TrustError(f"key {entry.key_id}: the key id does not match its certificate")
        if credit_code_of(cert) != entry.credit_code or body_name_of(cert) != entry.body_name:
            raise TrustError(f"key {entry.key_id}: the body named in the bundle is not the one its certificate names")
        try:
            cert.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature) as err:
            raise TrustError(f"key {entry.key_id}: its certificate was not issued by the registry root") from err
        keys[entry.key_id] = entry
    return TrustBundle(root=root, generated_at=_time(data.get("generated_at"), "generated_at"), keys=keys,
                       credential_keys=_credential_keys(data.get("credential_keys", [])))


def _credential_keys(items: Any) -> dict[str, CredentialKeyEntry]:
    """The bodies' credential keys (absent from bundles made before there were any), each a well-formed did:key,
    listed once, its status agreeing with its retirement."""
    if not isinstance(items, list):
        raise TrustError("the trust bundle's credential_keys is not a list")
    found: dict[str, CredentialKeyEntry] = {}
    for item in items:
        try:
            body = item["body"]
            entry = CredentialKeyEntry(
                did=str(item["did"]), body_name=str(body["name"]), credit_code=str(body["credit_code"]),
                body_status=str(body["status"]), created_at=_time(item["created_at"], "created_at"),
                retired_at=_time(item["retired_at"], "retired_at") if item.get("retired_at") else None,
            )
            if not entry.did.startswith("did:key:"):
                raise ValueError(f"{entry.did!r} is not a did:key")
            public_key_from_multibase(entry.did.removeprefix("did:key:"))
            if item.get("status") != ("retired" if entry.retired_at else "active"):
                raise ValueError(f"status {item.get('status')!r} does not agree with retired_at")
            if entry.body_status not in BODY_STATES:
                raise ValueError(f"body status {entry.body_status!r} is none of {', '.join(BODY_STATES)}")
        except (KeyError, TypeError, ValueError) as err:
            raise TrustError(f"a credential key entry of the trust bundle is malformed: {err}") from err
        if entry.did in found:
            raise TrustError(f"credential key {entry.did} is listed twice in the trust bundle")
        found[entry.did] = entry
    return found


def load_status(text: str | bytes, bundle: TrustBundle) -> StatusSnapshot:
    """Parse a status snapshot and check that the bundle's root signed it."""
    data = _load_json(text, "status snapshot")
    if data.get("format") != STATUS_FORMAT:
        raise TrustError(f"not a status snapshot of format {STATUS_FORMAT}")
    root_public = bundle.root.public_key()
    assert isinstance(root_public, ec.EllipticCurvePublicKey)  # noqa: S101  (checked by load_bundle)
    _check_signature(data, root_public, "status snapshot")
    entries: dict[str, StatusEntry] = {}
    for item in data.get("certificates") or []:
        try:
            if item["status"] not in ("revoked", "superseded"):
                raise ValueError(f"unknown status {item['status']!r}")
            entry = StatusEntry(number=str(item["number"]), status=str(item["status"]),
                                since=date.fromisoformat(item["since"]), reason=item.get("reason"),
                                successor=item.get("successor"))
        except (KeyError, TypeError, ValueError) as err:
            raise TrustError(f"a status entry is malformed: {err}") from err
        entries[entry.number] = entry
    return StatusSnapshot(generated_at=_time(data.get("generated_at"), "generated_at"), entries=entries)
