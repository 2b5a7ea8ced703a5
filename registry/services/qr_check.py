"""The online check behind the QR code: is the payload in the URL genuine, and what is the certificate's status?

Certificate numbers are guessable, so personal details are shown only when the URL carries a valid signature
by a key the registry issued, over exactly what the registry holds for that number.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from certificates.payload import payload_of
from certificates.qr import PayloadError, QrPayload, from_digits, unpack, verify_payload_signature
from certificates.record import CertificateRecord
from registry.models import Certificate
from registry.services.keys import registry_key
from registry.services.verification import VerificationResult, lookup_certificate

# outcome -> (genuine, Chinese, English): what the person holding the phone reads first.
OUTCOMES: dict[str, tuple[bool, str, str]] = {
    "genuine": (True, "证书真实：签名有效，与登记记录一致。",
                "Genuine: the signature is valid and matches the registry's record."),
    "malformed": (False, "这不是本系统的证书二维码，或二维码内容不完整。",
                  "This is not one of this registry's certificate QR codes, or it is incomplete."),
    "unknown-key": (False, "签名密钥不是本登记系统签发的：证书不可信。",
                    "Signed with a key this registry never issued: the certificate cannot be trusted."),
    "forged": (False, "签名无效：二维码内容被篡改或伪造。",
               "The signature is invalid: the QR content was altered or forged."),
    "unknown-certificate": (False, "登记系统中没有这个证书编号。", "The registry has no certificate with this number."),
    "mismatch": (False, "二维码内容与登记记录不一致。", "The QR content does not match the registry's record."),
}


@dataclass(frozen=True)
class QrCheck:
    outcome: str
    payload: QrPayload | None = None  # set only when the signature checks out
    result: VerificationResult | None = None  # the registry's answer, with status, for a genuine payload

    @property
    def genuine(self) -> bool:
        return OUTCOMES[self.outcome][0]

    @property
    def message_zh(self) -> str:
        return OUTCOMES[self.outcome][1]

    @property
    def message_en(self) -> str:
        return OUTCOMES[self.outcome][2]


def check_qr(session: Session, digits: str) -> QrCheck:
    try:
        payload, signed, signature = unpack(from_digits(digits))
    except PayloadError:
        return QrCheck("malformed")
    key = registry_key(session, payload.key_id)
    if key is None:
        return QrCheck("unknown-key")
    public_key, key_body = key
    if not verify_payload_signature(signed, signature, public_key):
        return QrCheck("forged")
    result = lookup_certificate(session, payload.number)
    cert = session.exec(select(Certificate).where(Certificate.number == payload.number)).first()
    if result is None or cert is None:
        return QrCheck("unknown-certificate", payload)
    if (key_body != cert.body_id or not result.genuine
            or payload_of(CertificateRecord.from_dict(cert.record), cert.key_id) != payload):
        # Signed by another body's key, a stored record that no longer matches its signature, or text the
        # registry never issued under this number: not the certificate the registry holds.
        return QrCheck("mismatch", payload)
    return QrCheck("genuine", payload, result)
