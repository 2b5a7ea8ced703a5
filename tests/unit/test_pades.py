"""PAdES signatures on certificate PDFs: checked by poppler's pdfsig and by check_pdf_signature."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.pdfgen import canvas

from certificates import make_uscc
from certificates.pades import check_pdf_signature, sign_pdf
from certificates.pki import issue_signing_certificate, make_root_certificate

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
SIGNED_AT = NOW + timedelta(hours=1)
BODY_NAME = "Beijing Vocational Skill Evaluation Centre"
CREDIT_CODE = make_uscc("12110000400000000")
# Text in an uncompressed content stream, so a test can change one signed byte.
SIGNED_TEXT = b"Skill level 3"


@dataclass(frozen=True)
class Pki:
    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    body: x509.Certificate
    body_key: ec.EllipticCurvePrivateKey


def _pki(not_before: datetime, not_after: datetime) -> Pki:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = make_root_certificate(root_key, common_name="Test Registry Root", not_before=not_before, not_after=not_after)
    body_key = ec.generate_private_key(ec.SECP256R1())
    body = issue_signing_certificate(
        issuer_key=root_key,
        issuer_certificate=root,
        public_key=body_key.public_key(),
        body_name=BODY_NAME,
        credit_code=CREDIT_CODE,
        not_before=not_before,
        not_after=not_after,
    )
    return Pki(root, root_key, body, body_key)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return _pki(NOW, NOW + timedelta(days=365))


@pytest.fixture(scope="module")
def unsigned_pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1, pageCompression=0)
    page.setTitle("Vocational skill level certificate")
    page.drawString(72, 720, "Vocational skill level certificate")
    page.drawString(72, 700, SIGNED_TEXT.decode())
    page.showPage()
    page.save()
    return out.getvalue()


def _sign(pdf: bytes, pki: Pki, **options: object) -> bytes:
    arguments: dict[str, object] = {"signed_at": SIGNED_AT}
    arguments.update(options)
    return sign_pdf(pdf, key=pki.body_key, certificate=pki.body, chain=[pki.root], **arguments)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def signed_pdf(unsigned_pdf: bytes, pki: Pki) -> bytes:
    return _sign(unsigned_pdf, pki, reason="职业技能等级证书", location="北京")


def _pdfsig(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler's pdfsig is not installed (apt-get install poppler-utils)")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    # -no-ocsp: never go to the network; the certificates carry no OCSP address anyway.
    result = subprocess.run(["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True, check=False)
    return result.stdout + result.stderr


def _contents(pdf: bytes) -> tuple[int, int]:
    """Start and end of the CMS hex in /Contents, without the zero padding."""
    match = re.search(rb"/Contents <([0-9A-Fa-f]+)>", pdf)
    assert match is not None
    return match.start(1), match.start(1) + len(match.group(1).rstrip(b"0"))


def _flip_signed_text(pdf: bytes) -> bytes:
    assert pdf.count(SIGNED_TEXT) == 1
    return pdf.replace(SIGNED_TEXT, SIGNED_TEXT[:-1] + b"4")


# Signing


def test_signing_appends_an_incremental_update(unsigned_pdf: bytes, signed_pdf: bytes) -> None:
    assert signed_pdf.startswith(unsigned_pdf)
    # Certificates and signature fit a placeholder of a few KB, not pyHanko's default 16 KB.
    assert len(signed_pdf) - len(unsigned_pdf) < 8000


def test_pdfsig_accepts_the_signature(signed_pdf: bytes, tmp_path: Path) -> None:
    output = _pdfsig(signed_pdf, tmp_path)
    assert "Signature is Valid" in output
    assert "Total document signed" in output
    assert "ETSI.CAdES.detached" in output
    assert "SHA-256" in output
    assert f"Signer Certificate Common Name: {BODY_NAME}" in output
    assert f"NTRCN-{CREDIT_CODE}" in output


def test_pdfsig_sees_a_changed_byte(signed_pdf: bytes, tmp_path: Path) -> None:
    output = _pdfsig(_flip_signed_text(signed_pdf), tmp_path)
    assert "Signature #1" in output
    assert "Signature is Valid" not in output


def test_signature_is_pades_baseline_b(signed_pdf: bytes, pki: Pki) -> None:
    embedded = PdfFileReader(io.BytesIO(signed_pdf)).embedded_regular_signatures
    assert len(embedded) == 1
    signature = embedded[0]
    assert signature.field_name == "Signature1"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Reason"] == "职业技能等级证书"
    assert signature.sig_object["/Location"] == "北京"
    # Invisible: the widget has an empty rectangle.
    assert [float(x) for x in signature.sig_field["/Rect"]] == [0, 0, 0, 0]
    signer_info = signature.signer_info
    attributes = {attribute["type"].native: attribute["values"][0] for attribute in signer_info["signed_attrs"]}
    # B-B: the signing time lives in /M, not in a CMS signing-time attribute.
    assert set(attributes) == {"content_type", "message_digest", "signing_certificate_v2"}
    assert "signing_time" not in attributes
    body_der = pki.body.public_bytes(serialization.Encoding.DER)
    ess = attributes["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(body_der).digest()
    assert signer_info["digest_algorithm"]["algorithm"].native == "sha256"
    assert signer_info["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"
    signed_data = signature.signed_data
    embedded_certs = {c.chosen.dump() for c in signed_data["certificates"] if isinstance(c, cms.CertificateChoices)}
    assert embedded_certs == {body_der, pki.root.public_bytes(serialization.Encoding.DER)}
    assert signature.self_reported_timestamp == SIGNED_AT


def test_the_longest_names_fit_the_reserved_room(unsigned_pdf: bytes) -> None:
    root_key, body_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = make_root_certificate(
        root_key, common_name="职" * 21, organization="业" * 64, not_before=NOW, not_after=NOW + timedelta(days=9)
    )
    body = issue_signing_certificate(
        issuer_key=root_key,
        issuer_certificate=root,
        public_key=body_key.public_key(),
        body_name="技" * 64,
        credit_code=CREDIT_CODE,
        not_before=NOW,
        not_after=NOW + timedelta(days=9),
    )
    signed = _sign(unsigned_pdf, Pki(root, root_key, body, body_key))
    assert check_pdf_signature(signed, [root]).ok


def test_sign_refuses_a_key_that_is_not_the_certificates(unsigned_pdf: bytes, pki: Pki) -> None:
    with pytest.raises(ValueError, match="does not belong"):
        sign_pdf(unsigned_pdf, key=pki.root_key, certificate=pki.body, chain=[pki.root])


def test_sign_refuses_a_naive_time(unsigned_pdf: bytes, pki: Pki) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _sign(unsigned_pdf, pki, signed_at=datetime(2026, 11, 26, 9, 0))


def test_nothing_goes_to_the_network(unsigned_pdf: bytes, pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    signed = _sign(unsigned_pdf, pki)
    assert check_pdf_signature(signed, [pki.root]).ok


def test_signing_and_checking_work_inside_a_running_event_loop(signed_pdf: bytes, pki: Pki) -> None:
    # An async server or a browser driver runs a loop in this thread; pyHanko's own asyncio.run() moves aside.
    async def inside_a_loop() -> None:
        assert check_pdf_signature(signed_pdf, [pki.root]).ok
        twice = _sign(signed_pdf, pki, field_name="Signature2")
        assert check_pdf_signature(twice, [pki.root]).signature_count == 2

    asyncio.run(inside_a_loop())


# Checking


def test_check_accepts_the_signed_pdf(signed_pdf: bytes, pki: Pki) -> None:
    check = check_pdf_signature(signed_pdf, [pki.root])
    assert check.ok, check.problem
    assert (check.signed, check.intact, check.valid, check.trusted, check.covers_whole_document) == (True,) * 5
    assert check.signer == pki.body
    assert check.signed_at == SIGNED_AT
    assert check.signature_count == 1
    assert check.problem is None


def test_an_unrelated_root_is_not_trusted(signed_pdf: bytes) -> None:
    other = _pki(NOW, NOW + timedelta(days=365))  # same name as the real root, another key
    for roots in ([other.root], []):
        check = check_pdf_signature(signed_pdf, roots)
        assert check.signed and check.intact and check.valid and check.covers_whole_document
        assert not check.trusted and not check.ok
        assert check.problem == "the signer's certificate does not chain to a trusted root"


def test_the_root_among_others_is_enough(signed_pdf: bytes, pki: Pki) -> None:
    other = _pki(NOW, NOW + timedelta(days=365))
    assert check_pdf_signature(signed_pdf, [other.root, pki.root]).trusted


def test_a_changed_byte_breaks_the_signature(signed_pdf: bytes, pki: Pki) -> None:
    check = check_pdf_signature(_flip_signed_text(signed_pdf), [pki.root])
    assert check.signed
    assert not check.intact and not check.trusted and not check.ok
    assert check.problem is not None and "changed after it was signed" in check.problem


def test_a_changed_signature_value_is_invalid(signed_pdf: bytes, pki: Pki, tmp_path: Path) -> None:
    # The last bytes of the CMS are the ECDSA signature's s value.
    _, end = _contents(signed_pdf)
    digit = signed_pdf[end - 6 : end - 5]
    changed = signed_pdf[: end - 6] + (b"1" if digit != b"1" else b"2") + signed_pdf[end - 5 :]
    check = check_pdf_signature(changed, [pki.root])
    assert check.signed and check.intact
    assert not check.valid and not check.trusted and not check.ok
    assert check.problem == "the signature does not verify with the signer's certificate"
    assert "Signature is Valid" not in _pdfsig(changed, tmp_path)


def test_a_damaged_cms_is_reported_not_raised(signed_pdf: bytes, pki: Pki) -> None:
    start, _ = _contents(signed_pdf)
    damaged = signed_pdf[: start + 20] + b"FFFF" + signed_pdf[start + 24 :]
    check = check_pdf_signature(damaged, [pki.root])
    assert not check.ok and not check.intact
    assert check.problem and "damaged" in check.problem


def test_an_update_after_signing_is_not_covered(signed_pdf: bytes, pki: Pki, tmp_path: Path) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    writer.set_info(generic.DictionaryObject({generic.NameObject("/Title"): generic.TextStringObject("Forged")}))
    out = io.BytesIO()
    writer.write(out)
    updated = out.getvalue()
    assert updated.startswith(signed_pdf) and len(updated) > len(signed_pdf)
    check = check_pdf_signature(updated, [pki.root])
    assert check.intact and check.valid and check.trusted
    assert not check.covers_whole_document and not check.ok
    assert check.problem is not None and "added after the signature" in check.problem
    assert "Total document signed" not in _pdfsig(updated, tmp_path)


def test_the_last_of_two_signatures_is_reported(signed_pdf: bytes, pki: Pki) -> None:
    later = SIGNED_AT + timedelta(days=1)
    twice = _sign(signed_pdf, pki, field_name="Signature2", signed_at=later)
    check = check_pdf_signature(twice, [pki.root])
    assert check.ok, check.problem
    assert check.signature_count == 2
    assert check.signed_at == later


def test_chain_validity_is_judged_at_the_signing_time(unsigned_pdf: bytes) -> None:
    # Keys that expired long ago still verify what they signed while valid, as a certificate outlives its key.
    old = _pki(datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC))
    inside = _sign(unsigned_pdf, old, signed_at=datetime(2020, 6, 1, tzinfo=UTC))
    assert check_pdf_signature(inside, [old.root]).ok
    outside = check_pdf_signature(_sign(unsigned_pdf, old, signed_at=datetime(2021, 6, 1, tzinfo=UTC)), [old.root])
    assert outside.intact and outside.valid and not outside.trusted
    assert outside.problem is not None and "outside its validity period" in outside.problem


def test_an_unsigned_pdf(unsigned_pdf: bytes, pki: Pki) -> None:
    check = check_pdf_signature(unsigned_pdf, [pki.root])
    assert not check.signed and not check.ok
    assert check.problem == "the PDF has no signature"
    assert check.signer is None and check.signature_count == 0


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage", b"%PDF-1.7\n%%EOF\n", bytes(range(256)) * 40],
    ids=["empty", "text", "empty-pdf", "binary"],
)
def test_garbage_is_not_signed(data: bytes, pki: Pki) -> None:
    check = check_pdf_signature(data, [pki.root])
    assert not check.signed and not check.ok
    assert check.problem


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9, 0.99])
def test_a_truncated_signed_pdf_never_passes(signed_pdf: bytes, pki: Pki, fraction: float) -> None:
    check = check_pdf_signature(signed_pdf[: int(len(signed_pdf) * fraction)], [pki.root])
    assert not check.ok
    assert check.problem
