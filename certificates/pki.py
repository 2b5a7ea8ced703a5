"""The registry's small PKI: a master key, private keys encrypted at rest, the root and body signing certificates."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

from certificates.identifiers import validate_uscc

MASTER_KEY_BYTES = 32
# 32 bytes are 43 base64url characters without padding.
_MASTER_KEY_TEXT = re.compile(r"[A-Za-z0-9_-]{43}")
# Distinct HKDF labels: the fingerprint reveals nothing about the encryption key.
_ENCRYPTION_INFO = b"skill-registry/private-key-encryption/v1"
_FINGERPRINT_INFO = b"skill-registry/master-key-fingerprint/v1"
_FINGERPRINT_BYTES = 8
_BLOB_VERSION = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16
# ETSI EN 319 412-1 5.1.4: "NTR" (national trade register), the country, a hyphen, the register's number.
CREDIT_CODE_PREFIX = "NTRCN-"
_NAME_MAX = 64  # ub-organization-name (RFC 5280), in characters
# cryptography caps a commonName at 64 bytes of UTF-8 (RFC 5280 says 64 characters): about 21 Chinese characters.
_COMMON_NAME_BYTES = 64


class KeyDecryptionError(ValueError):
    """An encrypted private key that does not open with this master key and context."""


def new_master_key() -> str:
    """32 random bytes as base64url text without padding: what MASTER_KEY or the key file holds."""
    return base64.urlsafe_b64encode(os.urandom(MASTER_KEY_BYTES)).rstrip(b"=").decode("ascii")


def parse_master_key(text: str) -> bytes:
    """The 32 bytes of a master key; surrounding whitespace (a key file's newline) is ignored."""
    # The message never repeats the text: it is a secret even when malformed.
    expected = "a master key is 43 base64url characters (A-Z a-z 0-9 - _, no '=' padding) as made by new_master_key()"
    if not isinstance(text, str):
        raise ValueError(f"{expected}; got {type(text).__name__}")
    text = text.strip()
    if not _MASTER_KEY_TEXT.fullmatch(text):
        raise ValueError(f"{expected}; got {len(text)} characters or characters outside that set")
    raw = base64.urlsafe_b64decode(text + "=")
    # 43 characters carry 258 bits; only the spelling whose last 2 bits are zero is accepted.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        raise ValueError(f"{expected}; the last character is not one new_master_key() could produce")
    return raw


def _check_master_key(master_key: bytes) -> None:
    if not isinstance(master_key, bytes) or len(master_key) != MASTER_KEY_BYTES:
        raise ValueError(f"the master key must be {MASTER_KEY_BYTES} bytes; parse it with parse_master_key()")


def _derive(master_key: bytes, info: bytes, length: int) -> bytes:
    _check_master_key(master_key)
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master_key)


def master_key_fingerprint(master_key: bytes) -> str:
    """16 hex characters identifying the master key, safe to store next to what it encrypted."""
    return _derive(master_key, _FINGERPRINT_INFO, _FINGERPRINT_BYTES).hex()


def _associated_data(context: str) -> bytes:
    if not isinstance(context, str) or not context:
        raise ValueError("the context (e.g. the key id) must be non-empty text")
    return _BLOB_VERSION + context.encode("utf-8")


def _require_p256(key: object, kind: type) -> None:
    if not isinstance(key, kind) or not isinstance(getattr(key, "curve", None), ec.SECP256R1):
        raise TypeError(f"expected an ECDSA P-256 {kind.__name__}, got {type(key).__name__}")


def encrypt_private_key(key: ec.EllipticCurvePrivateKey, master_key: bytes, context: str) -> bytes:
    """Version byte, 96-bit nonce, AES-256-GCM of the PKCS#8 DER; context is authenticated, so the blob only
    opens with the same context (the row's key id)."""
    _require_p256(key, ec.EllipticCurvePrivateKey)
    return _seal(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()), master_key, context)


def _seal(der: bytes, master_key: bytes, context: str) -> bytes:
    aad = _associated_data(context)
    nonce = os.urandom(_NONCE_BYTES)
    return _BLOB_VERSION + nonce + AESGCM(_derive(master_key, _ENCRYPTION_INFO, 32)).encrypt(nonce, der, aad)


def decrypt_private_key(blob: bytes, master_key: bytes, context: str) -> ec.EllipticCurvePrivateKey:
    """KeyDecryptionError for a wrong master key, a wrong context or damaged data (GCM cannot tell them apart;
    compare master_key_fingerprint() with the stored one to single out a wrong master key)."""
    key = serialization.load_der_private_key(_unseal(blob, master_key, context), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"expected an ECDSA P-256 private key, got {type(key).__name__}")
    _require_p256(key, ec.EllipticCurvePrivateKey)
    return key


def _unseal(blob: bytes, master_key: bytes, context: str) -> bytes:
    aad = _associated_data(context)
    encryption_key = _derive(master_key, _ENCRYPTION_INFO, 32)
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise TypeError(f"the encrypted private key must be bytes, got {type(blob).__name__}")
    blob = bytes(blob)  # some database drivers hand back a memoryview
    if len(blob) < 1 + _NONCE_BYTES + _TAG_BYTES:
        raise KeyDecryptionError("the encrypted private key is too short to be one")
    if blob[:1] != _BLOB_VERSION:
        raise KeyDecryptionError(f"the encrypted private key has an unknown format version {blob[0]}")
    nonce, ciphertext = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    try:
        der = AESGCM(encryption_key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise KeyDecryptionError(
            "the private key could not be decrypted: wrong master key, a blob from another key id, or damaged data"
        ) from None
    return der


def encrypt_ed25519_private_key(key: ed25519.Ed25519PrivateKey, master_key: bytes, context: str) -> bytes:
    """As encrypt_private_key, for the Ed25519 keys that sign credentials: the same blob format and cipher."""
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise TypeError(f"expected an Ed25519 private key, got {type(key).__name__}")
    return _seal(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()), master_key, context)


def decrypt_ed25519_private_key(blob: bytes, master_key: bytes, context: str) -> ed25519.Ed25519PrivateKey:
    """As decrypt_private_key, for an Ed25519 key."""
    key = serialization.load_der_private_key(_unseal(blob, master_key, context), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise TypeError(f"expected an Ed25519 private key, got {type(key).__name__}")
    return key


def _check_validity(not_before: datetime, not_after: datetime) -> None:
    # Naive datetimes would be read as UTC by cryptography; refuse them rather than guess.
    if not_before.utcoffset() is None or not_after.utcoffset() is None:
        raise ValueError("not_before and not_after must be timezone-aware")
    if not_before >= not_after:
        raise ValueError("not_before must be earlier than not_after")


def _check_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"the {what} must be non-empty text")
    value = value.strip()
    if len(value) > _NAME_MAX:
        raise ValueError(f"the {what} has {len(value)} characters; X.509 names allow at most {_NAME_MAX}")
    return value


def _utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def _short_common_name(name: str) -> str:
    """The name itself when it fits a commonName, else its longest head that fits with an ellipsis."""
    if _utf8_length(name) <= _COMMON_NAME_BYTES:
        return name
    head = name
    while _utf8_length(head) + _utf8_length("…") > _COMMON_NAME_BYTES:
        head = head[:-1]
    return head.rstrip() + "…"


def make_root_certificate(
    key: ec.EllipticCurvePrivateKey,
    *,
    common_name: str,
    not_before: datetime,
    not_after: datetime,
    organization: str | None = None,
) -> x509.Certificate:
    """Self-signed CA (path length 0) that signs body certificates, and with digitalSignature the registry's trust
    bundles and status snapshots; organization defaults to common_name."""
    _require_p256(key, ec.EllipticCurvePrivateKey)
    _check_validity(not_before, not_after)
    common_name = _check_name(common_name, "common name")
    if _utf8_length(common_name) > _COMMON_NAME_BYTES:
        raise ValueError(
            f"the common name takes {_utf8_length(common_name)} bytes in UTF-8; at most {_COMMON_NAME_BYTES} fit "
            "(about 21 Chinese characters): shorten it and pass the full name as organization"
        )
    organization = _check_name(organization, "organization") if organization is not None else common_name
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    public_key = key.public_key()
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(ski, critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def issue_signing_certificate(
    *,
    issuer_key: ec.EllipticCurvePrivateKey,
    issuer_certificate: x509.Certificate,
    public_key: ec.EllipticCurvePublicKey,
    body_name: str,
    credit_code: str,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """An evaluation body's document-signing certificate under the root.

    The subject's organizationName is the full body name (up to 64 characters); its commonName is the same name,
    shortened with "…" when longer than a commonName can be (64 bytes of UTF-8). The credit code is validated
    (FieldError) and carried as organizationIdentifier "NTRCN-<code>".

    No extended key usage: poppler (NSS) checks a PDF signer's certificate for the e-mail-signer usage, which
    an EKU list without emailProtection fails, and pyHanko asks for none; key usage already limits the key.
    """
    _require_p256(issuer_key, ec.EllipticCurvePrivateKey)
    _require_p256(public_key, ec.EllipticCurvePublicKey)
    _check_validity(not_before, not_after)
    body_name = _check_name(body_name, "body name")
    credit_code = validate_uscc(credit_code)
    issuer_public = issuer_certificate.public_key()
    if not isinstance(issuer_public, ec.EllipticCurvePublicKey) or issuer_public.public_numbers() != (
        issuer_key.public_key().public_numbers()
    ):
        raise ValueError("issuer_key is not the key of issuer_certificate")
    try:
        constraints = issuer_certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise ValueError("issuer_certificate is not a CA certificate")
    # Certificates keep whole seconds, so an issuer's end read back from a database may carry microseconds more.
    if (
        not_before.replace(microsecond=0) < issuer_certificate.not_valid_before_utc
        or not_after.replace(microsecond=0) > issuer_certificate.not_valid_after_utc
    ):
        raise ValueError("the signing certificate's validity must lie within the issuer's")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, body_name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, CREDIT_CODE_PREFIX + credit_code),
            x509.NameAttribute(NameOID.COMMON_NAME, _short_common_name(body_name)),
        ]
    )
    try:
        issuer_ski = issuer_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski)
    except x509.ExtensionNotFound:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(aki, critical=False)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _subject_value(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    attributes = certificate.subject.get_attributes_for_oid(oid)
    if len(attributes) != 1:
        return None
    value = attributes[0].value
    return value if isinstance(value, str) else None


def credit_code_of(certificate: x509.Certificate) -> str | None:
    """The 统一社会信用代码 in the subject's organizationIdentifier, or None when there is no NTRCN- one."""
    value = _subject_value(certificate, NameOID.ORGANIZATION_IDENTIFIER)
    if value is None or not value.startswith(CREDIT_CODE_PREFIX):
        return None
    return value[len(CREDIT_CODE_PREFIX) :]


def body_name_of(certificate: x509.Certificate) -> str | None:
    """The subject's organizationName: for a body certificate, the evaluation body's full name."""
    return _subject_value(certificate, NameOID.ORGANIZATION_NAME)


def certificate_to_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_certificate_pem(data: str | bytes) -> x509.Certificate:
    """ValueError for anything but exactly one PEM certificate."""
    raw = data.encode("ascii") if isinstance(data, str) else data
    if raw.count(b"-----BEGIN CERTIFICATE-----") != 1:
        raise ValueError("expected exactly one PEM certificate")
    return x509.load_pem_x509_certificate(raw)


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the DER certificate in lowercase hex (`openssl x509 -fingerprint -sha256`, without colons)."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
