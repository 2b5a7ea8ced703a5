"""ECDSA P-256 keys, key ids and compact signatures over canonical certificate records."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from certificates.canonical import canonical_bytes

ALGORITHM = "ES256"  # ECDSA over P-256 with SHA-256, the JOSE name
_COORDINATE_BYTES = 32
# 64 raw bytes are 86 base64url characters without padding.
_SIGNATURE_TEXT = re.compile(r"[A-Za-z0-9_-]{86}")


def _require_p256(key: object, kind: type) -> None:
    if not isinstance(key, kind) or not isinstance(getattr(key, "curve", None), ec.SECP256R1):
        raise TypeError(f"expected an ECDSA P-256 {kind.__name__}, got {type(key).__name__}")


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_key_to_pem(key: ec.EllipticCurvePrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with the library's best available scheme when a password is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_private_key_pem(data: bytes, password: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    """ValueError for a wrong password or bad data; TypeError for a missing password or another key type."""
    key = serialization.load_pem_private_key(data, password=password)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"expected an ECDSA P-256 private key, got {type(key).__name__}")
    _require_p256(key, ec.EllipticCurvePrivateKey)
    return key


def public_key_to_pem(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key_pem(data: bytes) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise TypeError(f"expected an ECDSA P-256 public key, got {type(key).__name__}")
    _require_p256(key, ec.EllipticCurvePublicKey)
    return key


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """First 16 hex characters of SHA-256 over the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def _encode_signature(der: bytes) -> str:
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode_signature(signature: object) -> bytes | None:
    """DER form of a raw r||s base64url signature, or None when the text is not exactly such a signature."""
    if not isinstance(signature, str) or not _SIGNATURE_TEXT.fullmatch(signature):
        return None
    try:
        raw = base64.urlsafe_b64decode(signature + "==")
    except (binascii.Error, ValueError):
        return None
    # Only the canonical spelling is accepted: 86 characters can end in bits the 64 bytes do not use.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != signature:
        return None
    return encode_dss_signature(
        int.from_bytes(raw[:_COORDINATE_BYTES], "big"), int.from_bytes(raw[_COORDINATE_BYTES:], "big")
    )


def verify_bytes(public_key: ec.EllipticCurvePublicKey, data: bytes, signature: str) -> bool:
    """True only for a valid signature of data by the key; False for anything malformed, never an error."""
    _require_p256(public_key, ec.EllipticCurvePublicKey)
    der = _decode_signature(signature)
    if der is None or not isinstance(data, bytes | bytearray | memoryview):
        return False
    try:
        public_key.verify(der, bytes(data), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_record(public_key: ec.EllipticCurvePublicKey, record: Mapping[str, Any], signature: str) -> bool:
    """Verify a signature over canonical_bytes(record); a record that cannot be canonicalised is False."""
    try:
        data = canonical_bytes(record)
    except (TypeError, ValueError):
        return False
    return verify_bytes(public_key, data, signature)


class Signer:
    """Signs records with one private key; the key id travels with every signature."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        _require_p256(private_key, ec.EllipticCurvePrivateKey)
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    def __repr__(self) -> str:
        return f"Signer(key_id={self.key_id!r})"

    @property
    def private_key(self) -> ec.EllipticCurvePrivateKey:
        return self._private_key

    def sign_bytes(self, data: bytes) -> str:
        return _encode_signature(self._private_key.sign(bytes(data), ec.ECDSA(hashes.SHA256())))

    def sign(self, record: Mapping[str, Any]) -> str:
        return self.sign_bytes(canonical_bytes(record))


class KeyRing:
    """Public keys by key id: every known key verifies; after rotate() the newest signer signs."""

    def __init__(self, public_keys: Iterable[ec.EllipticCurvePublicKey] = ()) -> None:
        self._keys: dict[str, ec.EllipticCurvePublicKey] = {}
        self._signer: Signer | None = None
        for public_key in public_keys:
            self.add(public_key)

    def add(self, public_key: ec.EllipticCurvePublicKey) -> str:
        _require_p256(public_key, ec.EllipticCurvePublicKey)
        kid = key_id(public_key)
        self._keys[kid] = public_key
        return kid

    def rotate(self, signer: Signer) -> str:
        """Make signer the current one; the previous keys stay in the ring and keep verifying."""
        self._signer = signer
        return self.add(signer.public_key)

    @property
    def signer(self) -> Signer | None:
        return self._signer

    def sign(self, record: Mapping[str, Any]) -> tuple[str, str]:
        """(key id, signature) by the newest signer."""
        if self._signer is None:
            raise LookupError("the key ring has no signing key; call rotate() first")
        return self._signer.key_id, self._signer.sign(record)

    def get(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        return self._keys.get(kid)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def verify(self, record: Mapping[str, Any], signature: str, key_id: str) -> bool:
        public_key = self._keys.get(key_id) if isinstance(key_id, str) else None
        return public_key is not None and verify_record(public_key, record, signature)

    def verify_bytes(self, data: bytes, signature: str, key_id: str) -> bool:
        public_key = self._keys.get(key_id) if isinstance(key_id, str) else None
        return public_key is not None and verify_bytes(public_key, data, signature)
