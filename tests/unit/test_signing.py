"""Canonical record bytes and ECDSA P-256 signatures: checked-in vectors, tampering and key rotation."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from certificates import (
    ALGORITHM,
    KeyRing,
    Signer,
    canonical_bytes,
    generate_private_key,
    key_id,
    load_private_key_pem,
    load_public_key_pem,
    private_key_to_pem,
    public_key_to_pem,
    verify_bytes,
    verify_record,
)

# Test-only key from a fixed scalar; never used outside tests.
TEST_SCALAR = 0x1D1F3A5B7C9E0F2143658799BBDDFF0011223344556677889900AABBCCDDEEFF
TEST_PUBLIC_PEM = b"""-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEH31dXxTA/+EsQk/lbsqFMXs/H9ZM
hQrmggKH4ZyQqtL4RCIslTzbimnhiXvLq5n2CuVtXsT97TO+QTNx06BRFQ==
-----END PUBLIC KEY-----
"""
TEST_KEY_ID = "c2c3b216a2d5be93"  # also given by: openssl pkey -pubin -outform DER | sha256sum
VECTOR_RECORD = {"number": "Y000144123456263000001", "holder_name": "欧阳𪚥", "level": 3}
# Made once with the test key and checked with `openssl dgst -sha256 -verify` after DER re-encoding.
VECTOR_SIGNATURE = "xKl_YELGPO5Ck8cOB3QbCRnV5HpjTCxTQ4FnU7u6OW4A3VOwzffR_-13YQkfUhfQ5R-iBjxI_xY-YrmPAvl1Aw"


@pytest.fixture(scope="module")
def test_key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(TEST_SCALAR, ec.SECP256R1())


def test_canonical_bytes_exact() -> None:
    record = {
        "title": "职业技能等级证书",
        "holder_name": "阿依古丽·买买提",
        "level": 3,
        "work_type": "--",
        "revoked": False,
        "supersedes": None,
        "scores": (95, 60),
        "body": {"quote": 'a"b\\\n', "name": "Cafe\u0301 电工"},
    }
    assert canonical_bytes(record) == (
        b'{"body":{"name":"Caf\xc3\xa9 \xe7\x94\xb5\xe5\xb7\xa5","quote":"a\\"b\\\\\\n"},'
        b'"holder_name":"\xe9\x98\xbf\xe4\xbe\x9d\xe5\x8f\xa4\xe4\xb8\xbd\xc2\xb7\xe4\xb9\xb0\xe4\xb9\xb0\xe6\x8f\x90",'
        b'"level":3,"revoked":false,"scores":[95,60],"supersedes":null,'
        b'"title":"\xe8\x81\x8c\xe4\xb8\x9a\xe6\x8a\x80\xe8\x83\xbd\xe7\xad\x89\xe7\xba\xa7\xe8\xaf\x81\xe4\xb9\xa6",'
        b'"work_type":"--"}'
    )


def test_canonical_bytes_ignore_insertion_order_and_normalise_keys() -> None:
    assert canonical_bytes({"b": 1, "a": 2}) == canonical_bytes({"a": 2, "b": 1}) == b'{"a":2,"b":1}'
    assert canonical_bytes({"Cafe\u0301": 1}) == canonical_bytes({"Caf\u00e9": 1})
    with pytest.raises(ValueError, match="collide"):
        canonical_bytes({"Cafe\u0301": 1, "Caf\u00e9": 2})


@pytest.mark.parametrize(
    "value",
    [1.5, float("nan"), date(2026, 1, 1), b"bytes", {1, 2}, object()],
)
def test_canonical_bytes_refuses_other_types(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_bytes({"value": value})
    with pytest.raises(TypeError):
        canonical_bytes({"nested": [{"value": value}]})


def test_canonical_bytes_refuses_non_str_keys_and_unsafe_integers() -> None:
    with pytest.raises(TypeError):
        canonical_bytes({1: "one"})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        canonical_bytes({"big": 2**53})
    assert canonical_bytes({"big": 2**53 - 1, "t": True}) == b'{"big":9007199254740991,"t":true}'


def test_key_id_and_pem_vectors(test_key: ec.EllipticCurvePrivateKey) -> None:
    assert public_key_to_pem(test_key.public_key()) == TEST_PUBLIC_PEM
    assert key_id(load_public_key_pem(TEST_PUBLIC_PEM)) == TEST_KEY_ID
    assert Signer(test_key).key_id == TEST_KEY_ID


def test_checked_in_signature_verifies() -> None:
    public_key = load_public_key_pem(TEST_PUBLIC_PEM)
    assert verify_record(public_key, VECTOR_RECORD, VECTOR_SIGNATURE)
    assert not verify_record(public_key, {**VECTOR_RECORD, "level": 2}, VECTOR_SIGNATURE)


def test_sign_and_verify(test_key: ec.EllipticCurvePrivateKey) -> None:
    signer = Signer(test_key)
    signature = signer.sign(VECTOR_RECORD)
    assert ALGORITHM == "ES256"
    assert len(signature) == 86 and "=" not in signature
    assert len(base64.urlsafe_b64decode(signature + "==")) == 64
    assert verify_record(signer.public_key, VECTOR_RECORD, signature)
    assert verify_record(signer.public_key, dict(reversed(VECTOR_RECORD.items())), signature)
    assert verify_bytes(signer.public_key, canonical_bytes(VECTOR_RECORD), signature)
    assert verify_bytes(signer.public_key, b"raw", signer.sign_bytes(b"raw"))


def test_tampered_record_and_wrong_key_fail(test_key: ec.EllipticCurvePrivateKey) -> None:
    signature = Signer(test_key).sign(VECTOR_RECORD)
    assert not verify_record(test_key.public_key(), {**VECTOR_RECORD, "holder_name": "欧阳"}, signature)
    assert not verify_record(test_key.public_key(), {**VECTOR_RECORD, "extra": None}, signature)
    assert not verify_record(generate_private_key().public_key(), VECTOR_RECORD, signature)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "not a signature",
        VECTOR_SIGNATURE[:-1],
        VECTOR_SIGNATURE + "A",
        VECTOR_SIGNATURE + "==",
        VECTOR_SIGNATURE[:-1] + "x",  # same 64 bytes, but unused trailing bits set
        "A" * 86,  # r = s = 0
        "_" * 85 + "w",  # r and s beyond the curve order
        base64.urlsafe_b64encode(b"\x01" * 64).decode(),  # padded form
        None,
        b"bytes",
    ],
)
def test_malformed_signature_is_false_not_an_error(signature: object) -> None:
    public_key = load_public_key_pem(TEST_PUBLIC_PEM)
    assert verify_record(public_key, VECTOR_RECORD, signature) is False  # type: ignore[arg-type]
    assert verify_bytes(public_key, b"data", signature) is False  # type: ignore[arg-type]


def test_non_canonical_spelling_decodes_to_the_same_bytes() -> None:
    # Guards the case above: the lenient decoder maps both spellings to the same 64 bytes.
    assert VECTOR_SIGNATURE[-1] == "w"
    same = base64.urlsafe_b64decode(VECTOR_SIGNATURE[:-1] + "x==")
    assert same == base64.urlsafe_b64decode(VECTOR_SIGNATURE + "==")


def test_unsignable_record_verifies_false() -> None:
    assert verify_record(load_public_key_pem(TEST_PUBLIC_PEM), {"score": 60.5}, VECTOR_SIGNATURE) is False


def test_private_key_pem_round_trip(test_key: ec.EllipticCurvePrivateKey) -> None:
    plain = private_key_to_pem(test_key)
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key_id(load_private_key_pem(plain).public_key()) == TEST_KEY_ID
    encrypted = private_key_to_pem(test_key, b"correct horse")
    assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert key_id(load_private_key_pem(encrypted, b"correct horse").public_key()) == TEST_KEY_ID
    with pytest.raises(ValueError):
        load_private_key_pem(encrypted, b"wrong")
    with pytest.raises(TypeError):
        load_private_key_pem(encrypted)


def test_other_curves_are_refused() -> None:
    with pytest.raises(TypeError):
        Signer(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(TypeError):
        load_public_key_pem(public_key_to_pem(ec.generate_private_key(ec.SECP384R1()).public_key()))


def test_key_ring_rotation(test_key: ec.EllipticCurvePrivateKey) -> None:
    old, new = Signer(test_key), Signer(generate_private_key())
    ring = KeyRing()
    with pytest.raises(LookupError):
        ring.sign(VECTOR_RECORD)
    ring.rotate(old)
    old_kid, old_signature = ring.sign(VECTOR_RECORD)
    assert old_kid == TEST_KEY_ID
    ring.rotate(new)
    new_kid, new_signature = ring.sign(VECTOR_RECORD)
    assert new_kid == new.key_id != old_kid
    assert ring.key_ids == (old_kid, new_kid) and len(ring) == 2 and old_kid in ring
    assert ring.verify(VECTOR_RECORD, old_signature, old_kid)
    assert ring.verify(VECTOR_RECORD, new_signature, new_kid)
    assert not ring.verify(VECTOR_RECORD, old_signature, new_kid)
    assert not ring.verify(VECTOR_RECORD, old_signature, "0000000000000000")
    assert ring.verify_bytes(b"x", new.sign_bytes(b"x"), new_kid)


def test_key_ring_from_published_keys() -> None:
    ring = KeyRing([load_public_key_pem(TEST_PUBLIC_PEM)])
    assert ring.get(TEST_KEY_ID) is not None
    assert ring.verify(VECTOR_RECORD, VECTOR_SIGNATURE, TEST_KEY_ID)
    assert not ring.verify(VECTOR_RECORD, VECTOR_SIGNATURE, "unknown")
