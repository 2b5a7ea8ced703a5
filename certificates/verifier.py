"""The offline verifier: is this PDF, or this QR URL, a genuine certificate? Needs only the trust bundle.

Checks, in order: the QR payload parses; its key is one the registry issued (trust bundle); the body's signature
over the payload verifies; for a PDF also the PAdES signature (intact, covering the whole file, chaining to the
registry root, by a key of the same body) and that the PDF and its QR say the same; finally, with a status
snapshot, whether the certificate was revoked or superseded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from enum import StrEnum
from io import BytesIO
from typing import Any

from certificates.pades import check_pdf_signature
from certificates.qr import PayloadError, QrPayload, parse_url, unpack, verify_payload_signature
from certificates.trust import KeyEntry, StatusSnapshot, TrustBundle
from standards.levels import LEVELS


class Verdict(StrEnum):
    GENUINE = "genuine"
    MALFORMED = "malformed"
    UNKNOWN_ISSUER = "unknown-issuer"
    FORGED = "forged"
    TAMPERED = "tampered"
    MISMATCH = "mismatch"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


# Exit status of `registry verify` per verdict: 0 only for a genuine certificate, a distinct code for each failure.
EXIT_CODES = {
    Verdict.GENUINE: 0, Verdict.MALFORMED: 2, Verdict.UNKNOWN_ISSUER: 3, Verdict.FORGED: 4,
    Verdict.TAMPERED: 5, Verdict.MISMATCH: 6, Verdict.REVOKED: 7, Verdict.SUPERSEDED: 8,
}

HEADLINES = {
    Verdict.GENUINE: ("证书真实有效", "GENUINE: the certificate is authentic"),
    Verdict.MALFORMED: ("无法识别：不是本登记系统的证书或二维码",
                        "NOT RECOGNISED: not a certificate or QR code of this registry"),
    Verdict.UNKNOWN_ISSUER: ("签发者未知：签名密钥不在信任清单中",
                             "UNKNOWN ISSUER: signed by a key the trust bundle does not list"),
    Verdict.FORGED: ("伪造：签名与内容不符", "FORGED: the signature does not match the content"),
    Verdict.TAMPERED: ("已被篡改：PDF 签名后被修改", "TAMPERED: the PDF was changed after it was signed"),
    Verdict.MISMATCH: ("不一致：PDF 与其二维码内容不同", "MISMATCH: the PDF and its QR code disagree"),
    Verdict.REVOKED: ("证书已撤销", "REVOKED: the certificate was revoked"),
    Verdict.SUPERSEDED: ("证书已被换发的新证书替代", "SUPERSEDED: the certificate was replaced by a reissued one"),
}


class Verdicted:
    """What a verifier's report of any kind answers: genuine or not, and the exit status `registry verify` gives."""

    verdict: Verdict

    @property
    def genuine(self) -> bool:
        return self.verdict is Verdict.GENUINE

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


@dataclass(frozen=True)
class Report(Verdicted):
    verdict: Verdict
    detail: str = ""  # one plain English sentence on what exactly failed or what was found
    payload: QrPayload | None = None
    issuer: KeyEntry | None = None
    checks: tuple[str, ...] = field(default=())  # what passed, in order

    def lines(self) -> list[str]:
        """What `registry verify` prints."""
        zh, en = HEADLINES[self.verdict]
        out = [f"{zh}", en]
        if self.detail:
            out.append(self.detail)
        if self.payload is not None and self.verdict is not Verdict.FORGED:
            p = self.payload
            out += [
                f"  证书编号 number:      {p.number}",
                f"  姓名 name:            {p.holder_name}",
                f"  证件号码 ID (masked): {p.masked_id}",
                f"  职业 occupation:      {p.occupation_code} ({p.standard_version})  工种 {p.work_type}",
                f"  等级 level:           {_level(p.level)}",
                f"  发证日期 issued:      {p.issued_on.isoformat()}",
            ]
        if self.issuer is not None:
            out.append(f"  发证机构 issuer:      {self.issuer.body_name} ({self.issuer.credit_code}), "
                       f"body {self.issuer.body_status}, key {self.issuer.key_id}")
        out += [f"  ✓ {check}" for check in self.checks]
        return out


def _level(digit: int) -> str:
    level = LEVELS.get(digit)
    return f"{level.label_zh} / {level.label_en}" if level else str(digit)


def _status_report(payload: QrPayload, issuer: KeyEntry, status: StatusSnapshot | None,
                   checks: list[str]) -> Report:
    if status is not None:
        entry = status.get(payload.number)
        if entry is not None and entry.status == "revoked":
            return Report(Verdict.REVOKED, f"Revoked on {entry.since.isoformat()} (reason: {entry.reason}); "
                          f"status snapshot of {status.generated_at:%Y-%m-%d %H:%M} UTC.", payload, issuer,
                          tuple(checks))
        if entry is not None and entry.status == "superseded":
            return Report(Verdict.SUPERSEDED, f"Replaced by {entry.successor} on {entry.since.isoformat()}.",
                          payload, issuer, tuple(checks))
        checks.append(f"not revoked or superseded as of {status.generated_at:%Y-%m-%d %H:%M} UTC (status snapshot)")
    return Report(Verdict.GENUINE, "" if status else "No status snapshot given: revocation was not checked.",
                  payload, issuer, tuple(checks))


def verify_payload(data: bytes, bundle: TrustBundle, status: StatusSnapshot | None = None) -> Report:
    """Check the bytes of a QR payload (docs/verification-format.md) against the trust bundle."""
    try:
        payload, signed, signature = unpack(data)
    except PayloadError as err:
        return Report(Verdict.MALFORMED, f"The QR payload is not valid: {err}")
    issuer = bundle.key(payload.key_id)
    if issuer is None:
        return Report(Verdict.UNKNOWN_ISSUER, f"Key {payload.key_id} is not in the trust bundle.", payload)
    if not verify_payload_signature(signed, signature, issuer.public_key):
        return Report(Verdict.FORGED, "The QR payload's signature is not valid for its content.", issuer=issuer)
    if issuer.credit_code != payload.body_code:
        return Report(Verdict.MISMATCH, f"The QR names body {payload.body_code}, but key {issuer.key_id} "
                      f"belongs to {issuer.credit_code}.", payload, issuer)
    problem = _outside_key_life(payload, issuer)
    if problem:
        return Report(Verdict.FORGED, problem, issuer=issuer)
    checks = [f"QR signed by {issuer.body_name}'s key {issuer.key_id}, issued by the registry root",
              "issue date within the key's life"]
    return _status_report(payload, issuer, status, checks)


_CHINA = timezone(timedelta(hours=8))


def _outside_key_life(payload: QrPayload, issuer: KeyEntry) -> str | None:
    """A key signs certificates dated while it is in use: a date before its certificate or after its retirement
    means someone holding an old key is dating certificates it never issued."""
    first = issuer.certificate.not_valid_before_utc.astimezone(_CHINA).date()
    last = issuer.certificate.not_valid_after_utc.astimezone(_CHINA).date()
    if issuer.retired_at is not None:
        last = min(last, issuer.retired_at.astimezone(_CHINA).date())
    if not first <= payload.issued_on <= last:
        return (f"Key {issuer.key_id} was in use from {first} to {last}, but the QR says the certificate was "
                f"issued on {payload.issued_on}.")
    return None


def verify_qr_url(url: str, bundle: TrustBundle, status: StatusSnapshot | None = None) -> Report:
    """Check the URL decoded from a certificate's QR code."""
    try:
        data = parse_url(url)
    except PayloadError as err:
        return Report(Verdict.MALFORMED, f"Not a certificate QR URL: {err}")
    return verify_payload(data, bundle, status)


_NUMBER = re.compile(r"\b[A-Z]\d{21}\b")


def pdf_facts(pdf: bytes) -> tuple[list[str], str | None]:
    """The link URIs on the first page and the certificate number in the document information, if any."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(pdf), strict=False)
    uris: list[str] = []
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    for annot in page.get("/Annots") or []:
        action: Any = annot.get_object().get("/A")
        uri = action.get_object().get("/URI") if action is not None else None
        if uri is not None:
            uris.append(str(uri))
    number = None
    info = reader.trailer_view.get("/Info")
    if info is not None:
        for value in info.get_object().values():
            found = _NUMBER.search(str(value))
            if found:
                number = found.group(0)
                break
    return uris, number


def verify_pdf(pdf: bytes, bundle: TrustBundle, status: StatusSnapshot | None = None,
               scanned_url: str | None = None) -> Report:
    """Check a certificate PDF: its PAdES signature, its QR payload, and that the two agree.

    `scanned_url` is the URL decoded from the drawn QR code (when the caller rasterised and scanned the page);
    it must equal the QR link embedded in the PDF.
    """
    check = check_pdf_signature(pdf, [bundle.root])
    if not check.signed:
        if not pdf.startswith(b"%PDF-"):
            return Report(Verdict.MALFORMED, "This is not a PDF file.")
        return Report(Verdict.FORGED, "The PDF carries no registry signature: it was not issued through the registry.")
    if not check.intact or not check.valid:
        return Report(Verdict.TAMPERED, check.problem or "The PDF's signature does not match its bytes.")
    if not check.covers_whole_document:
        return Report(Verdict.TAMPERED, "Something was added to the PDF after it was signed.")
    signer = bundle.entry_for_certificate(check.signer) if check.signer is not None else None
    if not check.trusted or signer is None:
        return Report(Verdict.UNKNOWN_ISSUER, "The PDF was signed by a certificate the trust bundle does not list.")
    checks = [f"PDF signature valid, whole document signed, by {signer.body_name} (key {signer.key_id}), "
              "chaining to the registry root"]
    try:
        uris, number = pdf_facts(pdf)
    except Exception as err:  # noqa: BLE001  (any unreadable structure is a malformed certificate)
        return Report(Verdict.MALFORMED, f"The PDF's structure cannot be read: {err}", issuer=signer)
    qr_uris = [u for u in uris if "/v/" in u]
    if len(qr_uris) != 1:
        return Report(Verdict.MALFORMED, "The PDF has no certificate QR link.", issuer=signer)
    if scanned_url is not None and scanned_url != qr_uris[0]:
        return Report(Verdict.MISMATCH, "The QR code drawn on the page is not the certificate's signed QR link.",
                      issuer=signer)
    report = verify_qr_url(qr_uris[0], bundle, status)
    if report.verdict in (Verdict.MALFORMED, Verdict.UNKNOWN_ISSUER, Verdict.FORGED, Verdict.MISMATCH):
        return report
    payload = report.payload
    assert payload is not None  # noqa: S101  (set for every other verdict)
    if signer.credit_code != payload.body_code:
        return Report(Verdict.MISMATCH, "The PDF was signed by another body than the one its QR names.",
                      payload, signer)
    if number != payload.number:
        return Report(Verdict.MISMATCH, f"The PDF is certificate {number}, its QR says {payload.number}.",
                      payload, signer)
    checks += list(report.checks)
    if scanned_url is not None:
        checks.append("the QR code drawn on the page decodes to the signed QR link")
    checks.append("the PDF and its QR code name the same certificate and body")
    return Report(report.verdict, report.detail, payload, signer, tuple(checks))
