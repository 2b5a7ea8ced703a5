"""Bulk verification: many number + name / ID number + name lookups in a few round trips, answered as /verify does.

The certificates asked about are found with one IN query by number and one by ID number; names are compared in
Python, and only the certificates whose name matched are built into results (one more IN query), so a wrong name
and an unknown number give the same empty answer, exactly as for the single lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from certificates import fold_id
from registry.models import Certificate
from registry.services.verification import LOOKUP, VerificationResult, clean_name, results_of

MAX_ROWS = 1000
# Well under SQLite's oldest bound-parameter limit (999).
_CHUNK = 500


@dataclass(frozen=True)
class BulkQuery:
    """One row asked about: a certificate number or an ID number (exactly one), and the holder's name."""

    name: str
    number: str | None = None
    id_number: str | None = None


def verify_many(session: Session, queries: Sequence[BulkQuery]) -> list[list[VerificationResult]]:
    """The matches of each query, in the order asked (ID-number matches newest first, as verify_by_id_number)."""
    numbers = {fold_id(q.number) for q in queries if q.number is not None}
    id_numbers = {fold_id(q.id_number) for q in queries if q.id_number is not None}

    by_number: dict[str, tuple[str, date, int]] = {}  # number -> (holder name, issued on, id)
    for number, holder, issued_on, cert_id, _ in _candidates(session, "number", numbers):
        by_number[number] = (holder, issued_on, cert_id)
    by_id_number: dict[str, list[tuple[str, str, date, int]]] = {}  # id number -> [(number, holder, ...)]
    for number, holder, issued_on, cert_id, id_number in _candidates(session, "id_number", id_numbers):
        by_id_number.setdefault(id_number, []).append((number, holder, issued_on, cert_id))

    wanted: list[list[str]] = []  # per query, the numbers of the certificates it found
    for query in queries:
        name = clean_name(query.name)
        if query.number is not None:
            number = fold_id(query.number)
            found = by_number.get(number)
            wanted.append([number] if found is not None and found[0] == name else [])
        else:
            hits = [c for c in by_id_number.get(fold_id(query.id_number or ""), []) if c[1] == name]
            hits.sort(key=lambda c: (c[2], c[3]), reverse=True)
            wanted.append([c[0] for c in hits])

    built = _build(session, {number for numbers_found in wanted for number in numbers_found})
    return [[built[number] for number in found if number in built] for found in wanted]


def _candidates(session: Session, key: Literal["number", "id_number"],
                values: Iterable[str]) -> list[tuple[str, str, date, int, str]]:
    """(number, holder name, issued on, id, ID number) of every certificate whose `key` is among `values`."""
    column = col(Certificate.number) if key == "number" else col(Certificate.id_number)
    rows: list[tuple[str, str, date, int, str]] = []
    ordered = sorted(values)
    for start in range(0, len(ordered), _CHUNK):
        query = select_columns(col(Certificate.number), col(Certificate.holder_name), col(Certificate.issued_on),
                               col(Certificate.id), col(Certificate.id_number)).where(
            column.in_(ordered[start:start + _CHUNK]))
        rows.extend((number, holder, issued_on, cert_id, id_number)
                    for number, holder, issued_on, cert_id, id_number in session.execute(query))
    return rows


def _build(session: Session, numbers: set[str]) -> dict[str, VerificationResult]:
    """The full answers (status, revocation, successor, signature check) for these certificates, by number."""
    results: dict[str, VerificationResult] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        for result in results_of(session, LOOKUP.where(col(Certificate.number).in_(chunk))):
            results[result.number] = result
    return results
