"""Revocation (with a reason from a fixed list) and reissue (a corrected certificate superseding the old)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, select

from certificates import ID_TYPES, CertificateNumber, FieldError, normalize_id, validate_name
from certificates.payload import require_issuable
from certificates.record import CertificateRecord
from registry.errors import Conflict, Forbidden, InvalidInput
from registry.models import REVOCATION_REASONS, Body, Certificate, Revocation, pk
from registry.services.actors import Actor
from registry.services.audit import record_event
from registry.services.batches import require_active_body
from registry.services.clock import CHINA
from registry.services.issuance import certificate_row, get_certificate
from registry.services.keys import KeyVault, body_signer
from registry.services.numbering import allocate_serials
from registry.services.validation import field_error


def _authorise(actor: Actor, cert: Certificate, *, regulator_allowed: bool) -> None:
    if actor.role in ("regulator", "system") and regulator_allowed:
        return
    if actor.body_id == cert.body_id and actor.role in ("body_admin", "supervisor"):
        return
    raise Forbidden(
        "certificate-forbidden",
        "只有发证机构的管理员、质量督导员或监管方可以执行此操作。",
        "Only the issuing body's admin or supervisor, or the regulator, may do this.",
        field="number",
    )


def _require_valid(cert: Certificate) -> None:
    if cert.status != "valid":
        raise Conflict(
            f"certificate-already-{cert.status}",
            f"证书 {cert.number} 已{'注销' if cert.status == 'revoked' else '被换发'}。",
            f"Certificate {cert.number} is already {cert.status}.",
            field="number",
        )


def revoke_certificate(
    session: Session, *, number: str, reason: str, note: str, actor: Actor, now: datetime
) -> Revocation:
    cert = get_certificate(session, number, for_update=True)
    _authorise(actor, cert, regulator_allowed=True)
    if reason not in REVOCATION_REASONS:
        raise InvalidInput(
            "revocation-reason-unknown",
            f"注销原因必须是以下之一：{'、'.join(REVOCATION_REASONS)}。",
            f"The reason must be one of: {', '.join(REVOCATION_REASONS)}.",
            field="reason",
        )
    note = " ".join(note.split())
    if reason == "other" and not note:
        raise InvalidInput("revocation-note-required", "原因为“其他”时须填写说明。",
                           "A note is required when the reason is 'other'.", field="note")
    _require_valid(cert)
    cert.status = "revoked"
    revocation = Revocation(certificate_id=pk(cert), reason=reason, note=note[:1000], revoked_by=actor.user_id,
                            revoked_at=now)
    session.add(revocation)
    record_event(
        session, actor=actor, action="certificate.revoked", object_type="certificate", object_id=cert.number,
        now=now, before={"status": "valid"}, after={"status": "revoked", "reason": reason, "note": note},
    )
    session.commit()
    return revocation


def reissue_certificate(
    session: Session,
    *,
    number: str,
    holder_name: str | None = None,
    id_type: str | None = None,
    id_number: str | None = None,
    reason: str,
    actor: Actor,
    vault: KeyVault,
    now: datetime,
) -> Certificate:
    """Issue a corrected certificate under a new number; the old one becomes superseded, never deleted."""
    old = get_certificate(session, number, for_update=True)
    _authorise(actor, old, regulator_allowed=False)
    _require_valid(old)
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("reissue-reason-required", "换发须说明原因。", "A reissue needs a reason.", field="reason")
    body = session.get(Body, old.body_id, with_for_update=True)
    assert body is not None  # noqa: S101  (foreign key)
    require_active_body(body.status)
    signer = body_signer(session, vault, body).signer
    previous = CertificateRecord.from_dict(old.record)
    new_type = id_type or previous.id_type
    try:
        corrected = replace(
            previous,
            holder_name=validate_name(holder_name) if holder_name is not None else previous.holder_name,
            id_type=new_type,
            id_type_label=ID_TYPES[new_type][0] if new_type in ID_TYPES else "",
            id_number=normalize_id(new_type, id_number if id_number is not None else previous.id_number),
        )
    except FieldError as err:
        raise field_error(err) from err
    if corrected == previous:
        raise InvalidInput("reissue-no-change", "换发的证书与原证书内容相同。",
                           "The reissued certificate would be identical to the old one.", field="holder_name")
    try:
        require_issuable(corrected)
    except FieldError as err:
        raise field_error(err) from err
    issued_on = now.astimezone(CHINA).date()
    serial = allocate_serials(session, prefix=old.prefix, year=issued_on.year, level=old.level, count=1)
    new_number = CertificateNumber(kind=body.kind, body_code=body.body_code, province=body.province,
                                   site_code=body.site_code, year=issued_on.year, level=old.level, serial=serial)
    record = replace(corrected, number=new_number.text, issued_on=issued_on, supersedes=old.number)
    row = certificate_row(record, new_number, body_id=old.body_id, batch_id=old.batch_id,
                          candidate_id=old.candidate_id, signer=signer, now=now)
    row["supersedes_id"] = old.id
    session.execute(insert(Certificate), [row])
    old.status = "superseded"
    record_event(
        session, actor=actor, action="certificate.reissued", object_type="certificate", object_id=old.number,
        now=now, before={"status": "valid"},
        after={"status": "superseded", "superseded_by": new_number.text, "reason": reason},
    )
    session.commit()
    return session.exec(select(Certificate).where(Certificate.number == new_number.text)).one()


def successor_of(session: Session, cert: Certificate) -> Certificate | None:
    return session.exec(select(Certificate).where(Certificate.supersedes_id == cert.id)).first()
