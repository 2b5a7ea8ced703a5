"""The certificate as a document: rendered from the signed record, signed (PAdES) by the issuing body.

A signed PDF is kept once made: the record is the source of truth and the PDF could be rendered again, but
a body that is suspended cannot sign, and its holders must still be able to download what it signed before.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session
from sqlmodel import Session

from certificates import FieldError
from certificates.attachments import CREDENTIAL_DESCRIPTION, CREDENTIAL_FILE, CREDENTIAL_MIME, attach_file
from certificates.pades import sign_pdf
from certificates.payload import qr_url
from certificates.pdf import CertificateDocument, render_certificate
from certificates.qr import qr_matrix
from certificates.record import CertificateRecord
from registry.errors import Conflict, Forbidden
from registry.models import Body, Certificate, CertificatePdf, pk
from registry.models.photo import CandidatePhoto
from registry.services.actors import Actor
from registry.services.badges import credential_json, signed_credential
from registry.services.issuance import get_certificate
from registry.services.keys import BodySigner, KeyVault, body_signer
from registry.services.validation import field_error


@dataclass(frozen=True)
class DocumentSettings:
    """How this deployment prints certificates."""

    base_url: str  # REGISTRY_BASE_URL: the QR opens {base_url}/v/...
    full_id: bool = False  # print the full ID number instead of the masked one

    @property
    def lookup_url(self) -> str:
        return f"{self.base_url}/verify"

    def body_lookup_url(self, credit_code: str) -> str:
        return f"{self.base_url}/bodies/{credit_code}"


def certificate_url(cert: Certificate, settings: DocumentSettings) -> str:
    """The URL in the certificate's QR code."""
    return qr_url(CertificateRecord.from_dict(cert.record), cert.key_id, cert.qr_signature, settings.base_url)


def render_unsigned(cert: Certificate, settings: DocumentSettings) -> bytes:
    """The certificate's PDF before signing: the same record always gives the same bytes."""
    record = CertificateRecord.from_dict(cert.record)
    url = certificate_url(cert, settings)
    try:
        return render_certificate(CertificateDocument(
            record=record, qr_modules=qr_matrix(url).modules, qr_url=url, photo=holder_photo(cert),
            show_full_id=settings.full_id, lookup_url=settings.lookup_url,
            body_lookup_url=settings.body_lookup_url(record.body_credit_code),
        ))
    except FieldError as err:
        raise field_error(err) from err


def holder_photo(cert: Certificate) -> bytes | None:
    """The photo stored for the candidate the certificate was issued to (a reissue keeps the candidate), read
    through the certificate's own session so that every caller of render_unsigned prints it."""
    session = object_session(cert)
    photo = session.get(CandidatePhoto, cert.candidate_id) if session is not None else None
    return photo.content if photo is not None else None


def sign_document(pdf: bytes, signing: BodySigner, *, now: datetime) -> bytes:
    return sign_pdf(pdf, key=signing.private_key, certificate=signing.certificate, chain=signing.chain,
                    reason="职业技能等级证书 Vocational skill level certificate", signed_at=now)


def require_document_access(actor: Actor, cert: Certificate) -> None:
    """The issuing body's staff and the regulator (the holder's own access comes through the holder portal)."""
    if actor.role in ("regulator", "system") or actor.body_id == cert.body_id:
        return
    raise Forbidden("certificate-not-yours", "只有发证机构和监管方可以下载此证书。",
                    "Only the issuing body and the regulator may download this certificate.")


def with_credential(session: Session, vault: KeyVault, cert: Certificate, pdf: bytes, *,
                    settings: DocumentSettings, now: datetime) -> bytes:
    """The unsigned PDF carrying the certificate's Open Badges credential as an attached file, for the PDF's own
    signature to cover (docs/open-badges.md)."""
    credential = signed_credential(session, vault, cert, base_url=settings.base_url, now=now)
    return attach_file(pdf, name=CREDENTIAL_FILE, data=credential_json(credential), mime_type=CREDENTIAL_MIME,
                       description=CREDENTIAL_DESCRIPTION)


def certificate_badge(
    session: Session, vault: KeyVault, *, number: str, actor: Actor, settings: DocumentSettings, now: datetime
) -> dict[str, Any]:
    """The certificate's signed Open Badges credential for its body's staff or the regulator, as for the PDF."""
    cert = get_certificate(session, number)
    require_document_access(actor, cert)
    credential = signed_credential(session, vault, cert, base_url=settings.base_url, now=now)
    session.commit()  # the body's credential key, if this was its first credential
    return credential


def certificate_pdf(
    session: Session, vault: KeyVault, *, number: str, actor: Actor, settings: DocumentSettings, now: datetime
) -> bytes:
    """The signed PDF of a certificate for its body's staff or the regulator."""
    cert = get_certificate(session, number)
    require_document_access(actor, cert)
    return signed_pdf(session, vault, cert, settings=settings, now=now)


def signed_pdf(session: Session, vault: KeyVault, cert: Certificate, *, settings: DocumentSettings,
               now: datetime) -> bytes:
    """The kept copy, or rendered and signed by the body now and kept. The caller has checked who may have it."""
    kept = session.get(CertificatePdf, pk(cert))
    if kept is not None:
        return kept.content
    if cert.status != "valid":
        # A fresh signature today on a revoked or superseded certificate would read as genuine offline.
        raise Conflict(
            "certificate-not-valid",
            "此证书已撤销或已被替代，不再签发新的电子证书；可扫码或在登记系统查验其状态。",
            "This certificate is revoked or superseded, so no new signed PDF is made; its status can be checked "
            "by its QR code or in the registry.",
        )
    body = session.get(Body, cert.body_id)
    assert body is not None  # noqa: S101  (foreign key)
    if body.status != "active":
        raise Conflict(
            "certificate-pdf-unavailable",
            f"评价机构「{body.name}」目前不能签名，此证书尚无已签名的 PDF；证书本身仍有效，可扫码或在登记系统查验。",
            f"'{body.name}' cannot sign at present and this certificate has no signed PDF yet; the certificate "
            "itself stays valid and can be checked by its QR code or in the registry.",
        )
    signing = body_signer(session, vault, body)
    pdf = sign_document(with_credential(session, vault, cert, render_unsigned(cert, settings), settings=settings,
                                        now=now), signing, now=now)
    session.add(CertificatePdf(certificate_id=pk(cert), key_id=signing.key_id,
                               sha256=hashlib.sha256(pdf).hexdigest(), content=pdf, created_at=now))
    try:
        session.commit()
    except IntegrityError:  # another request kept its copy first: serve that one
        session.rollback()
        kept = session.get(CertificatePdf, pk(cert))
        assert kept is not None  # noqa: S101  (the conflicting row)
        return kept.content
    return pdf
