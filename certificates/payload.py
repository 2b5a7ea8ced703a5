"""From a certificate record to what its QR carries: the compact payload, its signature and its URL."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives.asymmetric import ec

from certificates.errors import FieldError
from certificates.fonts import unprintable_characters
from certificates.identifiers import mask_id
from certificates.qr import QrPayload, check_fits, pack, payload_url, sign_payload
from certificates.record import CertificateRecord

__all__ = [
    "MAX_BASE_URL", "payload_of", "qr_url", "require_issuable", "require_printable", "sign_record_payload",
    "signature_bytes", "signature_text",
]


def payload_of(record: CertificateRecord, kid: str) -> QrPayload:
    """The QR payload of a record: the holder's ID number masked, the standard reduced to its version."""
    return QrPayload(
        number=record.number,
        holder_name=record.holder_name,
        id_type=record.id_type,
        masked_id=mask_id(record.id_number),
        occupation_code=record.occupation_code,
        work_type=record.work_type,
        level=record.level,
        standard_version=record.standard.rpartition("@")[2],
        body_code=record.body_credit_code,
        issued_on=record.issued_on,
        key_id=kid,
    )


def sign_record_payload(record: CertificateRecord, key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    """The body's signature over the record's QR payload, as stored: base64url of raw r||s, no padding."""
    return signature_text(sign_payload(payload_of(record, kid), key))


def qr_url(record: CertificateRecord, kid: str, signature: str, base_url: str) -> str:
    """The URL printed in the QR code: the verify page with the signed payload in decimal."""
    return payload_url(base_url, pack(payload_of(record, kid), signature_bytes(signature)))


def signature_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def signature_bytes(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as err:
        raise ValueError("not a base64url signature") from err
    if len(raw) != 64 or signature_text(raw) != text:  # one spelling only, as for record signatures
        raise ValueError("a QR signature is 64 bytes in canonical base64url")
    return raw


# The longest REGISTRY_BASE_URL a deployment may set (config refuses longer): issuance checks every QR against it,
# so a certificate issued today still fits if the registry later moves to another address of this length.
MAX_BASE_URL = 64
_WORST_BASE_URL = "https://" + "x" * (MAX_BASE_URL - len("https://"))
_PLACEHOLDER_KEY_ID = "0" * 16


def require_issuable(record: CertificateRecord) -> None:
    """Everything a certificate prints exists in its fonts, and its QR code fits version 12-M (FieldError if not).

    The number may be a placeholder: only the texts change the size of the QR payload.
    """
    require_printable(holder_name=record.holder_name, body_name=record.body_name, work_type=record.work_type,
                      occupation_name=record.occupation_name, standard_title=record.standard_title)
    check_fits(payload_of(record, _PLACEHOLDER_KEY_ID), _WORST_BASE_URL)


def require_printable(**texts: str) -> None:
    """Refuse text the certificate font cannot draw, naming the field and the character: never an empty box."""
    for field, text in texts.items():
        missing = unprintable_characters(text)
        if missing:
            shown = "、".join(f"「{ch}」(U+{ord(ch):04X})" for ch in missing)
            shown_en = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in missing)
            raise FieldError(
                field, "unprintable-character",
                f"证书字体没有 {shown}，无法打印在证书上；请与登记机构联系处理生僻字。",
                f"The certificate font has no glyph for {shown_en}, so it cannot be printed; "
                "contact the registry about rare characters.",
            )
