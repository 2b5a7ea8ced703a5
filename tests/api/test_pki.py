"""The registry PKI against a real database: body keys under the root, rotation, who may sign, and private keys
that never appear unencrypted anywhere."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import inspect, text
from sqlmodel import select

from certificates import verify_record
from certificates.attachments import CREDENTIAL_FILE, embedded_files
from certificates.credential_verifier import verify_credential
from certificates.pades import check_pdf_signature
from certificates.pki import credit_code_of, load_certificate_pem, parse_master_key
from certificates.trust import fingerprint, load_bundle, load_status
from certificates.verifier import Verdict, verify_pdf, verify_qr_url
from registry.errors import Conflict, Forbidden
from registry.models import CredentialKey, SigningKey
from registry.services import issuance
from registry.services.actors import SYSTEM
from registry.services.bodies import change_body_status
from registry.services.credential_keys import private_key as credential_private_key
from registry.services.documents import DocumentSettings, certificate_pdf, certificate_url
from registry.services.key_rotation import rotate_body_key
from registry.services.keys import KeyVault, MasterKeyMismatch, body_signer, current_key, root_key
from registry.services.trust import status_snapshot, trust_bundle
from registry.services.verification import is_genuine
from tests import factories as f

JSON = {"Accept": "application/json"}

SETTINGS = DocumentSettings(base_url="https://zscx.example.cn")


def pdf_of(session, number: str) -> bytes:
    return certificate_pdf(session, f.VAULT, number=number, actor=SYSTEM, settings=SETTINGS, now=f.NOW)


def bundle_of(session):
    root = load_certificate_pem(root_key(session).certificate_pem)
    return load_bundle(json.dumps(trust_bundle(session, f.VAULT, now=f.NOW, registry_url=SETTINGS.base_url)),
                       root_fingerprint=fingerprint(root))


def test_filing_a_body_issues_its_signing_certificate_under_the_root(session):
    f.publish_catalogue(session)
    body = f.body(session)
    key, root = current_key(session, body.id), root_key(session)
    cert, root_cert = load_certificate_pem(key.certificate_pem), load_certificate_pem(root.certificate_pem)

    cert.verify_directly_issued_by(root_cert)
    assert cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value == body.name
    assert credit_code_of(cert) == body.credit_code
    assert key.retired_at is None and key.role == "body"


def test_rotation_signs_new_certificates_with_the_new_key_and_old_ones_keep_verifying(session):
    done = f.issued_batch(session, count=2)
    old_key = current_key(session, done.body.id)
    old_pdf = pdf_of(session, done.certificates[0].number)

    new_key = rotate_body_key(session, f.VAULT, body_id=done.body.id, actor=SYSTEM, now=f.NOW)
    more = f.submitted_batch(session, done.body, done.assessor, count=1, start=50)
    [fresh] = issuance.approve_batch(session, batch_id=more.id, approved_by=done.supervisor, vault=f.VAULT, now=f.NOW)

    assert new_key.key_id != old_key.key_id
    assert session.get(SigningKey, old_key.id).retired_at == f.NOW
    assert fresh.key_id == new_key.key_id and done.certificates[0].key_id == old_key.key_id
    assert is_genuine(session, done.certificates[0]) and is_genuine(session, fresh)
    bundle = bundle_of(session)
    assert bundle.key(old_key.key_id).retired_at == f.NOW and bundle.key(new_key.key_id).retired_at is None
    # What the old key signed, PDF and QR, still verifies against the bundle made after rotation.
    assert verify_pdf(old_pdf, bundle).verdict is Verdict.GENUINE
    assert verify_qr_url(certificate_url(done.certificates[1], SETTINGS), bundle).verdict is Verdict.GENUINE
    new_pdf = pdf_of(session, fresh.number)
    assert check_pdf_signature(new_pdf, [bundle.root]).signer == load_certificate_pem(new_key.certificate_pem)
    # The credential key turned over with it: the old PDF's credential names the retired did:key, the new one's
    # its successor, and the bundle vouches for both.
    old_credential, new_credential = (embedded_files(pdf)[CREDENTIAL_FILE] for pdf in (old_pdf, new_pdf))
    old_did, new_did = (json.loads(c)["issuer"]["id"] for c in (old_credential, new_credential))
    assert old_did != new_did
    assert bundle.credential_key(old_did).retired_at == f.NOW and bundle.credential_key(new_did).retired_at is None
    assert verify_credential(old_credential, bundle).verdict is Verdict.GENUINE
    assert verify_credential(new_credential, bundle).verdict is Verdict.GENUINE


def test_only_the_regulator_rotates_keys(session):
    done = f.issued_batch(session, count=1)
    with pytest.raises(Forbidden):
        rotate_body_key(session, f.VAULT, body_id=done.body.id, actor=done.supervisor, now=f.NOW)


def test_a_suspended_body_cannot_sign_but_what_it_signed_stays_available(session):
    done = f.issued_batch(session, count=2)
    kept = pdf_of(session, done.certificates[0].number)
    change_body_status(session, body_id=done.body.id, change="suspend", reason="检查", actor=SYSTEM, now=f.NOW)

    with pytest.raises(Conflict) as refused:
        body_signer(session, f.VAULT, done.body)
    assert refused.value.reason == "body-cannot-sign"
    assert pdf_of(session, done.certificates[0].number) == kept  # the copy signed before the suspension
    with pytest.raises(Conflict) as unavailable:
        pdf_of(session, done.certificates[1].number)
    assert unavailable.value.reason == "certificate-pdf-unavailable"
    assert "仍有效" in unavailable.value.message_zh

    change_body_status(session, body_id=done.body.id, change="reinstate", reason="整改完成", actor=SYSTEM, now=f.NOW)
    assert verify_pdf(pdf_of(session, done.certificates[1].number), bundle_of(session)).genuine


def test_another_bodys_staff_cannot_download_a_certificate(session):
    done = f.issued_batch(session, count=1)
    other = f.body(session)
    with pytest.raises(Forbidden):
        certificate_pdf(session, f.VAULT, number=done.certificates[0].number,
                        actor=f.staff(session, other, "body_admin"), settings=SETTINGS, now=f.NOW)


def test_a_wrong_master_key_is_named_and_signs_nothing(session):
    done = f.issued_batch(session, count=1)
    wrong = KeyVault(parse_master_key("A" * 43))
    with pytest.raises(MasterKeyMismatch, match="master key"):
        body_signer(session, wrong, done.body)


def _secrets(session) -> dict[str, bytes]:
    """Every private key of the registry in every form it could leak in."""
    found = {}
    for row in session.exec(select(SigningKey)):
        key = f.VAULT.open(row)
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        scalar = key.private_numbers().private_value.to_bytes(32, "big")
        found[f"{row.key_id} der"] = der
        found[f"{row.key_id} scalar"] = scalar
        found[f"{row.key_id} scalar hex"] = scalar.hex().encode()
        found[f"{row.key_id} der base64"] = base64.b64encode(der)
        found[f"{row.key_id} scalar base64url"] = base64.urlsafe_b64encode(scalar).rstrip(b"=")
    for row in session.exec(select(CredentialKey)):  # the bodies' Ed25519 keys for Open Badges credentials
        seed = credential_private_key(f.VAULT, row).private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        found[f"credential {row.key_id} seed"] = seed
        found[f"credential {row.key_id} seed hex"] = seed.hex().encode()
        found[f"credential {row.key_id} seed base64"] = base64.b64encode(seed)
    return found


def test_no_private_key_appears_unencrypted_in_the_database_logs_responses_or_exports(session, client, caplog):
    caplog.set_level(logging.DEBUG)
    done = f.issued_batch(session, count=3)
    pdf = pdf_of(session, done.certificates[0].number)
    rotate_body_key(session, f.VAULT, body_id=done.body.id, actor=SYSTEM, now=f.NOW)
    exports = [
        json.dumps(trust_bundle(session, f.VAULT, now=f.NOW, registry_url=SETTINGS.base_url)).encode(),
        json.dumps(status_snapshot(session, f.VAULT, now=f.NOW)).encode(),
        client.get("/.well-known/skill-registry/trust.json").get_data(),
        client.get("/.well-known/skill-registry/status.json").get_data(),
        client.get(certificate_url(done.certificates[1], SETTINGS).removeprefix(SETTINGS.base_url),
                   headers=JSON).get_data(),
        pdf,
    ]
    # The served files are the real, signed documents, and the bundle names the body's credential key.
    served = load_bundle(exports[2], root_fingerprint=None)
    load_status(exports[3], served)
    listed = session.exec(select(CredentialKey).where(CredentialKey.body_id == done.body.id)).all()
    assert len(listed) == 2  # the first, retired by the rotation, and its successor
    assert all(served.credential_key("did:key:" + row.public_key_multibase).credit_code == done.body.credit_code
               for row in listed)
    dump = bytearray()
    connection = session.connection()
    for table in inspect(connection).get_table_names():
        for row in connection.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608  (names from the schema)
            for value in row:
                dump += bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                dump += b"\0"
    logs = "\n".join(record.getMessage() for record in caplog.records).encode()

    secrets = _secrets(session)
    assert len(secrets) == 5 * 3 + 2 * 3  # the root, the body's first signing and credential keys and their successors
    for name, secret in secrets.items():
        assert secret not in dump, f"{name} found in the database"
        assert secret not in logs, f"{name} found in the logs"
        for index, blob in enumerate(exports):
            assert secret not in blob, f"{name} found in export {index}"


def test_the_record_signature_is_the_body_key_not_a_registry_key(session):
    done = f.issued_batch(session, count=1)
    cert = done.certificates[0]
    body_public = load_certificate_pem(current_key(session, done.body.id).certificate_pem).public_key()
    root_public = load_certificate_pem(root_key(session).certificate_pem).public_key()
    assert verify_record(body_public, cert.record, cert.signature)
    assert not verify_record(root_public, cert.record, cert.signature)
