"""Ed25519 keys as Multikey and did:key: how a credential names its issuer so that any verifier resolves it offline.

did:key puts the public key itself in the identifier (multicodec ed25519-pub, base58btc multibase), so checking a
credential needs no registry, DNS or web server: the identifier is the key.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub, as an unsigned varint
_PUBLIC_KEY_BYTES = 32


def base58btc_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_BASE58[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """ValueError for a character outside the base58 alphabet."""
    number = 0
    for char in text:
        index = _BASE58.find(char)
        if index < 0:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def generate_ed25519_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_multibase(key: Ed25519PublicKey) -> str:
    """`z6Mk…`: the Multikey publicKeyMultibase of an Ed25519 public key."""
    return "z" + base58btc_encode(_ED25519_PUB + raw_public_key(key))


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    """ValueError for anything but a base58btc multibase Ed25519 Multikey."""
    if not isinstance(text, str) or not text.startswith("z"):
        raise ValueError("an Ed25519 Multikey is base58btc multibase text starting with 'z'")
    data = base58btc_decode(text[1:])
    if len(data) != len(_ED25519_PUB) + _PUBLIC_KEY_BYTES or not data.startswith(_ED25519_PUB):
        raise ValueError("not an Ed25519 public key (multicodec ed25519-pub, 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(data[len(_ED25519_PUB):])


def did_key(key: Ed25519PublicKey) -> str:
    return "did:key:" + public_key_multibase(key)


def verification_method(key: Ed25519PublicKey) -> str:
    """`did:key:z6Mk…#z6Mk…`: the key's one verification method in its DID document."""
    multibase = public_key_multibase(key)
    return f"did:key:{multibase}#{multibase}"


def key_from_verification_method(url: str) -> Ed25519PublicKey:
    """The public key a did:key verification method names; ValueError when the URL is not one."""
    did, _, fragment = url.partition("#")
    if not did.startswith("did:key:") or fragment != did.removeprefix("did:key:"):
        raise ValueError(f"{url!r} is not a did:key verification method (did:key:z…#z…)")
    return public_key_from_multibase(fragment)


def credential_key_id(key: Ed25519PublicKey) -> str:
    """First 16 hex characters of SHA-256 over the raw public key: a short name for URLs and the database."""
    return hashlib.sha256(raw_public_key(key)).hexdigest()[:16]
