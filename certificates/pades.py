"""PAdES baseline B-B signatures on certificate PDFs with pyHanko, and their offline validation."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import ParamSpec, TypeVar

from asn1crypto import cms as asn1_cms
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp as asn1_tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

P = ParamSpec("P")
T = TypeVar("T")

SIGNATURE_FIELD = "Signature1"
_log = logging.getLogger(__name__)
# DER bytes of the CMS besides the certificates and the issuer name and serial (which appear twice: to identify
# the signer and in the ESS attribute): about 325, with the ECDSA signature up to 72. Unused room is zero
# padding in /Contents, so the margin stays modest.
_RESERVE_OTHER = 512


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _asn1_private_key(key: ec.EllipticCurvePrivateKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


# asn1crypto deep-copies a parsed value each time it is nested in another, so building this attribute the
# usual way costs milliseconds; it depends on the certificate alone, so it is built once, kept as DER, and
# nested in its loaded (unparsed) form.
@functools.lru_cache(maxsize=256)
def _signing_certificate_attribute(certificate_der: bytes) -> bytes:
    value = as_signing_certificate_v2(asn1_x509.Certificate.load(certificate_der)).dump()
    return asn1_cms.CMSAttribute(
        {"type": "signing_certificate_v2", "values": [asn1_tsp.SigningCertificateV2.load(value)]}
    ).dump()


class _PadesSigner(signers.SimpleSigner):
    """SimpleSigner with the PAdES B-B signed attributes (content type, message digest, ESS
    signing-certificate-v2) assembled from cached DER: about 4 ms less per signature than pyHanko's generic path."""

    async def signed_attrs(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        attr_settings: PdfCMSSignedAttributes | None = None,
        content_type: str = "data",
        use_pades: bool = False,
        timestamper: object = None,
        dry_run: bool = False,
        is_pdf_sig: bool = True,
    ) -> asn1_cms.CMSAttributes:
        if not use_pades or timestamper is not None or content_type != "data" or self.signing_cert is None:
            return await super().signed_attrs(
                data_digest,
                digest_algorithm,
                attr_settings=attr_settings,
                content_type=content_type,
                use_pades=use_pades,
                timestamper=timestamper,
                dry_run=dry_run,
                is_pdf_sig=is_pdf_sig,
            )
        attributes = asn1_cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", content_type),
                simple_cms_attribute("message_digest", data_digest),
                asn1_cms.CMSAttribute.load(_signing_certificate_attribute(self.signing_cert.dump())),
            ]
        )
        # Handed on unparsed for the same reason: the SignerInfo nests it again.
        return asn1_cms.CMSAttributes.load(attributes.dump())


class _TimedPdfSigner(signers.PdfSigner):
    """pyHanko takes the signing time from the clock (pyHanko issue #569); this one uses a given time."""

    def __init__(
        self,
        signature_meta: signers.PdfSignatureMetadata,
        signer: signers.Signer,
        *,
        new_field_spec: fields.SigFieldSpec,
        signing_time: datetime,
    ) -> None:
        super().__init__(signature_meta, signer, new_field_spec=new_field_spec)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


def _off_the_loop(function: Callable[P, T]) -> Callable[P, T]:
    """pyHanko runs asyncio.run() inside, which fails in a thread whose event loop is running (an async server,
    a browser driver); there the call moves to a short-lived worker thread, elsewhere it runs as it is."""

    @functools.wraps(function)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return function(*args, **kwargs)
        with ThreadPoolExecutor(max_workers=1) as worker:
            return worker.submit(function, *args, **kwargs).result()

    return call


@_off_the_loop
def sign_pdf(
    pdf: bytes,
    *,
    key: ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    reason: str | None = None,
    location: str | None = None,
    signed_at: datetime | None = None,
    field_name: str = SIGNATURE_FIELD,
) -> bytes:
    """The PDF with an invisible PAdES B-B signature (ETSI.CAdES.detached, SHA-256) appended as an incremental
    update. The signer's certificate and chain are embedded; nothing is fetched from the network.

    signed_at (default now) is the self-declared signing time, not a trusted timestamp.
    """
    if signed_at is None:
        signed_at = datetime.now(UTC)
    elif signed_at.utcoffset() is None:
        raise ValueError("signed_at must be timezone-aware")
    if certificate.public_key() != key.public_key():
        raise ValueError("the key does not belong to the certificate")
    signing_cert = _asn1_certificate(certificate)
    chain_certs = [_asn1_certificate(c) for c in chain if c != certificate]
    signer = _PadesSigner(
        signing_cert=signing_cert,
        signing_key=_asn1_private_key(key),
        cert_registry=SimpleCertificateStore.from_certs(chain_certs),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    pdf_signer = _TimedPdfSigner(
        metadata,
        signer,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name),  # no box: an invisible field
        signing_time=signed_at.astimezone(UTC),
    )
    # Reserving the size outright skips pyHanko's estimate, which signs a dummy CMS first. pyHanko counts the
    # reservation in hex digits, two per DER byte.
    tbs = signing_cert["tbs_certificate"]
    names = 2 * (len(tbs["issuer"].dump()) + len(tbs["serial_number"].dump()))
    reserved = 2 * (len(signing_cert.dump()) + sum(len(c.dump()) for c in chain_certs) + names + _RESERVE_OTHER)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    output = BytesIO()
    pdf_signer.sign_pdf(writer, bytes_reserved=reserved, output=output)
    return output.getvalue()


@dataclass(frozen=True)
class PdfSignatureCheck:
    """What a reader of the PDF can rely on. trusted implies intact and valid; ok is the one answer to act on."""

    signed: bool
    intact: bool = False  # the signed bytes hash to the digest in the signature
    valid: bool = False  # the signature over that digest verifies with the signer's certificate
    trusted: bool = False  # the signer's certificate chains to one of the given roots at the signing time
    covers_whole_document: bool = False  # nothing was appended after the (last) signature
    signer: x509.Certificate | None = None
    signed_at: datetime | None = None  # as declared by the signer
    signature_count: int = 0
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.valid and self.trusted and self.covers_whole_document


_NO_CHAIN = "the signer's certificate does not chain to a trusted root"
_OUT_OF_BOUNDS = "the signer's certificate (or its issuer) was outside its validity period at the signing time"
# pyHanko's AdES sub-indications (ETSI EN 319 102-1) in plain words; a root that merely shares the real root's
# name shows up as a general chain failure.
_TRUST_PROBLEMS = {
    "NO_CERTIFICATE_CHAIN_FOUND": _NO_CHAIN,
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": _NO_CHAIN,
    "OUT_OF_BOUNDS_NO_POE": _OUT_OF_BOUNDS,
    "OUT_OF_BOUNDS_NOT_REVOKED": _OUT_OF_BOUNDS,
    "EXPIRED": _OUT_OF_BOUNDS,
    "NOT_YET_VALID": _OUT_OF_BOUNDS,
    "REVOKED": "the signer's certificate is revoked",
    "REVOKED_NO_POE": "the signer's certificate is revoked",
    "SIG_CONSTRAINTS_FAILURE": "the signer's certificate is not one for signing documents",
}


def _problem(status: PdfSignatureStatus, *, whole: bool, count: int) -> str | None:
    if not status.intact:
        return "the document was changed after it was signed: the signed bytes do not match the signature"
    if not status.valid:
        return "the signature does not verify with the signer's certificate"
    if not status.trusted:
        indication = status.trust_problem_indic
        name = getattr(indication, "name", "")
        return _TRUST_PROBLEMS.get(name, "the signer's certificate could not be validated against the trusted roots")
    if not whole:
        later = "the last of several signatures" if count > 1 else "the signature"
        return f"content was added after {later}; the added part is not covered by it"
    return None


def _check(embedded: EmbeddedPdfSignature, roots: list[asn1_x509.Certificate], count: int) -> PdfSignatureCheck:
    signed_at = embedded.self_reported_timestamp
    if signed_at is not None and signed_at.utcoffset() is None:
        signed_at = signed_at.replace(tzinfo=UTC)  # a /M date without an offset; PDF readers take it as UTC
    signer = x509.load_der_x509_certificate(embedded.signer_cert.dump())
    # Chain validity is judged at the declared signing time, so a certificate that has expired since still
    # verifies what it signed while valid. Without a trusted timestamp that time is the signer's word; the
    # registry's online status answers for revocation. Nothing is fetched.
    context = ValidationContext(
        trust_roots=roots,
        moment=signed_at,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    status = validate_pdf_signature(embedded, context, skip_diff=True)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    return PdfSignatureCheck(
        signed=True,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        covers_whole_document=whole,
        signer=signer,
        signed_at=signed_at,
        signature_count=count,
        problem=_problem(status, whole=whole, count=count),
    )


@_off_the_loop
def check_pdf_signature(pdf: bytes, trust_roots: Sequence[x509.Certificate]) -> PdfSignatureCheck:
    """Check the last signature of a PDF offline; never raises on a bad file.

    Only trust_roots are trusted (never the system's list); certificates embedded in the signature serve as
    intermediates. Earlier signatures of a PDF signed several times are not checked.
    """
    roots = [_asn1_certificate(root) for root in trust_roots]
    # Untrusted input fails in many ways (PdfReadError, ValueError, KeyError, asn1crypto errors...); each
    # stage becomes one plain answer.
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
    except Exception:
        _log.debug("unreadable PDF", exc_info=True)
        return PdfSignatureCheck(signed=False, problem="the file is not a readable PDF")
    try:
        signatures = reader.embedded_regular_signatures
    except Exception:
        _log.debug("unreadable signature fields", exc_info=True)
        return PdfSignatureCheck(signed=False, problem="the PDF's signature fields are damaged and cannot be read")
    if not signatures:
        return PdfSignatureCheck(signed=False, problem="the PDF has no signature")
    try:
        return _check(signatures[-1], roots, len(signatures))
    except Exception:
        _log.debug("signature cannot be checked", exc_info=True)
        return PdfSignatureCheck(
            signed=True, signature_count=len(signatures), problem="the signature is damaged and cannot be checked"
        )
