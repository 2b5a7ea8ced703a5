"""The certificate end to end, as operators and verifiers would run it: signed PDF out of the registry, checked
by poppler's pdfsig, by the offline verifier with the exported trust bundle, and through its printed QR code."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from certificates.attachments import CREDENTIAL_FILE, embedded_files
from certificates.scan import scan_qr
from registry import create_app
from registry.cli import main
from registry.db import get_session
from registry.models import Certificate, User
from registry.services.actors import Actor
from registry.services.revocation import revoke_certificate
from tests import factories as f
from tests.conftest import new_database

JSON = {"Accept": "application/json"}

pytestmark = pytest.mark.slow

PDFSIG = shutil.which("pdfsig")
BASE_URL = "https://zscx.example.cn"


ROOT: dict[str, str] = {}  # the pinned root fingerprint of each registry, as `trust export` printed it


def run(app, *args: str, code: int = 0):
    env = {"REGISTRY_ROOT_SHA256": ROOT[app.name + str(id(app))]} if args[0] == "verify" else None
    result = app.test_cli_runner().invoke(main, list(args), catch_exceptions=False, env=env)
    assert result.exit_code == code, result.output
    return result.output


def pdfsig(path: Path) -> str:
    if PDFSIG is None:
        pytest.skip("pdfsig not installed (Debian: poppler-utils); .ci/run installs it")
    return subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, check=False).stdout


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A demo registry on SQLite with one certificate exported as PDF, the trust bundle and a status snapshot."""
    tmp = tmp_path_factory.mktemp("story")
    url, drop = new_database("sqlite", tmp)
    app = create_app({"DATABASE_URL": url, "MASTER_KEY": f.TEST_MASTER_KEY, "ENV": "development",
                      "BASE_URL": BASE_URL})
    run(app, "keys", "init")
    run(app, "standards", "sync")
    run(app, "demo")
    valid = [line.split("\t") for line in run(app, "certificates", "list").splitlines() if line.endswith("valid")]
    yield app, tmp, valid
    app.extensions["registry.engine"].dispose()
    app.extensions["registry.read_engine"].dispose()
    drop()


def export(app, tmp: Path, number: str) -> tuple[Path, Path]:
    pdf, bundle = tmp / f"{number}.pdf", tmp / "bundle.json"
    assert re.search(rf"{number}: [\d,]+ bytes written", run(app, "certificate", "pdf", number, "-o", str(pdf)))
    out = run(app, "trust", "export", "-o", str(bundle))
    ROOT[app.name + str(id(app))] = re.search(r"root SHA-256 ([0-9a-f]{64})", out).group(1)
    return pdf, bundle


def test_the_signed_pdf_passes_pdfsig_and_the_offline_verifier(registry):
    app, tmp, valid = registry
    number, name = valid[0][0], valid[0][1]
    pdf, bundle = export(app, tmp, number)

    report = pdfsig(pdf)
    assert "Signature is Valid." in report and "Total document signed" in report, report
    assert len(pdf.read_bytes()) <= 150_000

    out = run(app, "verify", str(pdf), "--trust", str(bundle))
    assert out.startswith("证书真实有效\nGENUINE")
    assert number in out and name in out
    assert "PDF signature valid, whole document signed" in out
    # Asking again gives the kept copy, byte for byte.
    again = tmp / "again.pdf"
    run(app, "certificate", "pdf", number, "-o", str(again))
    assert again.read_bytes() == pdf.read_bytes()


def test_the_printed_qr_code_scans_and_verifies_offline_and_online(registry):
    app, tmp, valid = registry
    number = valid[1][0]
    pdf, bundle = export(app, tmp, number)

    url = scan_qr(pdf.read_bytes())  # rendered by poppler, decoded by zxing-cpp

    assert url.startswith(f"{BASE_URL}/v/")
    out = run(app, "verify", "--qr", url, "--trust", str(bundle))
    assert "GENUINE" in out and number in out
    assert "the QR code drawn on the page" in run(app, "verify", str(pdf), "--trust", str(bundle), "--scan")
    answer = app.test_client().get(url.removeprefix(BASE_URL), headers=JSON).get_json()
    assert (answer["genuine"], answer["status"], answer["certificate"]["number"]) == (True, "valid", number)


def test_one_changed_byte_makes_pdfsig_and_the_verifier_fail(registry):
    app, tmp, valid = registry
    pdf, bundle = export(app, tmp, valid[2][0])
    data = bytearray(pdf.read_bytes())
    where = data.index(b"/Type /Catalog")  # inside the signed range, well away from the signature value
    data[where + 1] ^= 0x20
    tampered = tmp / "tampered.pdf"
    tampered.write_bytes(bytes(data))

    assert "Signature is Valid." not in pdfsig(tampered)
    out = run(app, "verify", str(tampered), "--trust", str(bundle), code=5)
    assert "TAMPERED" in out


def test_a_changed_qr_url_is_forged_or_unrecognised(registry):
    app, tmp, valid = registry
    pdf, bundle = export(app, tmp, valid[3][0])
    url = scan_qr(pdf.read_bytes())
    digits = url.rsplit("/", 1)[1]
    middle = len(digits) // 2
    forged = url[: len(url) - len(digits) + middle] + str((int(digits[middle]) + 1) % 10) + digits[middle + 1:]

    result = app.test_cli_runner().invoke(main, ["verify", "--qr", forged, "--trust", str(bundle)])

    assert result.exit_code in (2, 3, 4), result.output  # malformed, unknown key or forged: never 0
    assert "GENUINE" not in result.output


def test_a_certificate_from_another_registry_has_an_unknown_issuer(registry, tmp_path):
    app, tmp, valid = registry
    pdf, _ = export(app, tmp, valid[4][0])
    url, drop = new_database("sqlite", tmp_path)
    other = create_app({"DATABASE_URL": url, "MASTER_KEY": f.TEST_MASTER_KEY})
    try:
        run(other, "keys", "init")
        run(other, "trust", "export", "-o", str(tmp_path / "other.json"))
        # The verifier pins the real registry's root, so the other registry's bundle is refused outright...
        refused = app.test_cli_runner().invoke(main, ["verify", str(pdf), "--trust", str(tmp_path / "other.json")],
                                               env={"REGISTRY_ROOT_SHA256": ROOT[app.name + str(id(app))]})
        assert refused.exit_code == 1 and "not the pinned registry root" in refused.output
        # ...and under the other registry's own root, our certificate has an unknown issuer.
        ROOT[app.name + str(id(app))] = json.loads((tmp_path / "other.json").read_text())["root"]["sha256"]
        out = run(app, "verify", str(pdf), "--trust", str(tmp_path / "other.json"), code=3)
        assert "UNKNOWN ISSUER" in out
        out = run(app, "verify", "--qr", scan_qr(pdf.read_bytes()), "--trust", str(tmp_path / "other.json"), code=3)
        assert "UNKNOWN ISSUER" in out
    finally:
        export(app, tmp, valid[4][0])  # pin the real root again for the tests after this one
        other.extensions["registry.engine"].dispose()
        other.extensions["registry.read_engine"].dispose()
        drop()


def test_a_revoked_certificate_is_reported_with_a_status_snapshot(registry):
    app, tmp, valid = registry
    number = valid[5][0]
    pdf, bundle = export(app, tmp, number)
    url = scan_qr(pdf.read_bytes())
    with app.app_context():
        session = get_session()
        regulator = session.exec(select(User).where(User.username == "regulator")).one()
        revoke_certificate(session, number=number, reason="fraud", note="伪造申报材料", actor=Actor.of(regulator),
                           now=f.NOW)
    status = tmp / "status.json"
    assert "entries written" in run(app, "trust", "status", "-o", str(status))

    out = run(app, "verify", str(pdf), "--trust", str(bundle), "--status", str(status), code=7)
    assert out.startswith("证书已撤销\nREVOKED") and "fraud" in out
    assert "REVOKED" in run(app, "verify", "--qr", url, "--trust", str(bundle), "--status", str(status), code=7)
    credential, _ = credential_of(app, tmp, pdf)
    out = run(app, "verify", str(credential), "--trust", str(bundle), "--status", str(status), code=7)
    assert "REVOKED" in out and "fraud" in out
    # The PDF itself is still a genuine document; without a snapshot the verifier says it could not check status.
    assert "revocation was not checked" in run(app, "verify", str(pdf), "--trust", str(bundle))
    answer = app.test_client().get(url.removeprefix(BASE_URL), headers=JSON).get_json()
    assert (answer["genuine"], answer["status"]) == (True, "revoked")


def credential_of(app, tmp: Path, pdf: Path) -> tuple[Path, str]:
    """The Open Badges credential attached to the PDF, as a file, and its holder's ID number."""
    credential = json.loads(embedded_files(pdf.read_bytes())[CREDENTIAL_FILE])
    path = tmp / f"{pdf.stem}.credential.json"
    path.write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
    with app.app_context():
        number = credential["credentialSubject"]["licenseNumber"]
        holder = get_session().exec(select(Certificate).where(Certificate.number == number)).one()
        return path, holder.id_number


def test_the_credential_in_the_pdf_verifies_offline_against_the_bodys_key_in_the_bundle(registry):
    app, tmp, valid = registry
    number, name = valid[6][0], valid[6][1]
    pdf, bundle = export(app, tmp, number)
    path, id_number = credential_of(app, tmp, pdf)
    listed = json.loads(bundle.read_text())["credential_keys"]
    assert listed and all(entry["did"].startswith("did:key:z6Mk") for entry in listed)

    out = run(app, "verify", str(path), "--trust", str(bundle), "--id-number", id_number.lower())
    assert out.startswith("电子证书（Open Badges）真实有效\nGENUINE"), out
    assert number in out and name in out
    assert "eddsa-rdfc-2022 proof verifies" in out and "salted ID hash matches" in out
    issuer = json.loads(path.read_text())["issuer"]
    assert f"发证机构 issuer:      {issuer['name']}" in out and issuer["id"] in out

    someone_else = id_number[:-2] + ("00" if id_number[-2:] != "00" else "11")
    assert "MISMATCH" in run(app, "verify", str(path), "--trust", str(bundle), "--id-number", someone_else, code=6)
    changed = json.loads(path.read_text())
    changed["credentialSubject"]["identifier"][1]["identityHash"] = "王" + name
    forged = tmp / "forged.credential.json"
    forged.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    assert "FORGED" in run(app, "verify", str(forged), "--trust", str(bundle), code=4)
    # A bundle without the body's credential key (as another registry's would be) names no issuer for it.
    unlisted = json.loads(bundle.read_text())
    unlisted["credential_keys"] = []
    (tmp / "unlisted.json").write_text(json.dumps(unlisted, ensure_ascii=False), encoding="utf-8")
    refused = app.test_cli_runner().invoke(main, ["verify", str(path), "--trust", str(tmp / "unlisted.json")],
                                           env={"REGISTRY_ROOT_SHA256": ROOT[app.name + str(id(app))]})
    assert refused.exit_code == 1 and "signature does not verify" in refused.output  # the root signed the list


def test_a_pinned_root_that_differs_refuses_the_bundle(registry):
    app, tmp, valid = registry
    pdf, bundle = export(app, tmp, valid[0][0])
    result = app.test_cli_runner().invoke(main, ["verify", str(pdf), "--trust", str(bundle), "--root", "ab" * 32])
    assert result.exit_code == 1 and "not the pinned registry root" in result.output
    unpinned = app.test_cli_runner().invoke(main, ["verify", str(pdf), "--trust", str(bundle)], env={})
    assert unpinned.exit_code == 2 and "--root" in unpinned.output  # no pin, no verdict
