"""The print bundle: one PDF with a page for each valid certificate of a batch, for the body's printer."""

from __future__ import annotations

import io
from collections.abc import Callable

from pypdf import PdfReader, PdfWriter
from sqlmodel import Session

from registry.errors import Conflict
from registry.services.actors import Actor, require_body_role
from registry.services.documents import DocumentSettings, render_unsigned
from registry.services.issuance import certificates_of_batch
from registry.services.registers import body_batch

BODY_ROLES = ("body_admin", "assessor", "supervisor")


def bundle_size(session: Session, *, batch_id: int, actor: Actor) -> int:
    """How many pages the batch's bundle has (its valid certificates), for the caller who decides whether to
    render it now or in a background job."""
    batch = body_batch(session, batch_id=batch_id, actor=actor)
    require_body_role(actor, batch.body_id, *BODY_ROLES)
    return sum(1 for cert in certificates_of_batch(session, batch_id) if cert.status == "valid")


def print_bundle(session: Session, *, batch_id: int, actor: Actor, settings: DocumentSettings,
                 progress: Callable[[int, int], None] | None = None) -> bytes:
    """The batch's valid certificates, one page each in serial order, merged into one PDF (pypdf).

    The pages are rendered unsigned from the signed records rather than merging the signed PDFs: a PAdES
    signature covers the bytes of its own file, so merged into another file it would be dropped or shown as
    broken, and paper is proven by its signed QR code and the registry's online status, not by a PDF signature.
    The pages are exactly what the holder's signed PDF shows (the same bytes are what gets signed), printing
    signs nothing and needs no key, and revoked or superseded certificates are left out (a reissued certificate
    keeps its batch, so it takes the place of the one it replaced).
    """
    batch = body_batch(session, batch_id=batch_id, actor=actor)
    require_body_role(actor, batch.body_id, *BODY_ROLES)
    certificates = [cert for cert in certificates_of_batch(session, batch_id) if cert.status == "valid"]
    if not certificates:
        raise Conflict("bundle-empty", "该批次没有可打印的有效证书。", "The batch has no valid certificate to print.",
                       field="batch_id")
    writer = PdfWriter()
    for done, cert in enumerate(certificates, start=1):
        writer.append(PdfReader(io.BytesIO(render_unsigned(cert, settings))))
        if progress is not None and done % 20 == 0:
            progress(done, len(certificates))
    writer.add_metadata({"/Title": f"职业技能等级证书 打印批次 {batch_id} / Certificates of batch {batch_id}",
                         "/Creator": "skill-registry"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
