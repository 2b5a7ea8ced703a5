"""Issuance throughput: time `approve_batch` (serials, records, ECDSA signatures, inserts, audit, commit).

    python -m bench.issuance [--backend sqlite|postgresql|both] [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import select

import standards
from bench.common import (
    NOW,
    PLACE,
    add_backend_argument,
    backend_of,
    backends_from,
    body_key,
    candidate_inputs,
    file_bench_body,
    fresh_database,
    machine,
    new_vault,
    open_database,
    print_table,
    publish_catalogue,
)
from certificates import Signer
from certificates.payload import sign_record_payload
from certificates.record import CertificateRecord
from registry.models import Certificate, pk
from registry.services import batches as batch_service
from registry.services import issuance
from registry.services.keys import KeyVault

OCCUPATION, VERSION, LEVEL = "6-31-01-03", 2018, 4
ASSESSED_ON = date(2026, 5, 10)


@dataclass(frozen=True)
class Result:
    seconds: float  # approve_batch
    stored: int
    key_id: str
    record_seconds: float  # the record signatures alone
    qr_seconds: float  # the QR payload signatures alone

    @property
    def signing_seconds(self) -> float:
        return self.record_seconds + self.qr_seconds


def run(url: str, size: int, vault: KeyVault) -> Result:
    """One fresh database: the registry root, a body with its key, a submitted batch of `size` passing candidates,
    then the timed approval."""
    with open_database(url) as (_engine, sessions):
        with sessions() as session:
            publish_catalogue(session)
            body, assessor, supervisor = file_bench_body(
                session, vault=vault, occupations=[OCCUPATION], valid_from=date(2025, 1, 1),
                valid_to=date(2027, 12, 31),
            )
            signer = Signer(body_key(session, vault, pk(body))[1])
            batch = batch_service.open_batch(
                session, body_id=pk(body), standard_code=OCCUPATION, standard_version=VERSION, level=LEVEL,
                work_type=None, assessed_on=ASSESSED_ON, place=PLACE, actor=assessor, now=NOW,
            )
            version = next(v for v in standards.load_catalogue() if (v.code, v.version) == (OCCUPATION, VERSION))
            level = version.level(LEVEL)
            batch_id = pk(batch)
            batch_service.add_candidates(session, batch_id=batch_id, actor=assessor, now=NOW,
                                         candidates=candidate_inputs(size, level.component_kinds))
            batch_service.submit_batch(session, batch_id=batch_id, actor=assessor, now=NOW)

        with sessions() as session:
            started = time.perf_counter()
            certs = issuance.approve_batch(session, batch_id=batch_id, approved_by=supervisor, vault=vault, now=NOW)
            seconds = time.perf_counter() - started
            records = [(c.record, CertificateRecord.from_dict(c.record)) for c in certs]
            signed_by = {c.key_id for c in certs}

        with sessions() as session:
            stored = session.exec(
                select(func.count()).select_from(Certificate).where(Certificate.batch_id == batch_id)
            ).one()
    if len(certs) != size or stored != size:
        raise SystemExit(f"{backend_of(url)}: batch of {size} candidates gave {len(certs)} certificates returned, "
                         f"{stored} stored")
    if signed_by != {signer.key_id}:
        raise SystemExit(f"{backend_of(url)}: certificates signed by {sorted(signed_by)}, not the body's key "
                         f"{signer.key_id}")

    # Same-process baseline: the body's two signatures over the very records that were just issued, as
    # issuance.certificate_row makes them (canonical JSON + ECDSA; QR payload + deterministic ECDSA).
    started = time.perf_counter()
    for data, _record in records:
        signer.sign(data)
    record_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for _data, record in records:
        sign_record_payload(record, signer.private_key, signer.key_id)
    qr_seconds = time.perf_counter() - started
    return Result(seconds, stored, signer.key_id, record_seconds, qr_seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.issuance", description=__doc__.splitlines()[0])
    add_backend_argument(parser)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated batch sizes (default 1000,10000)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 1:
        parser.error("--sizes needs positive integers")

    vault = new_vault()
    print(f"bench.issuance on {machine()}; one fresh database per run, with its registry root and the body's "
          "ECDSA P-256 key;")
    print("timed: issuance.approve_batch() only (serials, records, signing, inserts, audit rows, commit, reload)")
    rows = []
    for backend in backends_from(args.backend):
        for size in sizes:
            with fresh_database(backend) as url:
                result = run(url, size, vault)
            seconds = result.seconds
            rate, signing_rate = size / seconds, size / result.signing_seconds
            record_ms, qr_ms = result.record_seconds / size * 1000, result.qr_seconds / size * 1000
            print(f"{backend:<10} batch {size:>6,}: {seconds:7.3f} s  {rate:8,.0f} certificates/s  |  "
                  f"signing alone: {signing_rate:8,.0f}/s (record {record_ms:.3f} ms + QR {qr_ms:.3f} ms); "
                  f"issuance/signing ratio {rate / signing_rate:.2f}  |  "
                  f"check: {result.stored:,} certificates stored, signed by body key {result.key_id}")
            rows.append((backend, size, seconds, rate, signing_rate, rate / signing_rate))
    print()
    print_table(("backend", "batch size", "seconds", "certificates/s", "signing alone/s", "issuance/signing"), rows)
    print(f"at the end: {machine()}")


if __name__ == "__main__":
    main()
