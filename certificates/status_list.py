"""W3C Bitstring Status List: the revocation bits of credentials, one list per issuer key and block of indexes.

A certificate's index is fixed by its database id (list n holds ids n*LIST_SIZE to (n+1)*LIST_SIZE-1), so no index
needs storing and every export of one certificate points at the same bit.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from certificates.data_integrity import xsd_datetime
from certificates.jsonld import VC_V2

# The specification's minimum, 16 KiB: a list this long hides which credential a verifier asks about.
LIST_SIZE = 131_072
PURPOSE = "revocation"


@dataclass(frozen=True)
class StatusPosition:
    """Where one credential's bit is: list number and index within it."""

    list_number: int
    index: int

    @classmethod
    def of(cls, certificate_id: int) -> StatusPosition:
        if certificate_id < 0:
            raise ValueError("a certificate id is never negative")
        return cls(*divmod(certificate_id, LIST_SIZE))


def encode_bits(indexes: Iterable[int], size: int = LIST_SIZE) -> str:
    """The encodedList: a bitstring with these bits set (index 0 is the first byte's highest bit), gzipped,
    base64url without padding, multibase prefix `u`. gzip's time field is zero so the same bits encode alike."""
    bits = bytearray(size // 8)
    for index in indexes:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside the list (0 to {size - 1})")
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode_bits(encoded: str) -> bytes:
    """The bitstring an encodedList holds; ValueError for anything else."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("an encodedList is base64url multibase text starting with 'u'")
    body = encoded[1:]
    try:
        return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"the encodedList does not decode: {err}") from err


def bit_is_set(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_entry(list_url: str, position: StatusPosition) -> dict[str, Any]:
    """The credentialStatus a credential carries: which list, which bit, for revocation."""
    return {
        "id": f"{list_url}#{position.index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(position.index),
        "statusListCredential": list_url,
    }


def status_list_credential(*, list_url: str, issuer: str, revoked: Iterable[int], valid_from: datetime,
                           valid_until: datetime, ttl_ms: int) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential; its issuer must be the credentials' issuer (verifiers check)."""
    return {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": xsd_datetime(valid_from),
        "validUntil": xsd_datetime(valid_until),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode_bits(revoked),
            "ttl": ttl_ms,
        },
    }
