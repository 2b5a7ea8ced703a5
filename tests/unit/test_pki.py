"""The registry PKI: master key text, private keys encrypted at rest, the root and body certificates."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID

from certificates import FieldError, make_uscc
from certificates.pki import (
    KeyDecryptionError,
    body_name_of,
    certificate_fingerprint,
    certificate_to_pem,
    credit_code_of,
    decrypt_private_key,
    encrypt_private_key,
    issue_signing_certificate,
    load_certificate_pem,
    make_root_certificate,
    master_key_fingerprint,
    new_master_key,
    parse_master_key,
)

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
BODY_NAME = "北京市职业技能鉴定指导中心"
CREDIT_CODE = make_uscc("12110000400000000")
# Test-only master key; any 32 bytes would do.
MASTER_KEY = bytes(range(32))
OTHER_MASTER_KEY = bytes(range(1, 33))
# Checked-in vectors: stored keys must keep opening after any change to this module. The fingerprint is also
# given by: openssl kdf -keylen 8 -kdfopt digest:SHA256 -kdfopt hexkey:000102...1f
#   -kdfopt info:skill-registry/master-key-fingerprint/v1 HKDF
MASTER_KEY_FINGERPRINT = "c1944dbf9583ab76"
# The test key of test_signing.py, encrypted once under MASTER_KEY for key id "c2c3b216a2d5be93".
VECTOR_SCALAR = 0x1D1F3A5B7C9E0F2143658799BBDDFF0011223344556677889900AABBCCDDEEFF
VECTOR_BLOB = base64.b64decode(
    "AXOI3cIGNRAbTWjUxazMPr/Uo0X6ahMHgg0aPgSY3cuG7bXrGG7RZkXqSOfppZyPrUmmp/g/r4qz4lN2n1b+mtN4I2EpKxk8G7za"
    "sLLsA9WukQCvCIQeBIq14CK2WD9XzxLYh4/bxNYlwKWIddFjq18cKrjJLhJmLR3lIJnX5TC+sSaXJO1NPjgCfmIQdARAOp1Mz7A0"
    "22dKR5adC8fgjMUbukI0soU="
)


@pytest.fixture(scope="module")
def root_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def root(root_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return make_root_certificate(
        root_key, common_name="技能证书登记根 CA", not_before=NOW, not_after=NOW + timedelta(days=3650)
    )


@pytest.fixture(scope="module")
def body_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def body_cert(
    root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate, body_key: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    return issue_signing_certificate(
        issuer_key=root_key,
        issuer_certificate=root,
        public_key=body_key.public_key(),
        body_name=BODY_NAME,
        credit_code=CREDIT_CODE,
        not_before=NOW + timedelta(minutes=5),
        not_after=NOW + timedelta(days=730),
    )


# Master key text


def test_new_master_key_parses_back_to_32_random_bytes() -> None:
    text = new_master_key()
    assert len(text) == 43 and "=" not in text
    raw = parse_master_key(text)
    assert len(raw) == 32
    assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == text
    assert parse_master_key(new_master_key()) != raw


def test_parse_master_key_ignores_a_key_files_newline() -> None:
    text = base64.urlsafe_b64encode(MASTER_KEY).rstrip(b"=").decode()
    assert parse_master_key(f"  {text}\n") == MASTER_KEY


@pytest.mark.parametrize(
    "text",
    [
        "",
        "too-short",
        base64.urlsafe_b64encode(MASTER_KEY).decode(),  # with '=' padding
        base64.b64encode(bytes([0xFB]) * 32).rstrip(b"=").decode(),  # standard alphabet: '+' and '/'
        base64.urlsafe_b64encode(bytes(48)).rstrip(b"=").decode(),  # 48 bytes
        "A" * 42 + "B",  # 43 characters whose last one sets bits past the 32 bytes
    ],
)
def test_parse_master_key_rejects_what_new_master_key_cannot_make(text: str) -> None:
    with pytest.raises(ValueError, match="43 base64url characters") as info:
        parse_master_key(text)
    if len(text) > 8:
        assert text not in str(info.value)  # a near-miss is still a secret


def test_parse_master_key_rejects_non_text() -> None:
    with pytest.raises(ValueError, match="master key"):
        parse_master_key(MASTER_KEY)  # type: ignore[arg-type]


def test_master_key_fingerprint_vector() -> None:
    assert master_key_fingerprint(MASTER_KEY) == MASTER_KEY_FINGERPRINT
    assert master_key_fingerprint(OTHER_MASTER_KEY) != MASTER_KEY_FINGERPRINT


def test_stored_blob_vector_still_opens() -> None:
    key = decrypt_private_key(VECTOR_BLOB, MASTER_KEY, "c2c3b216a2d5be93")
    assert key.private_numbers().private_value == VECTOR_SCALAR


def test_a_master_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        master_key_fingerprint(MASTER_KEY[:16])


# Private keys at rest


def _same_key(a: ec.EllipticCurvePrivateKey, b: ec.EllipticCurvePrivateKey) -> bool:
    return a.private_numbers() == b.private_numbers()


def test_encrypt_decrypt_round_trip(body_key: ec.EllipticCurvePrivateKey) -> None:
    blob = encrypt_private_key(body_key, MASTER_KEY, "a1b2c3d4e5f60718")
    assert _same_key(decrypt_private_key(blob, MASTER_KEY, "a1b2c3d4e5f60718"), body_key)


def test_a_memoryview_from_the_database_opens(body_key: ec.EllipticCurvePrivateKey) -> None:
    blob = encrypt_private_key(body_key, MASTER_KEY, "kid")
    assert _same_key(decrypt_private_key(memoryview(blob), MASTER_KEY, "kid"), body_key)  # type: ignore[arg-type]


def test_every_encryption_uses_a_new_nonce(body_key: ec.EllipticCurvePrivateKey) -> None:
    first = encrypt_private_key(body_key, MASTER_KEY, "kid")
    second = encrypt_private_key(body_key, MASTER_KEY, "kid")
    assert first != second
    assert first[1:13] != second[1:13]


def test_the_blob_does_not_contain_the_private_key(body_key: ec.EllipticCurvePrivateKey) -> None:
    blob = encrypt_private_key(body_key, MASTER_KEY, "kid")
    pkcs8 = body_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    scalar = body_key.private_numbers().private_value.to_bytes(32, "big")
    assert pkcs8 not in blob
    assert scalar not in blob
    assert scalar[:8] not in blob and scalar[-8:] not in blob
    # Version byte, 96-bit nonce, ciphertext as long as the DER, 16-byte tag.
    assert blob[0] == 1
    assert len(blob) == 1 + 12 + len(pkcs8) + 16


def test_wrong_master_key_is_refused(body_key: ec.EllipticCurvePrivateKey) -> None:
    blob = encrypt_private_key(body_key, MASTER_KEY, "kid")
    with pytest.raises(KeyDecryptionError, match="wrong master key"):
        decrypt_private_key(blob, OTHER_MASTER_KEY, "kid")


def test_a_blob_moved_to_another_key_id_is_refused(body_key: ec.EllipticCurvePrivateKey) -> None:
    blob = encrypt_private_key(body_key, MASTER_KEY, "kid-of-body-7")
    with pytest.raises(KeyDecryptionError):
        decrypt_private_key(blob, MASTER_KEY, "kid-of-body-8")


@pytest.mark.parametrize("position", [1, 6, 12, 13, 40, -17, -1])  # nonce, ciphertext, tag
def test_a_flipped_byte_is_refused(body_key: ec.EllipticCurvePrivateKey, position: int) -> None:
    blob = bytearray(encrypt_private_key(body_key, MASTER_KEY, "kid"))
    blob[position] ^= 0x01
    with pytest.raises(KeyDecryptionError):
        decrypt_private_key(bytes(blob), MASTER_KEY, "kid")


def test_an_unknown_version_or_a_short_blob_is_refused(body_key: ec.EllipticCurvePrivateKey) -> None:
    blob = encrypt_private_key(body_key, MASTER_KEY, "kid")
    with pytest.raises(KeyDecryptionError, match="format version 2"):
        decrypt_private_key(b"\x02" + blob[1:], MASTER_KEY, "kid")
    with pytest.raises(KeyDecryptionError, match="too short"):
        decrypt_private_key(blob[:28], MASTER_KEY, "kid")


def test_the_context_must_be_given(body_key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(ValueError, match="context"):
        encrypt_private_key(body_key, MASTER_KEY, "")


def test_only_p256_keys_are_encrypted() -> None:
    with pytest.raises(TypeError, match="P-256"):
        encrypt_private_key(ec.generate_private_key(ec.SECP384R1()), MASTER_KEY, "kid")


# Certificates


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension[x509.ExtensionType]:
    return cert.extensions.get_extension_for_oid(oid)


def test_root_is_a_self_signed_ca(root: x509.Certificate, root_key: ec.EllipticCurvePrivateKey) -> None:
    root.verify_directly_issued_by(root)
    assert root.subject == root.issuer
    assert root.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "CN"
    assert root.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "技能证书登记根 CA"
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "技能证书登记根 CA"
    constraints = _extension(root, ExtensionOID.BASIC_CONSTRAINTS)
    assert constraints.critical
    assert constraints.value == x509.BasicConstraints(ca=True, path_length=0)
    usage = _extension(root, ExtensionOID.KEY_USAGE)
    assert usage.critical
    assert isinstance(usage.value, x509.KeyUsage)
    assert usage.value.key_cert_sign and usage.value.crl_sign
    # digitalSignature: the root signs the trust bundle and status snapshots (docs/trust-bundle.md).
    assert usage.value.digital_signature and not usage.value.content_commitment
    assert _extension(root, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value == x509.SubjectKeyIdentifier.from_public_key(
        root_key.public_key()
    )
    assert isinstance(root.signature_hash_algorithm, hashes.SHA256)
    assert (root.not_valid_before_utc, root.not_valid_after_utc) == (NOW, NOW + timedelta(days=3650))


def test_serial_numbers_are_random(root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate) -> None:
    again = make_root_certificate(
        root_key, common_name="技能证书登记根 CA", not_before=NOW, not_after=NOW + timedelta(1)
    )
    assert again.serial_number != root.serial_number
    assert root.serial_number.bit_length() > 64


def test_body_certificate_chains_to_the_root(
    root: x509.Certificate, body_cert: x509.Certificate, body_key: ec.EllipticCurvePrivateKey
) -> None:
    body_cert.verify_directly_issued_by(root)
    assert body_cert.issuer == root.subject
    assert body_cert.public_key() == body_key.public_key()
    aki = _extension(body_cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    ski = _extension(root, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
    assert isinstance(aki, x509.AuthorityKeyIdentifier) and isinstance(ski, x509.SubjectKeyIdentifier)
    assert aki.key_identifier == ski.digest


def test_body_certificate_is_an_end_entity_for_signing_documents(body_cert: x509.Certificate) -> None:
    constraints = _extension(body_cert, ExtensionOID.BASIC_CONSTRAINTS)
    assert constraints.critical and constraints.value == x509.BasicConstraints(ca=False, path_length=None)
    usage = _extension(body_cert, ExtensionOID.KEY_USAGE)
    assert usage.critical
    assert isinstance(usage.value, x509.KeyUsage)
    assert usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign and not usage.value.key_encipherment
    # NSS (pdfsig, Firefox) checks PDF signers as e-mail signers: an EKU without emailProtection would fail.
    with pytest.raises(x509.ExtensionNotFound):
        body_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    _extension(body_cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER)


def test_body_certificate_names_the_body_and_its_credit_code(body_cert: x509.Certificate) -> None:
    subject = body_cert.subject
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "CN"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == BODY_NAME
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == BODY_NAME
    identifier = subject.get_attributes_for_oid(x509.ObjectIdentifier("2.5.4.97"))
    assert [a.value for a in identifier] == ["NTRCN-" + CREDIT_CODE]
    assert credit_code_of(body_cert) == CREDIT_CODE
    assert body_name_of(body_cert) == BODY_NAME


def test_root_has_no_credit_code(root: x509.Certificate) -> None:
    assert credit_code_of(root) is None
    assert body_name_of(root) == "技能证书登记根 CA"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verifies_the_chain(root: x509.Certificate, body_cert: x509.Certificate, tmp_path) -> None:
    (tmp_path / "root.pem").write_text(certificate_to_pem(root))
    (tmp_path / "body.pem").write_text(certificate_to_pem(body_cert))
    at = str(int((NOW + timedelta(days=1)).timestamp()))
    command = ["openssl", "verify", "-attime", at, "-CAfile", str(tmp_path / "root.pem"), str(tmp_path / "body.pem")]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    later = str(int((NOW + timedelta(days=800)).timestamp()))
    command[3] = later
    assert subprocess.run(command, capture_output=True, text=True, check=False).returncode != 0


def _issue(root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate, **overrides: object) -> x509.Certificate:
    arguments: dict[str, object] = {
        "issuer_key": root_key,
        "issuer_certificate": root,
        "public_key": ec.generate_private_key(ec.SECP256R1()).public_key(),
        "body_name": BODY_NAME,
        "credit_code": CREDIT_CODE,
        "not_before": NOW,
        "not_after": NOW + timedelta(days=1),
    }
    arguments.update(overrides)
    return issue_signing_certificate(**arguments)  # type: ignore[arg-type]


def test_the_credit_code_is_validated_and_normalised(
    root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate
) -> None:
    wrong_check = CREDIT_CODE[:17] + ("0" if CREDIT_CODE[17] != "0" else "1")
    with pytest.raises(FieldError) as info:
        _issue(root_key, root, credit_code=wrong_check)
    assert info.value.field == "credit_code"
    assert credit_code_of(_issue(root_key, root, credit_code=f" {CREDIT_CODE.lower()} ")) == CREDIT_CODE


def test_the_issuer_key_must_match_the_issuer_certificate(root: x509.Certificate) -> None:
    with pytest.raises(ValueError, match="not the key of issuer_certificate"):
        _issue(ec.generate_private_key(ec.SECP256R1()), root)


def test_only_a_ca_issues(body_key: ec.EllipticCurvePrivateKey, body_cert: x509.Certificate) -> None:
    with pytest.raises(ValueError, match="not a CA"):
        _issue(body_key, body_cert, not_before=NOW + timedelta(days=1), not_after=NOW + timedelta(days=2))


def test_validity_lies_within_the_roots(root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate) -> None:
    with pytest.raises(ValueError, match="within the issuer"):
        _issue(root_key, root, not_before=NOW - timedelta(seconds=1))
    with pytest.raises(ValueError, match="within the issuer"):
        _issue(root_key, root, not_after=NOW + timedelta(days=3650, seconds=1))
    # The root's end as a database returns it, with microseconds a certificate cannot hold.
    end = NOW + timedelta(days=3650, microseconds=250_000)
    assert _issue(root_key, root, not_after=end).not_valid_after_utc == NOW + timedelta(days=3650)


def test_a_long_body_name_is_kept_whole_in_the_organization(
    root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate
) -> None:
    long_name = "新疆维吾尔自治区人力资源和社会保障厅职业技能鉴定指导中心"  # 28 characters, 84 bytes of UTF-8
    cert = _issue(root_key, root, body_name=long_name)
    assert body_name_of(cert) == long_name
    common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert isinstance(common_name, str)
    assert common_name == long_name[:20] + "…"
    assert len(common_name.encode()) <= 64


def test_a_root_common_name_must_fit(root_key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(ValueError, match="at most 64"):
        make_root_certificate(
            root_key,
            common_name="职业技能等级认定证书登记系统根证书 Skill Certificate Registry Root CA",
            not_before=NOW,
            not_after=NOW + timedelta(days=1),
        )
    root = make_root_certificate(
        root_key,
        common_name="职业技能等级认定证书登记系统根证书",
        organization="职业技能等级认定证书登记系统 Skill Certificate Registry",
        not_before=NOW,
        not_after=NOW + timedelta(days=1),
    )
    assert body_name_of(root) == "职业技能等级认定证书登记系统 Skill Certificate Registry"


def test_bad_names_and_times_are_refused(root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate) -> None:
    with pytest.raises(ValueError, match="body name"):
        _issue(root_key, root, body_name="  ")
    with pytest.raises(ValueError, match="at most 64"):
        _issue(root_key, root, body_name="职" * 65)
    with pytest.raises(ValueError, match="timezone-aware"):
        _issue(root_key, root, not_before=datetime(2027, 1, 1))
    with pytest.raises(ValueError, match="earlier"):
        _issue(root_key, root, not_after=NOW)


def test_pem_round_trip_and_fingerprint(body_cert: x509.Certificate, root: x509.Certificate) -> None:
    pem = certificate_to_pem(body_cert)
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    assert load_certificate_pem(pem) == body_cert
    assert load_certificate_pem(pem.encode()) == body_cert
    der = body_cert.public_bytes(serialization.Encoding.DER)
    assert certificate_fingerprint(body_cert) == hashlib.sha256(der).hexdigest()
    assert certificate_fingerprint(body_cert) != certificate_fingerprint(root)
    with pytest.raises(ValueError, match="exactly one"):
        load_certificate_pem(pem + certificate_to_pem(root))
    with pytest.raises(ValueError, match="exactly one"):
        load_certificate_pem("not a certificate")
