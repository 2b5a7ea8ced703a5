"""The pure Open Badges pieces: did:key, eddsa-rdfc-2022 proofs over bundled contexts only, the holder hash, the
status list bits, the sealed Ed25519 key and the PDF attachment. The independent (node) check is in
tests/api/test_open_badges.py."""

from __future__ import annotations

import hashlib
import io
import json
import socket
from datetime import UTC, date, datetime, timedelta

import pytest
from reportlab.pdfgen import canvas

from certificates import Signer, data_integrity, generate_private_key
from certificates.attachments import attach_file, embedded_files
from certificates.badges import (
    Component,
    IssuerProfile,
    achievement_definition,
    credential_urn,
    holder_salt,
    identity_hash,
    open_badge_credential,
)
from certificates.credential_verifier import HEADLINES, verify_credential
from certificates.didkey import (
    base58btc_decode,
    base58btc_encode,
    did_key,
    generate_ed25519_key,
    key_from_verification_method,
    public_key_from_multibase,
    public_key_multibase,
    raw_public_key,
)
from certificates.jsonld import UnknownContext, bundled_context, canonical_nquads
from certificates.pki import (
    KeyDecryptionError,
    decrypt_ed25519_private_key,
    encrypt_ed25519_private_key,
    make_root_certificate,
)
from certificates.record import CertificateRecord
from certificates.status_list import LIST_SIZE, StatusPosition, bit_is_set, decode_bits, encode_bits, status_entry
from certificates.trust import (
    CredentialKeyEntry,
    StatusEntry,
    TrustError,
    build_bundle,
    build_status,
    fingerprint,
    load_bundle,
    load_status,
)
from certificates.verifier import Verdict

BASE = "https://zscx.example.cn"
ISSUED = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
RECORD = CertificateRecord(
    number="S000144440001264000001", holder_name="张伟", id_type="resident", id_type_label="居民身份证",
    id_number="11010519491231002X", occupation_code="6-31-01-03", occupation_name="电工", work_type="--", level=3,
    level_label="三级/高级工", standard="6-31-01-03@2018", standard_title="国家职业技能标准 电工（2018年版）",
    body_name="广东省电工技能评价中心", body_credit_code="52440100MJ0000017X",
    assessed_on=date(2026, 5, 10), issued_on=date(2026, 5, 20),
)
KEY = generate_ed25519_key()


def credential(key=KEY) -> dict:
    did = did_key(key.public_key())
    return open_badge_credential(
        RECORD, credential_id=credential_urn(BASE, RECORD.number, did),
        issuer=IssuerProfile(did, RECORD.body_name, f"{BASE}/bodies/{RECORD.body_credit_code}",
                             RECORD.body_credit_code),
        achievement=achievement_definition(RECORD, registry_url=BASE, registry_name="登记系统",
                                           components=[Component("理论知识考试", 60), Component("技能考核", 60)]),
        salt=holder_salt(b"s" * 32, RECORD.number),
        status=status_entry(f"{BASE}/api/v1/status-lists/k/0", StatusPosition.of(7)), issued_at=ISSUED,
    )


def test_base58_keeps_leading_zeros_and_refuses_other_characters():
    for data in (b"", b"\0", b"\0\0\x01\xff", bytes(range(40))):
        assert base58btc_decode(base58btc_encode(data)) == data
    with pytest.raises(ValueError):
        base58btc_decode("0OIl")


def test_a_did_key_is_the_public_key_itself():
    public = KEY.public_key()
    multibase = public_key_multibase(public)
    assert multibase.startswith("z6Mk") and did_key(public) == f"did:key:{multibase}"
    assert raw_public_key(public_key_from_multibase(multibase)) == raw_public_key(public)
    assert raw_public_key(key_from_verification_method(f"did:key:{multibase}#{multibase}")) == raw_public_key(public)
    with pytest.raises(ValueError):
        key_from_verification_method(f"did:key:{multibase}#other")


def test_a_signed_credential_verifies_and_every_change_breaks_it():
    signed = data_integrity.sign(credential(), KEY, created=ISSUED)
    assert data_integrity.verify(signed)
    assert data_integrity.sign(credential(), KEY, created=ISSUED) == signed  # deterministic
    for path, value in ((("credentialSubject", "licenseNumber"), "S000144440001264000002"),
                        (("issuer", "name"), "另一机构"), (("validFrom",), "2026-05-21T02:00:00Z"),
                        (("proof", "created"), "2026-05-21T02:00:00Z")):
        changed = data_integrity.sign(credential(), KEY, created=ISSUED)
        node = changed
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
        assert not data_integrity.verify(changed), path


def test_a_proof_by_a_key_other_than_the_issuers_is_refused():
    other = generate_ed25519_key()
    assert not data_integrity.verify(data_integrity.sign(credential(), other, created=ISSUED))


def test_contexts_are_never_fetched(monkeypatch):
    def no_network(*_args, **_kwargs):
        raise AssertionError("a JSON-LD context was fetched from the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    document = credential() | {"@context": ["https://www.w3.org/ns/credentials/v2", "https://example.org/ctx"]}
    with pytest.raises(Exception, match="Could not convert input"):
        canonical_nquads(document)
    assert not data_integrity.verify(document | {"proof": {"type": "DataIntegrityProof"}})
    with pytest.raises(UnknownContext):
        bundled_context("https://example.org/ctx")


def test_the_holder_hash_is_of_the_folded_id_number_and_the_salt():
    salt = holder_salt(b"s" * 32, RECORD.number)
    assert len(salt) == 32 and salt == holder_salt(b"s" * 32, RECORD.number)
    assert salt != holder_salt(b"s" * 32, "S000144440001264000002") != holder_salt(b"t" * 32, RECORD.number)
    expected = "sha256$" + hashlib.sha256(("11010519491231002X" + salt).encode()).hexdigest()
    assert identity_hash("11010519491231002x", salt) == expected
    assert identity_hash("１１０１０５１９４９１２３１００２Ｘ", salt) == expected  # full-width digits


def test_status_bits_count_from_the_first_bytes_highest_bit():
    bits = decode_bits(encode_bits([0, 9, LIST_SIZE - 1]))
    assert len(bits) == LIST_SIZE // 8 and bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    assert [i for i in range(16) if bit_is_set(bits, i)] == [0, 9]
    assert encode_bits([3]) == encode_bits([3]) and encode_bits([3]).startswith("u")
    assert StatusPosition.of(LIST_SIZE + 5) == StatusPosition(1, 5)
    with pytest.raises(ValueError):
        encode_bits([LIST_SIZE])


def test_an_ed25519_key_is_sealed_like_the_signing_keys():
    master = b"m" * 32
    blob = encrypt_ed25519_private_key(KEY, master, "credential-key:abc")
    opened = decrypt_ed25519_private_key(blob, master, "credential-key:abc")
    assert raw_public_key(opened.public_key()) == raw_public_key(KEY.public_key())
    with pytest.raises(KeyDecryptionError):
        decrypt_ed25519_private_key(blob, master, "credential-key:other")
    with pytest.raises(KeyDecryptionError):
        decrypt_ed25519_private_key(blob, b"n" * 32, "credential-key:abc")


def test_an_attached_file_is_an_update_after_the_rendered_bytes():
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, "certificate")
    page.showPage()
    page.save()
    pdf = out.getvalue()
    attached = attach_file(pdf, name="openbadge-credential.json", data=b'{"a": 1}', mime_type="application/ld+json",
                           description="test")
    assert attached.startswith(pdf)
    assert embedded_files(attached) == {"openbadge-credential.json": b'{"a": 1}'}
    assert embedded_files(pdf) == {}


def _bundle_with(entries, *, revoked: str | None = None):
    """A root-signed trust bundle listing these credential keys (and no signing key); with `revoked`, also a status
    snapshot by the same root listing that certificate number as revoked."""
    root_key = generate_private_key()
    root = make_root_certificate(root_key, common_name="测试根证书", not_before=ISSUED - timedelta(days=1),
                                 not_after=ISSUED + timedelta(days=3650))
    document = build_bundle(root=root, root_signer=Signer(root_key), keys=[], generated_at=ISSUED,
                            registry_url=BASE, credential_keys=entries)
    bundle = load_bundle(json.dumps(document, ensure_ascii=False), root_fingerprint=fingerprint(root))
    if revoked is None:
        return bundle
    snapshot = build_status(root_signer=Signer(root_key), generated_at=ISSUED, entries=[
        StatusEntry(number=revoked, status="revoked", since=ISSUED.date(), reason="fraud")])
    return bundle, load_status(json.dumps(snapshot, ensure_ascii=False), bundle)


def _entry(key, retired_at=None) -> CredentialKeyEntry:
    return CredentialKeyEntry(did=did_key(key.public_key()), body_name=RECORD.body_name,
                              credit_code=RECORD.body_credit_code, body_status="active",
                              created_at=ISSUED - timedelta(days=30), retired_at=retired_at)


def test_the_offline_verifier_trusts_a_credential_only_under_a_listed_key():
    signed = json.dumps(data_integrity.sign(credential(), KEY, created=ISSUED), ensure_ascii=False)
    bundle = _bundle_with([_entry(KEY)])
    assert bundle.credential_key(did_key(KEY.public_key())).credit_code == RECORD.body_credit_code

    report = verify_credential(signed, bundle, id_number="11010519491231002x")
    assert report.verdict is Verdict.GENUINE and report.exit_code == 0
    assert any(RECORD.body_name in line and RECORD.body_credit_code in line for line in report.lines())
    assert verify_credential(signed, bundle, id_number="110105194912310021").verdict is Verdict.MISMATCH
    assert verify_credential(signed, _bundle_with([_entry(generate_ed25519_key())])).verdict is Verdict.UNKNOWN_ISSUER
    # A key retired the day before the credential's date signed it after it stopped signing.
    retired = _bundle_with([_entry(KEY, retired_at=ISSUED - timedelta(days=1))])
    assert verify_credential(signed, retired).verdict is Verdict.FORGED
    assert verify_credential(b"%PDF-1.7", bundle).verdict is Verdict.MALFORMED
    assert verify_credential(b'{"type": ["VerifiableCredential"]}', bundle).verdict is Verdict.MALFORMED


OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#licenseNumber"


@pytest.mark.parametrize("rewrite", [
    lambda subject: subject.update(licenseNumber={"@value": subject["licenseNumber"]}),
    lambda subject: subject.update(licenseNumber=[subject["licenseNumber"], subject["licenseNumber"]]),
    lambda subject: subject.update({OB: subject.pop("licenseNumber")}),
], ids=["@value", "list", "full IRI"])
def test_a_signed_value_rewritten_in_another_json_ld_shape_is_still_the_signed_value(rewrite):
    """The proof covers the statements, not the JSON: the same statements written in another shape still verify,
    so the checks must read the signed number, or a revoked certificate could pass for one the snapshot lacks."""
    signed = data_integrity.sign(credential(), KEY, created=ISSUED)
    bundle, status = _bundle_with([_entry(KEY)], revoked=RECORD.number)
    assert verify_credential(json.dumps(signed), bundle, status).verdict is Verdict.REVOKED
    rewrite(signed["credentialSubject"])
    assert data_integrity.verify(signed)  # the same signed statements
    report = verify_credential(json.dumps(signed, ensure_ascii=False), bundle, status)
    assert report.verdict is Verdict.REVOKED and report.signed.number == RECORD.number


def test_hostile_json_gets_a_verdict_not_a_traceback():
    bundle = _bundle_with([_entry(KEY)])
    did = did_key(KEY.public_key())
    fake_proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod",
                  "verificationMethod": f"{did}#{did.removeprefix('did:key:')}", "proofValue": "z" + "2" * 88}
    cases = {
        b"[" * 100_000: Verdict.MALFORMED,
        b'{"type": 5}': Verdict.MALFORMED,
        b'{"type": true, "issuer": "x"}': Verdict.MALFORMED,
        json.dumps({"type": ["OpenBadgeCredential"], "issuer": did, "proof": fake_proof}): Verdict.FORGED,
        json.dumps({"type": ["OpenBadgeCredential"], "issuer": {"id": did}, "credentialSubject": "x",
                    "@context": 5, "proof": fake_proof}): Verdict.FORGED,
        json.dumps({"type": ["OpenBadgeCredential"], "issuer": ["x"]}): Verdict.UNKNOWN_ISSUER,
    }
    for data, verdict in cases.items():
        report = verify_credential(data, bundle)
        assert report.verdict is verdict, (data[:60], report)
        assert report.lines()[:2] == list(HEADLINES[verdict])  # printable, whatever the JSON held


def test_a_bundle_with_a_malformed_credential_key_is_refused():
    root_key = generate_private_key()
    root = make_root_certificate(root_key, common_name="测试根证书", not_before=ISSUED - timedelta(days=1),
                                 not_after=ISSUED + timedelta(days=3650))
    bad = CredentialKeyEntry(did="did:key:z6MkNotAKey", body_name="x", credit_code="y", body_status="active",
                             created_at=ISSUED, retired_at=None)
    document = build_bundle(root=root, root_signer=Signer(root_key), keys=[], generated_at=ISSUED,
                            registry_url=BASE, credential_keys=[bad])
    with pytest.raises(TrustError, match="credential key entry"):
        load_bundle(json.dumps(document), root_fingerprint=fingerprint(root))
    twice = build_bundle(root=root, root_signer=Signer(root_key), keys=[], generated_at=ISSUED, registry_url=BASE,
                         credential_keys=[_entry(KEY), _entry(KEY, retired_at=ISSUED)])
    with pytest.raises(TrustError, match="listed twice"):
        load_bundle(json.dumps(twice), root_fingerprint=fingerprint(root))
