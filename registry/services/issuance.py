"""Approval and issuance: one signed certificate per passed candidate, all or nothing, idempotent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

import standards
from certificates import ID_TYPES, CertificateNumber, FieldError, Signer, fold_id
from certificates.payload import require_issuable, sign_record_payload
from certificates.record import NO_WORK_TYPE, CertificateRecord
from registry.errors import InvalidInput, NotFound
from registry.models import AuditEvent, Batch, Body, Candidate, Certificate, PublishedStandard
from registry.services.actors import Actor, require_body_role
from registry.services.audit import record_event
from registry.services.batches import (
    candidates_of,
    get_batch,
    require_active_body,
    require_scope_still_covers,
    require_second_person,
)
from registry.services.clock import CHINA
from registry.services.keys import KeyVault, body_signer
from registry.services.numbering import allocate_serials
from registry.services.validation import field_error

Progress = Callable[[int, int], None]  # (done, total)
PROGRESS_EVERY = 100  # certificates signed between two progress reports


def approve_batch(
    session: Session, *, batch_id: int, approved_by: Actor, vault: KeyVault, now: datetime,
    progress: Progress | None = None,
) -> list[Certificate]:
    """Approve a submitted batch and issue its certificates in the same transaction.

    Retrying after success returns the certificates already issued, never new ones. `progress(done, total)`
    is told as certificates are signed (a background job shows it); nothing is visible to others until the
    commit, so a process killed midway leaves the batch as it was.
    """
    batch = get_batch(session, batch_id, for_update=True)
    require_body_role(approved_by, batch.body_id, "supervisor")
    if batch.status == "issued":
        return certificates_of_batch(session, batch_id)
    require_second_person(batch, approved_by)
    # Locked: a suspension committed while we issue must wait for us, or stop us if it came first.
    body = session.get(Body, batch.body_id, with_for_update=True)
    assert body is not None  # noqa: S101  (foreign key)
    require_active_body(body.status)
    require_scope_still_covers(session, batch)
    candidates = candidates_of(session, batch_id)
    passed = [c for c in candidates if c.passed]
    try:
        issued = _issue(session, batch=batch, body=body, candidates=passed, actor=approved_by,
                        signer=body_signer(session, vault, body).signer, now=now, progress=progress)
        batch.status, batch.decided_by, batch.decided_at = "issued", approved_by.user_id, now
        record_event(
            session, actor=approved_by, action="batch.approved", object_type="batch", object_id=batch.id,
            now=now, before={"status": "submitted"},
            after={"status": "issued", "certificates": len(issued), "failed": len(candidates) - len(passed)},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return certificates_of_batch(session, batch_id)


def _issue(
    session: Session,
    *,
    batch: Batch,
    body: Body,
    candidates: list[Candidate],
    actor: Actor,
    signer: Signer,
    now: datetime,
    progress: Progress | None = None,
) -> list[dict[str, object]]:
    if not candidates:
        return []
    standard = session.get(PublishedStandard, batch.standard_id)
    assert standard is not None  # noqa: S101  (foreign key)
    issued_on = now.astimezone(CHINA).date()

    def number(serial: int) -> CertificateNumber:
        return CertificateNumber(kind=body.kind, body_code=body.body_code, province=body.province,
                                 site_code=body.site_code, year=issued_on.year, level=batch.level, serial=serial)

    # Every record is complete, printable and fits its QR code before a number is allocated: a refused name
    # names the character or field and costs no serial.
    drafts = [
        CertificateRecord(
            number=number(1).text,
            holder_name=candidate.name,
            id_type=candidate.id_type,
            id_type_label=ID_TYPES[candidate.id_type][0],
            id_number=candidate.id_number,
            occupation_code=standard.code,
            occupation_name=standard.name,
            work_type=batch.work_type or NO_WORK_TYPE,
            level=batch.level,
            level_label=standards.level_label(batch.level),
            standard=f"{standard.code}@{standard.version}",
            standard_title=standard.title,
            body_name=body.name,
            body_credit_code=body.credit_code,
            assessed_on=batch.assessed_on,
            issued_on=issued_on,
        )
        for candidate in candidates
    ]
    for draft in drafts:
        try:
            require_issuable(draft)
        except FieldError as err:
            raise InvalidInput(
                err.reason, f"考生「{draft.holder_name}」：{err.message_zh}",
                f"Candidate '{draft.holder_name}': {err.message_en}", field=err.field,
            ) from err
    first = allocate_serials(
        session, prefix=body.number_prefix, year=issued_on.year, level=batch.level, count=len(candidates)
    )
    rows: list[dict[str, object]] = []
    for offset, (candidate, draft) in enumerate(zip(candidates, drafts, strict=True)):
        numbered = number(first + offset)
        rows.append(
            certificate_row(replace(draft, number=numbered.text), numbered, body_id=body.id, batch_id=batch.id,
                            candidate_id=candidate.id, signer=signer, now=now)
        )
        if progress is not None and (offset + 1) % PROGRESS_EVERY == 0:
            progress(offset + 1, len(candidates))
    session.execute(insert(Certificate), rows)
    session.execute(
        insert(AuditEvent),
        [
            {"occurred_at": now, "actor": actor.label, "action": "certificate.issued", "object_type": "certificate",
             "object_id": row["number"], "before": None, "after": {"batch_id": batch.id, "key_id": row["key_id"]}}
            for row in rows
        ],
    )
    return rows


def certificate_row(
    record: CertificateRecord,
    number: CertificateNumber,
    *,
    body_id: int | None,
    batch_id: int | None,
    candidate_id: int | None,
    signer: Signer,
    now: datetime,
) -> dict[str, object]:
    """The column values of a certificate: the frozen record, the body's signature over it and over its QR."""
    data = record.to_dict()
    try:
        qr_signature = sign_record_payload(record, signer.private_key, signer.key_id)
    except FieldError as err:
        raise field_error(err) from err
    return {
        "number": number.text,
        "prefix": number.prefix,
        "year": number.year,
        "level": number.level,
        "serial": number.serial,
        "body_id": body_id,
        "batch_id": batch_id,
        "candidate_id": candidate_id,
        "holder_name": record.holder_name,
        "id_type": record.id_type,
        "id_number": record.id_number,
        "occupation_code": record.occupation_code,
        "issued_on": record.issued_on,
        "issued_at": now,
        "record": data,
        "key_id": signer.key_id,
        "signature": signer.sign(data),
        "qr_signature": qr_signature,
        "status": "valid",
        "supersedes_id": None,
    }


def certificates_of_batch(session: Session, batch_id: int) -> list[Certificate]:
    return list(
        session.exec(select(Certificate).where(Certificate.batch_id == batch_id).order_by(col(Certificate.serial)))
    )


def get_certificate(session: Session, number: str, *, for_update: bool = False) -> Certificate:
    query = select(Certificate).where(Certificate.number == fold_id(number))
    if for_update:
        query = query.with_for_update()
    cert = session.exec(query).first()
    if cert is None:
        raise NotFound("certificate-not-found", f"未找到证书 {number}。", f"No certificate {number}.",
                           field="number")
    return cert


def list_certificates(session: Session, *, limit: int | None = None) -> list[Certificate]:
    query = select(Certificate).order_by(col(Certificate.id))
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))
