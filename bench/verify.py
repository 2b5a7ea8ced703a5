"""Public verification at scale: bulk-load signed certificates, then time the real lookup services.

    python -m bench.verify [--backend sqlite|postgresql|both] [--rows 1000000] [--lookups 20000]
                           [--keep] [--reuse PATH_OR_URL ...] [--workers N] [--seed N]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

import standards
from bench.common import (
    BODY_CODE,
    BODY_CREDIT_CODE,
    BODY_KIND,
    BODY_NAME,
    BODY_PROVINCE,
    BODY_SITE,
    PLACE,
    add_backend_argument,
    backend_of,
    backends_from,
    body_key,
    file_bench_body,
    fresh_database,
    machine,
    new_vault,
    open_database,
    percentile,
    person_id,
    person_name,
    print_table,
    publish_catalogue,
)
from certificates import ID_TYPES, CertificateNumber, Signer, canonical_bytes, private_key_to_pem
from certificates.payload import payload_of, require_issuable, sign_record_payload, signature_bytes
from certificates.qr import pack, to_digits
from certificates.record import NO_WORK_TYPE, CertificateRecord
from certificates.signing import load_private_key_pem
from registry.models import Batch, Candidate, Certificate, PublishedStandard, SigningKey, pk
from registry.services.actors import Actor
from registry.services.keys import KeyVault
from registry.services.qr_check import check_qr
from registry.services.verification import VerificationResult, verify_by_id_number, verify_by_number

YEARS = tuple(range(2021, 2027))
# Levels of successive 500-certificate issuances within a year: most holders are at levels 5-3.
LEVEL_CYCLE = (5, 4, 5, 3, 4, 5, 2, 4, 3, 1)
BLOCK = 500
# Occupations without 工种, one per (year, level) batch in turn.
OCCUPATIONS = ("6-31-01-03", "4-03-02-01", "4-02-07-10")
REVOKED_EVERY = 100  # 1 % of certificates are revoked (with a revocation row)
SECOND_CERT_EVERY = 10  # every 10th certificate goes to someone who already holds another one
SECOND_CERT_LAG = 7_919
CHUNK = 20_000
# The registry root and the body's key are made before the first certificate is issued, so every issue date
# falls within the key's life (the offline verifier refuses one that does not).
PKI_CREATED = datetime(YEARS[0], 1, 1, 2, 0, tzinfo=UTC)
QR_CHECKS = 100  # loaded certificates whose QR is checked end to end (untimed) before measuring
COLUMNS = ("number", "prefix", "year", "level", "serial", "body_id", "batch_id", "candidate_id", "holder_name",
           "id_type", "id_number", "occupation_code", "issued_on", "issued_at", "record", "key_id", "signature",
           "qr_signature", "status")


# --- what the certificates say ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    """One (year, level) batch: every certificate in it shares these printed fields."""

    year: int
    level: int
    occupation_code: str
    standard_version: int
    record_template: CertificateRecord
    assessed_on: date
    issued_on: date
    issued_at: datetime


def groups() -> list[Group]:
    catalogue = {v.code: v for v in standards.load_catalogue() if v.code in OCCUPATIONS}
    result = []
    for y, year in enumerate(YEARS):
        for level in range(1, 6):
            version = catalogue[OCCUPATIONS[(y * 5 + level) % len(OCCUPATIONS)]]
            assessed_on = date(year, level, 5)
            issued_on = assessed_on + timedelta(days=10)
            template = CertificateRecord(
                number="", holder_name="", id_type="resident", id_type_label=ID_TYPES["resident"][0], id_number="",
                occupation_code=version.code, occupation_name=version.name, work_type=NO_WORK_TYPE, level=level,
                level_label=standards.level_label(level), standard=f"{version.code}@{version.version}",
                standard_title=version.title, body_name=BODY_NAME, body_credit_code=BODY_CREDIT_CODE,
                assessed_on=assessed_on, issued_on=issued_on,
            )
            result.append(Group(year, level, version.code, version.version, template, assessed_on, issued_on,
                                datetime.combine(issued_on, clock(2, 0), tzinfo=UTC)))
    return result


def group_index(year: int, level: int) -> int:
    return (year - YEARS[0]) * 5 + level - 1


_LEVEL_RANK = [LEVEL_CYCLE[:i].count(level) for i, level in enumerate(LEVEL_CYCLE)]
_LEVEL_COUNT = {level: LEVEL_CYCLE.count(level) for level in set(LEVEL_CYCLE)}


def placement(i: int, rows: int) -> tuple[int, int, int]:
    """(year, level, serial) of certificate i of `rows`: spread over the years in order, 500 per issuance."""
    y = i * len(YEARS) // rows
    j = i - -(-y * rows // len(YEARS))  # position inside the year
    block, offset = divmod(j, BLOCK)
    cycle, position = divmod(block, len(LEVEL_CYCLE))
    level = LEVEL_CYCLE[position]
    serial = (cycle * _LEVEL_COUNT[level] + _LEVEL_RANK[position]) * BLOCK + offset + 1
    return YEARS[y], level, serial


def holder(i: int) -> int:
    return i - SECOND_CERT_LAG if i % SECOND_CERT_EVERY == SECOND_CERT_EVERY - 1 and i >= SECOND_CERT_LAG else i


# Per worker process: the body's signer and the groups (set by _init_worker).
_signer: Signer | None = None
_groups: list[Group] = []


def _init_worker(key_pem: bytes) -> None:
    global _signer, _groups
    _signer = Signer(load_private_key_pem(key_pem))
    _groups = groups()


def record_for(i: int, rows: int, group_list: Sequence[Group]) -> tuple[int, CertificateNumber, CertificateRecord]:
    year, level, serial = placement(i, rows)
    g = group_index(year, level)
    number = CertificateNumber(kind=BODY_KIND, body_code=BODY_CODE, province=BODY_PROVINCE, site_code=BODY_SITE,
                               year=year, level=level, serial=serial)
    p = holder(i)
    record = replace(group_list[g].record_template, number=number.text, holder_name=person_name(p),
                     id_number=person_id(p))
    return g, number, record


def generate_chunk(bounds: tuple[int, int, int]) -> list[tuple[Any, ...]]:
    """Rows [start, stop) of `rows`, each signed for real by the body's key, as issuance.certificate_row signs:
    (group, number, ..., record JSON, key id, record signature, QR signature, status)."""
    start, stop, rows = bounds
    assert _signer is not None  # noqa: S101  (set by the pool initializer)
    key, kid = _signer.private_key, _signer.key_id
    out = []
    for i in range(start, stop):
        g, number, record = record_for(i, rows, _groups)
        require_issuable(record)  # printable and its QR fits, as issuance checks every record
        data = canonical_bytes(record.to_dict())
        group = _groups[g]
        out.append((
            g, number.text, number.prefix, number.year, number.level, number.serial, record.holder_name,
            "resident", record.id_number, group.occupation_code, group.issued_on, group.issued_at,
            data.decode("utf-8"),  # canonical JSON: decodes to exactly the signed record
            kid, _signer.sign_bytes(data), sign_record_payload(record, key, kid),
            "revoked" if i % REVOKED_EVERY == REVOKED_EVERY // 2 else "valid",
        ))
    return out


def check_rows(rows: int) -> None:
    cycles_per_year = -(-rows // len(YEARS)) // (BLOCK * len(LEVEL_CYCLE)) + 1
    max_serial = cycles_per_year * max(_LEVEL_COUNT.values()) * BLOCK  # an upper bound
    if max_serial > 999_999:
        raise SystemExit(f"{rows:,} rows need serials up to {max_serial:,} (at most 999,999 per year and level)")


def generate(rows: int, workers: int, key_pem: bytes) -> list[list[tuple[Any, ...]]]:
    bounds = [(start, min(start + CHUNK, rows), rows) for start in range(0, rows, CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(key_pem,)) as pool:
        return list(pool.map(generate_chunk, bounds))


# --- loading ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setup:
    body_id: int
    batch_ids: list[int]
    candidate_ids: list[int]
    key_id: str
    key_pem: bytes  # the body's private key, for the workers that sign the rows


def set_up(sessions: sessionmaker[Session], vault: KeyVault) -> Setup:
    """Catalogue, registry root, body (with its signing key), scope and staff through the services; one issued
    batch per (year, level) with one candidate each, inserted directly (every certificate of a batch points to that
    one candidate)."""
    group_list = groups()
    with sessions() as session:
        publish_catalogue(session)
        body, assessor, supervisor = file_bench_body(
            session, vault=vault, occupations=OCCUPATIONS, valid_from=date(YEARS[0], 1, 1),
            valid_to=date(YEARS[-1] + 1, 12, 31), now=PKI_CREATED,
        )
        body_id, assessor_id, supervisor_id = pk(body), _user_id(assessor), _user_id(supervisor)
        kid, key = body_key(session, vault, body_id)
        standard_ids = {
            (row.code, row.version): pk(row) for row in session.exec(select(PublishedStandard))
        }
        batches = []
        for group in group_list:
            decided = datetime.combine(group.issued_on, clock(2, 0), tzinfo=UTC)
            batches.append(Batch(
                body_id=body_id, standard_id=standard_ids[(group.occupation_code, group.standard_version)],
                level=group.level, work_type=None, assessed_on=group.assessed_on, place=PLACE, status="issued",
                created_by=assessor_id, created_at=decided - timedelta(days=12),
                submitted_by=assessor_id, submitted_at=decided - timedelta(days=9),
                decided_by=supervisor_id, decided_at=decided,
            ))
        session.add_all(batches)
        session.flush()
        candidates = []
        for index, (group, batch) in enumerate(zip(group_list, batches, strict=True)):
            kinds = ("theory", "skill", "review") if group.level <= 2 else ("theory", "skill")
            p = 10**8 + index
            candidates.append(Candidate(batch_id=pk(batch), name=person_name(p), id_type="resident",
                                        id_number=person_id(p), scores={k: 80 for k in kinds}, passed=True))
        session.add_all(candidates)
        session.commit()
        return Setup(body_id, [pk(b) for b in batches], [pk(c) for c in candidates], kid, private_key_to_pem(key))


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise SystemExit(f"{actor.label} is not a stored user")
    return actor.user_id


def _driver_connection(raw: Any) -> Any:
    """The DBAPI driver's own connection under SQLAlchemy's pooled one (None only once it is closed)."""
    conn = raw.driver_connection
    if conn is None:
        raise SystemExit("the pooled connection has no driver connection")
    return conn


def _full_rows(chunk: list[tuple[Any, ...]], setup: Setup,
               convert: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None) -> Iterator[tuple[Any, ...]]:
    body_id, batch_ids, candidate_ids = setup.body_id, setup.batch_ids, setup.candidate_ids
    for g, *fields in chunk:
        row = (*fields[:5], body_id, batch_ids[g], candidate_ids[g], *fields[5:])
        yield convert(row) if convert else row


def load_sqlite(engine: Engine, chunks: list[list[tuple[Any, ...]]], setup: Setup) -> None:
    """executemany in chunks inside one transaction, with synchronous=OFF and a large cache for the load only."""
    table = Certificate.metadata.tables["certificates"]
    issued_on_type, issued_at_type = table.c.issued_on.type, table.c.issued_at.type
    as_date = issued_on_type.bind_processor(engine.dialect) or (lambda v: v)
    as_datetime = issued_at_type.bind_processor(engine.dialect) or (lambda v: v)
    cache: dict[object, object] = {}

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        on, at = row[12], row[13]
        if on not in cache:
            cache[on] = as_date(on)
        if at not in cache:
            cache[at] = as_datetime(at)
        return (*row[:12], cache[on], cache[at], *row[14:])

    sql = f"INSERT INTO certificates ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608
    raw = engine.raw_connection()
    try:
        cursor = _driver_connection(raw).cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-1000000")  # 1 GB
        cursor.execute("BEGIN IMMEDIATE")
        for chunk in chunks:
            cursor.executemany(sql, _full_rows(chunk, setup, convert))
        cursor.execute("COMMIT")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.invalidate()  # never hand the synchronous=OFF connection back to the pool


def load_postgresql(engine: Engine, chunks: list[list[tuple[Any, ...]]], setup: Setup) -> None:
    """psycopg COPY through the raw connection (constraints, indexes and foreign keys stay in force)."""
    raw = engine.raw_connection()
    try:
        conn = _driver_connection(raw)
        with conn.cursor() as cursor, cursor.copy(f"COPY certificates ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for chunk in chunks:
                for row in _full_rows(chunk, setup):
                    copy.write_row(row)
        conn.commit()
    finally:
        raw.close()


def finish_load(engine: Engine, *, analyze: bool) -> None:
    """Serial counters and revocation rows that match the certificates, then (optionally) planner statistics."""
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO certificate_serials (prefix, year, level, last_serial) "
            "SELECT prefix, year, level, max(serial) FROM certificates GROUP BY prefix, year, level"
        ))
        conn.execute(text(
            "INSERT INTO revocations (certificate_id, reason, note, revoked_by, revoked_at) "
            "SELECT id, CASE id % 3 WHEN 0 THEN 'fraud' WHEN 1 THEN 'issued-in-error' ELSE 'holder-request' END, "
            "'', NULL, issued_at FROM certificates WHERE status = 'revoked'"
        ))
    if analyze:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()


# --- lookups ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    id: int
    number: str
    holder_name: str
    id_number: str


def pick_targets(sessions: sessionmaker[Session], count: int, seed: int) -> list[Target]:
    with sessions() as session:
        low, high = session.exec(select(func.min(Certificate.id), func.max(Certificate.id))).one()
        if low is None or high is None:
            raise SystemExit("the database holds no certificates")
        rng = random.Random(seed)
        span = range(low, high + 1)
        ids = rng.sample(span, count) if count <= len(span) else rng.choices(span, k=count)
        found: dict[int, Target] = {}
        for start in range(0, len(ids), 1000):
            query = select(Certificate.id, Certificate.number, Certificate.holder_name, Certificate.id_number).where(
                col(Certificate.id).in_(ids[start:start + 1000])
            )
            found.update({target.id: target for target in (Target(*row) for row in session.exec(query))})
    return [found[i] for i in ids if i in found]


def wrong_name(name: str) -> str:
    """Same length, another surname: never the holder's name as printed."""
    return ("李" if name[0] != "李" else "王") + name[1:]


@dataclass
class Measured:
    label: str
    latencies: list[float]
    results: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / sum(self.latencies)


def measure(label: str, sessions: sessionmaker[Session], targets: list[Target],
            call: Callable[[Session, Target], Any], check: Callable[[Any, Target], int], warmup: int = 200) -> Measured:
    """One session per lookup (as one web request has), timed from opening the session to closing it."""
    for target in targets[:warmup]:
        with sessions() as session:
            call(session, target)
    latencies, results = [], 0
    for target in targets:
        started = time.perf_counter()
        with sessions() as session:
            answer = call(session, target)
        latencies.append(time.perf_counter() - started)
        results += check(answer, target)
    latencies.sort()
    return Measured(label, latencies, results)


def _hit(answer: list[VerificationResult], target: Target) -> int:
    if not answer or not all(r.genuine for r in answer) or target.number not in {r.number for r in answer}:
        raise SystemExit(f"lookup of {target.number} did not return it as genuine: {answer!r}")
    return len(answer)


def _miss(answer: list[VerificationResult], target: Target) -> int:
    if answer:
        raise SystemExit(f"lookup with a wrong name for {target.number} returned {answer!r}")
    return 0


def _found(answer: Certificate | None, target: Target) -> int:
    if answer is None or answer.number != target.number:
        raise SystemExit(f"session.get(Certificate, {target.id}) did not return {target.number}")
    return 1


def check_qr_codes(sessions: sessionmaker[Session], targets: list[Target]) -> int:
    """Untimed proof that the loaded rows are genuine: the QR of each target, built from its stored record, key id
    and QR signature, passes the registry's own QR check (a key in signing_keys, signature, record match)."""
    with sessions() as session:
        for target in targets:
            cert = session.get(Certificate, target.id)
            assert cert is not None  # noqa: S101  (picked from the table)
            payload = payload_of(CertificateRecord.from_dict(cert.record), cert.key_id)
            outcome = check_qr(session, to_digits(pack(payload, signature_bytes(cert.qr_signature)))).outcome
            if outcome != "genuine":
                raise SystemExit(f"the QR code of {cert.number} is not genuine: {outcome}")
    return len(targets)


def lookups(sessions: sessionmaker[Session], count: int, seed: int) -> list[Measured]:
    targets = pick_targets(sessions, count, seed)
    checked = check_qr_codes(sessions, targets[:QR_CHECKS])
    print(f"  QR codes of {checked} loaded certificates checked by registry.services.qr_check: all genuine")
    return [
        measure("session.get(Certificate, id)  [baseline]", sessions, targets,
                lambda s, t: s.get(Certificate, t.id), _found),
        measure("verify_by_number     hit", sessions, targets,
                lambda s, t: verify_by_number(s, number=t.number, name=t.holder_name), _hit),
        measure("verify_by_number     miss (wrong name)", sessions, targets,
                lambda s, t: verify_by_number(s, number=t.number, name=wrong_name(t.holder_name)), _miss),
        measure("verify_by_id_number  hit", sessions, targets,
                lambda s, t: verify_by_id_number(s, id_number=t.id_number, name=t.holder_name), _hit),
        measure("verify_by_id_number  miss (wrong name)", sessions, targets,
                lambda s, t: verify_by_id_number(s, id_number=t.id_number, name=wrong_name(t.holder_name)), _miss),
    ]


# --- the run ------------------------------------------------------------------------------------------------

@contextmanager
def database_for(backend: str, reuse: dict[str, str], keep: bool) -> Iterator[tuple[str, bool]]:
    """(url, needs loading): a reused database as is, else a fresh one."""
    if backend in reuse:
        yield reuse[backend], False
        return
    with fresh_database(backend, keep=keep) as url:
        yield url, True


def run_backend(backend: str, url: str, load: bool, args: argparse.Namespace, vault: KeyVault) -> list[Measured]:
    with open_database(url) as (engine, sessions):
        if load:
            setup = set_up(sessions, vault)
            started = time.perf_counter()
            chunks = generate(args.rows, args.workers, setup.key_pem)
            seconds = time.perf_counter() - started
            print(f"{backend}: generated {args.rows:,} certificate rows in {seconds:.1f} s "
                  f"({args.rows / seconds:,.0f}/s, {args.workers} processes): every record built and checked as the "
                  f"issuance service builds it, and signed for real (record and QR, no reused signatures) by the "
                  f"body's key {setup.key_id} from signing_keys, so any row is a genuine lookup target")
            started = time.perf_counter()
            (load_postgresql if backend == "postgresql" else load_sqlite)(engine, chunks, setup)
            loaded = time.perf_counter() - started
            started = time.perf_counter()
            # PostgreSQL's autovacuum analyses a freshly loaded table on its own; the application never runs
            # ANALYZE on SQLite, so SQLite keeps no statistics unless --sqlite-analyze (see README).
            analyze = backend == "postgresql" or args.sqlite_analyze
            finish_load(engine, analyze=analyze)
            finished = time.perf_counter() - started
            rows = sum(len(c) for c in chunks)
            how = "COPY" if backend == "postgresql" else "executemany, one transaction, synchronous=OFF"
            print(f"{backend}: loaded {rows:,} certificates in {loaded:.1f} s ({rows / loaded:,.0f} rows/s, {how}); "
                  f"serial counters + revocations{' + ANALYZE' if analyze else ''} {finished:.1f} s")
            del chunks
        with sessions() as session:
            total = session.exec(select(func.count()).select_from(Certificate)).one()
            body_keys = session.exec(select(SigningKey.key_id).where(SigningKey.role == "body")).all()
        if not load:
            print(f"{backend}: reusing {url} ({total:,} certificates; body key {', '.join(body_keys)})")
        started = time.perf_counter()
        measured = lookups(sessions, args.lookups, args.seed)
        print(f"{backend}: {len(measured)} x {args.lookups:,} lookups over {total:,} certificates in "
              f"{time.perf_counter() - started:.1f} s")
    return measured


def report(backend: str, measured: list[Measured]) -> None:
    baseline = measured[0].rate
    print_table(
        (f"{backend}", "lookups", "lookups/s", "p50 ms", "p99 ms", "results/lookup", "baseline/this"),
        [(m.label, len(m.latencies), m.rate, percentile(m.latencies, 50) * 1000, percentile(m.latencies, 99) * 1000,
          round(m.results / len(m.latencies), 2), round(baseline / m.rate, 2)) for m in measured],
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.verify", description=__doc__.splitlines()[0])
    add_backend_argument(parser)
    parser.add_argument("--rows", type=int, default=1_000_000, help="certificates to bulk-load (default 1,000,000)")
    parser.add_argument("--lookups", type=int, default=20_000, help="lookups per measurement (default 20,000)")
    parser.add_argument("--keep", action="store_true", help="keep the loaded databases and print how to reuse them")
    parser.add_argument("--reuse", action="append", default=[], metavar="PATH_OR_URL",
                        help="measure an existing bench database (SQLite path or URL, PostgreSQL URL); repeatable")
    parser.add_argument("--workers", type=int, default=2, help="processes generating and signing rows (default 2)")
    parser.add_argument("--sqlite-analyze", action="store_true",
                        help="run ANALYZE on SQLite after loading (the application never does; see README)")
    parser.add_argument("--seed", type=int, default=2026, help="seed for choosing the looked-up certificates")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.lookups < 1:
        parser.error("--rows and --lookups must be positive")

    reuse: dict[str, str] = {}
    for target in args.reuse:
        url = target if "://" in target else f"sqlite:///{Path(target).resolve()}"
        reuse[backend_of(url)] = url
    backends = sorted(set(backends_from(args.backend)) | set(reuse), key=["sqlite", "postgresql"].index)
    if any(b not in reuse for b in backends):
        check_rows(args.rows)
    # Each loaded database gets its own registry root and body key, so its rows are generated and signed anew.
    vault = new_vault()
    begun = time.perf_counter()
    print(f"bench.verify on {machine()}; {args.lookups:,} lookups per measurement")

    results = {}
    for backend in backends:
        with database_for(backend, reuse, args.keep) as (url, load):
            results[backend] = run_backend(backend, url, load, args, vault)
    print()
    print("one session per lookup (open, query, close), as a web request has; times include the session, the pool "
          "checkout (with the engine's pre-ping) and, for hits, signature verification")
    for backend, measured in results.items():
        print()
        report(backend, measured)
    print(f"\ntotal {time.perf_counter() - begun:.0f} s; at the end: {machine()}")


if __name__ == "__main__":
    main()
