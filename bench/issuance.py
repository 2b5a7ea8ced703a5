"""Issuance throughput: time `approve_batch` (serials, records, ECDSA signatures, inserts, audit, commit).

    python -m bench.issuance [--backend sqlite|postgresql|both] [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import time
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
    candidate_inputs,
    file_bench_body,
    fresh_database,
    machine,
    open_database,
    print_table,
    publish_catalogue,
)
from certificates import Signer, generate_private_key
from registry.models import Certificate
from registry.services import batches as batch_service
from registry.services import issuance

OCCUPATION, VERSION, LEVEL = "6-31-01-03", 2018, 4
ASSESSED_ON = date(2026, 5, 10)


def run(url: str, size: int, signer: Signer) -> dict[str, object]:
    """One fresh database: a submitted batch of `size` passing candidates, then the timed approval."""
    with open_database(url) as (_engine, sessions):
        with sessions() as session:
            publish_catalogue(session)
            body, assessor, supervisor = file_bench_body(
                session, occupations=[OCCUPATION], valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31)
            )
            batch = batch_service.open_batch(
                session, body_id=body.id, standard_code=OCCUPATION, standard_version=VERSION, level=LEVEL,
                work_type=None, assessed_on=ASSESSED_ON, place=PLACE, actor=assessor, now=NOW,
            )
            version = next(v for v in standards.load_catalogue() if (v.code, v.version) == (OCCUPATION, VERSION))
            level = version.level(LEVEL)
            batch_service.add_candidates(session, batch_id=batch.id, actor=assessor, now=NOW,
                                         candidates=candidate_inputs(size, level.component_kinds))
            batch_service.submit_batch(session, batch_id=batch.id, actor=assessor, now=NOW)
            batch_id = batch.id

        with sessions() as session:
            started = time.perf_counter()
            certs = issuance.approve_batch(session, batch_id=batch_id, approved_by=supervisor, signer=signer,
                                           now=NOW)
            seconds = time.perf_counter() - started
            records = [c.record for c in certs]

        with sessions() as session:
            stored = session.exec(
                select(func.count()).select_from(Certificate).where(Certificate.batch_id == batch_id)
            ).one()
    if len(certs) != size or stored != size:
        raise SystemExit(f"{backend_of(url)}: batch of {size} candidates gave {len(certs)} certificates returned, "
                         f"{stored} stored")

    # Same-process baseline: canonicalise and ECDSA-sign the very records that were just issued.
    started = time.perf_counter()
    for record in records:
        signer.sign(record)
    signing_seconds = time.perf_counter() - started
    return {"seconds": seconds, "stored": stored, "signing_seconds": signing_seconds}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.issuance", description=__doc__.splitlines()[0])
    add_backend_argument(parser)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated batch sizes (default 1000,10000)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 1:
        parser.error("--sizes needs positive integers")

    signer = Signer(generate_private_key())
    print(f"bench.issuance on {machine()}; ECDSA P-256 key {signer.key_id}; one fresh database per run;")
    print("timed: issuance.approve_batch() only (serials, records, signing, inserts, audit rows, commit, reload)")
    rows = []
    for backend in backends_from(args.backend):
        for size in sizes:
            with fresh_database(backend) as url:
                result = run(url, size, signer)
            seconds, signing = result["seconds"], result["signing_seconds"]
            rate, signing_rate = size / seconds, size / signing
            print(f"{backend:<10} batch {size:>6,}: {seconds:7.3f} s  {rate:8,.0f} certificates/s  |  "
                  f"signing alone: {signing_rate:8,.0f}/s; issuance/signing ratio {rate / signing_rate:.2f}  |  "
                  f"check: {result['stored']:,} certificates stored for the batch")
            rows.append((backend, size, seconds, rate, signing_rate, rate / signing_rate))
    print()
    print_table(("backend", "batch size", "seconds", "certificates/s", "signing alone/s", "issuance/signing"), rows)
    print(f"at the end: {machine()}")


if __name__ == "__main__":
    main()
