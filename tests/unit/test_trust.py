"""The trust bundle, the status snapshot and the offline QR verifier, without a registry."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from certificates import Signer, generate_private_key, key_id, make_uscc
from certificates.pki import issue_signing_certificate, make_root_certificate
from certificates.qr import QrPayload, pack, payload_url, sign_payload
from certificates.trust import (
    KeyEntry,
    StatusEntry,
    TrustError,
    build_bundle,
    build_status,
    fingerprint,
    load_bundle,
    load_status,
)
from certificates.verifier import EXIT_CODES, Verdict, verify_qr_url

NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
BASE = "https://zscx.example.cn"
CODE = make_uscc("52440000MJL000207")


@dataclass
class Registry:
    root_key: object
    root: object
    body_key: object
    entry: KeyEntry


def _registry(retired_at: datetime | None = None) -> Registry:
    root_key, body_key = generate_private_key(), generate_private_key()
    root = make_root_certificate(root_key, common_name="测试根证书", not_before=NOW - timedelta(days=1),
                                 not_after=NOW + timedelta(days=3650))
    cert = issue_signing_certificate(issuer_key=root_key, issuer_certificate=root, public_key=body_key.public_key(),
                                     body_name="广州市职业技能评价中心", credit_code=CODE,
                                     not_before=NOW - timedelta(hours=1), not_after=NOW + timedelta(days=365))
    entry = KeyEntry(key_id=key_id(body_key.public_key()), certificate=cert, body_name="广州市职业技能评价中心",
                     credit_code=CODE, body_status="active", retired_at=retired_at)
    return Registry(root_key, root, body_key, entry)


def _bundle_json(reg: Registry) -> str:
    return json.dumps(build_bundle(root=reg.root, root_signer=Signer(reg.root_key), keys=[reg.entry],
                                   generated_at=NOW, registry_url=BASE), ensure_ascii=False)


def _payload(reg: Registry, **changes) -> QrPayload:
    fields = dict(number="S000144440101264000001", holder_name="欧阳明", id_type="resident",
                  masked_id="110105********002X", occupation_code="4-10-01-06", work_type="母婴护理员", level=4,
                  standard_version="2019", body_code=CODE, issued_on=date(2026, 5, 20), key_id=reg.entry.key_id)
    return QrPayload(**(fields | changes))


def _url(payload: QrPayload, key) -> str:
    return payload_url(BASE, pack(payload, sign_payload(payload, key)))


@pytest.fixture
def reg() -> Registry:
    return _registry()


def test_a_bundle_round_trips_and_pins_its_root(reg):
    bundle = load_bundle(_bundle_json(reg), root_fingerprint=fingerprint(reg.root))
    assert bundle.key(reg.entry.key_id).credit_code == CODE
    assert load_bundle(_bundle_json(reg), root_fingerprint=bundle.root_fingerprint.upper()).root == reg.root
    with pytest.raises(TrustError, match="pinned"):
        load_bundle(_bundle_json(reg), root_fingerprint="00" * 32)


def test_an_edited_bundle_is_refused(reg):
    data = json.loads(_bundle_json(reg))
    data["keys"][0]["body"]["status"] = "suspended"
    with pytest.raises(TrustError, match="signature does not verify"):
        load_bundle(json.dumps(data), root_fingerprint=fingerprint(reg.root))


def test_a_key_not_issued_by_the_root_is_refused_even_if_the_bundle_is_signed(reg):
    other = _registry()
    document = build_bundle(root=reg.root, root_signer=Signer(reg.root_key), keys=[other.entry], generated_at=NOW,
                            registry_url=BASE)
    with pytest.raises(TrustError, match="not issued by the registry root"):
        load_bundle(json.dumps(document), root_fingerprint=fingerprint(reg.root))


@pytest.mark.parametrize("text", ["", "[]", "{}", '{"format": "skill-registry-trust/1"}', "not json"])
def test_malformed_bundles_are_trust_errors(text):
    with pytest.raises(TrustError):
        load_bundle(text, root_fingerprint=None)


def test_a_genuine_qr_and_each_way_to_fail(reg):
    bundle = load_bundle(_bundle_json(reg), root_fingerprint=fingerprint(reg.root))
    good = _url(_payload(reg), reg.body_key)
    assert verify_qr_url(good, bundle).verdict is Verdict.GENUINE

    stranger = generate_private_key()
    unknown = _url(_payload(reg, key_id=key_id(stranger.public_key())), stranger)
    assert verify_qr_url(unknown, bundle).verdict is Verdict.UNKNOWN_ISSUER
    wrong_body = _url(_payload(reg, body_code=make_uscc("91110000MA01ABCDE")), reg.body_key)
    assert verify_qr_url(wrong_body, bundle).verdict is Verdict.MISMATCH
    assert verify_qr_url(BASE + "/v/12345", bundle).verdict is Verdict.MALFORMED
    # Forge: keep the signature, change the name (same length, so the layout still parses).
    genuine = _payload(reg)
    forged_payload = replace(genuine, holder_name="欧阳红")
    forged = payload_url(BASE, pack(forged_payload, sign_payload(genuine, reg.body_key)))
    report = verify_qr_url(forged, bundle)
    assert report.verdict is Verdict.FORGED and report.payload is None  # nothing of a forgery is echoed
    assert len({EXIT_CODES[v] for v in Verdict}) == len(Verdict) and EXIT_CODES[Verdict.GENUINE] == 0


def test_a_retired_key_verifies_what_it_signed_but_not_later_dates():
    reg = _registry(retired_at=datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    bundle = load_bundle(_bundle_json(reg), root_fingerprint=fingerprint(reg.root))
    before = _url(_payload(reg, issued_on=date(2026, 5, 30)), reg.body_key)
    after = _url(_payload(reg, issued_on=date(2026, 7, 1)), reg.body_key)
    assert verify_qr_url(before, bundle).verdict is Verdict.GENUINE
    report = verify_qr_url(after, bundle)
    assert report.verdict is Verdict.FORGED and "2026-07-01" in report.detail


def test_the_status_snapshot_tells_revoked_and_superseded(reg):
    bundle = load_bundle(_bundle_json(reg), root_fingerprint=fingerprint(reg.root))
    snapshot = build_status(root_signer=Signer(reg.root_key), generated_at=NOW, entries=[
        StatusEntry(number="S000144440101264000001", status="revoked", since=date(2026, 5, 21), reason="fraud"),
        StatusEntry(number="S000144440101264000002", status="superseded", since=date(2026, 5, 22),
                    successor="S000144440101264000009"),
    ])
    status = load_status(json.dumps(snapshot), bundle)
    revoked = verify_qr_url(_url(_payload(reg), reg.body_key), bundle, status)
    assert revoked.verdict is Verdict.REVOKED and "fraud" in revoked.detail
    superseded = verify_qr_url(_url(_payload(reg, number="S000144440101264000002"), reg.body_key), bundle, status)
    assert superseded.verdict is Verdict.SUPERSEDED and "S000144440101264000009" in superseded.detail
    fine = verify_qr_url(_url(_payload(reg, number="S000144440101264000003"), reg.body_key), bundle, status)
    assert fine.verdict is Verdict.GENUINE

    snapshot["certificates"].pop(0)  # hiding a revocation breaks the root's signature
    with pytest.raises(TrustError):
        load_status(json.dumps(snapshot), bundle)
    other = _registry()
    with pytest.raises(TrustError):  # a snapshot signed by another root
        load_status(json.dumps(build_status(root_signer=Signer(other.root_key), generated_at=NOW, entries=[])),
                    bundle)


def test_a_bundle_whose_entry_renames_the_body_is_refused(reg):
    renamed = KeyEntry(key_id=reg.entry.key_id, certificate=reg.entry.certificate, body_name="另一个机构",
                       credit_code=CODE, body_status="active", retired_at=None)
    document = build_bundle(root=reg.root, root_signer=Signer(reg.root_key), keys=[renamed], generated_at=NOW,
                            registry_url=BASE)
    with pytest.raises(TrustError, match="not the one its certificate names"):
        load_bundle(json.dumps(document), root_fingerprint=fingerprint(reg.root))


def test_a_status_snapshot_with_an_unknown_status_is_refused(reg):
    bundle = load_bundle(_bundle_json(reg), root_fingerprint=fingerprint(reg.root))
    snapshot = build_status(root_signer=Signer(reg.root_key), generated_at=NOW, entries=[
        StatusEntry(number="S000144440101264000001", status="suspended", since=date(2026, 5, 21))])
    with pytest.raises(TrustError, match="unknown status"):
        load_status(json.dumps(snapshot), bundle)
