"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (W3C vc-di-eddsa): sign and check JSON-LD credentials.

The signed bytes are SHA-256 of the canonical proof options followed by SHA-256 of the canonical document, both
canonicalised with RDFC-1.0 over the bundled contexts (certificates.jsonld); the proof value is the raw Ed25519
signature as base58btc multibase. Any conforming verifier (the node test uses Digital Bazaar's) checks the same.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.didkey import base58btc_decode, base58btc_encode, key_from_verification_method, verification_method
from certificates.jsonld import CanonicalizationError, canonical_nquads

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PURPOSE = "assertionMethod"
_SIGNATURE_BYTES = 64


def xsd_datetime(moment: datetime) -> str:
    """`2026-05-20T02:00:00Z`: UTC to the second, as credentials and proofs write times."""
    if moment.utcoffset() is None:
        raise ValueError("the time must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof_options.items() if k != "proofValue"} | {"@context": document["@context"]}
    return hashlib.sha256(canonical_nquads(options)).digest() + hashlib.sha256(canonical_nquads(unsecured)).digest()


def sign(document: dict[str, Any], key: Ed25519PrivateKey, *, created: datetime) -> dict[str, Any]:
    """The document with a proof by `key`, whose did:key verification method the proof names.

    Ed25519 signatures are deterministic, so the same document, key and time always give the same proof.
    """
    if "proof" in document:
        raise ValueError("the document already carries a proof")
    proof: dict[str, Any] = {
        "type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "created": xsd_datetime(created),
        "verificationMethod": verification_method(key.public_key()), "proofPurpose": PURPOSE,
    }
    proof["proofValue"] = "z" + base58btc_encode(key.sign(_hash_data(document, proof)))
    return document | {"proof": proof}


def verify(document: dict[str, Any]) -> bool:
    """True when the document carries one eddsa-rdfc-2022 assertion proof by the did:key its issuer names.

    Says nothing of status (revocation) or of whether that issuer is trusted: the caller decides that.
    """
    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return False
    if proof.get("proofPurpose") != PURPOSE or not isinstance(proof.get("proofValue"), str):
        return False
    method = proof.get("verificationMethod")
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(method, str) or method.partition("#")[0] != issuer_id:
        return False
    try:
        public_key = key_from_verification_method(method)
        value = proof["proofValue"]
        signature = base58btc_decode(value[1:]) if value.startswith("z") else b""
        if len(signature) != _SIGNATURE_BYTES:
            return False
        public_key.verify(signature, _hash_data(document, proof))
    except (ValueError, KeyError, TypeError, RecursionError, InvalidSignature, CanonicalizationError):
        return False  # KeyError, TypeError: no @context, or one of the wrong shape
    return True
