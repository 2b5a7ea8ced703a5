"""The public verify endpoint under gunicorn: POST /api/v1/verify against GET /api/v1/ of the same server.

    python bench/api.py [--rows 1000000] [--seconds 30] [--rounds 6] [--concurrency 8[,32...]]
                        [--worker-class sync[,gthread]] [--threads 4] [--workers N] [--keep-db] [--reuse-db URL]
                        [--breakdown N] [--quick]

A fresh PostgreSQL database (bench_api_<random>) is migrated and loaded with --rows certificates whose records
are signed for real, then gunicorn serves `wsgi:app` with the production settings and a pure-Python load
generator (one event loop, HTTP/1.1 connections kept while the server keeps them) drives both endpoints in
alternating rounds with the same concurrency. bench/README.md says what the figures mean.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as a file (python bench/api.py): import from the project root, not from bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import ctypes
import errno
import http.client
import json
import os
import random
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from bench import verify as bulk
from bench.common import PG_ADMIN_URL, _pg_admin, machine, migrate, open_database, percentile, print_table
from certificates import canonical_bytes
from certificates.payload import sign_record_payload
from certificates.pki import new_master_key, parse_master_key
from certificates.signing import load_private_key_pem
from registry.services.keys import KeyVault

ROOT = Path(__file__).resolve().parent.parent
QUICK_ROWS, QUICK_SECONDS = 20_000, 5.0
# The public lookup's per-client limits, raised for the bench: every request comes from 127.0.0.1.
BENCH_LIMIT = "100000000 per minute"
TARGETS = 100_000  # distinct certificates the load generator picks from (at random, per request)
WARMUP_SECONDS = 3.0  # per endpoint, untimed: workers import lazily, open pool connections, cache the body key
SMOKE_CHECKS = 20  # verify answers checked field by field before the load
MAX_ERRORS = 100  # failed connections or requests in one run of the load generator: stop, something is wrong
TARGET_RATIO, TARGET_P99_MS = 0.7, 50.0  # the target for verify against the trivial endpoint

TRIVIAL, VERIFY = "GET /api/v1/", "POST /api/v1/verify"


# --- the data set -------------------------------------------------------------------------------------------

@contextmanager
def bench_database(keep: bool) -> Iterator[str]:
    """A new migrated PostgreSQL database named bench_api_<random>, dropped afterwards unless `keep`."""
    admin = _pg_admin()
    name = f"bench_api_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        if keep:
            print(f"kept {make_url(url).render_as_string()}: measure it again with --reuse-db URL")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"dropped database {name}")
        admin.dispose()


# Per generator process (set by _init_generator).
_job: dict[str, Any] = {}


def _copy_text(value: str) -> str:
    """A value for COPY's text format (str.replace finds nothing to do fast; translate walks every character)."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _init_generator(key_pem: bytes, setup: bulk.Setup, rows: int, qr_signature: str) -> None:
    bulk._init_worker(key_pem)  # the body's signer and the (year, level) groups, as bench.verify uses them
    _job.update(setup=setup, rows=rows, qr_signature=qr_signature)


def _copy_chunk(bounds: tuple[int, int]) -> bytes:
    """COPY text for certificates [start, stop): bench.verify's certificates (numbers, holders, groups, 1 % revoked),
    each record signed for real by the body's key; the QR signature column carries one real but shared signature
    (POST /api/v1/verify never reads it)."""
    signer, groups = bulk._signer, bulk._groups
    assert signer is not None  # noqa: S101  (set by the pool initializer)
    setup: bulk.Setup = _job["setup"]
    rows, qr_signature, kid = _job["rows"], _job["qr_signature"], signer.key_id
    body_id = str(setup.body_id)
    lines = []
    for i in range(*bounds):
        g, number, record = bulk.record_for(i, rows, groups)
        data = canonical_bytes(record.to_dict())
        group = groups[g]
        status = "revoked" if i % bulk.REVOKED_EVERY == bulk.REVOKED_EVERY // 2 else "valid"
        lines.append("\t".join((
            number.text, number.prefix, str(number.year), str(number.level), str(number.serial), body_id,
            str(setup.batch_ids[g]), str(setup.candidate_ids[g]), _copy_text(record.holder_name),
            "resident", record.id_number, group.occupation_code, group.issued_on.isoformat(),
            group.issued_at.isoformat(), _copy_text(data.decode("utf-8")), kid,
            signer.sign_bytes(data), qr_signature, status,
        )))
    lines.append("")
    return "\n".join(lines).encode("utf-8")


def load(url: str, rows: int, vault: KeyVault, workers: int) -> None:
    """Registry root, body, batches and candidates through bench.verify's set_up; then the certificates generated
    by `workers` processes and streamed into one COPY as they come; serial counters, revocations, ANALYZE."""
    bulk.check_rows(rows)
    begun = time.perf_counter()
    with open_database(url) as (engine, sessions):
        setup = bulk.set_up(sessions, vault)
        _g, _n, first = bulk.record_for(0, rows, bulk.groups())
        qr_signature = sign_record_payload(first, load_private_key_pem(setup.key_pem), setup.key_id)
        bounds = [(start, min(start + bulk.CHUNK, rows)) for start in range(0, rows, bulk.CHUNK)]
        raw = engine.raw_connection()
        try:
            conn = bulk._driver_connection(raw)
            with ProcessPoolExecutor(max_workers=workers, initializer=_init_generator,
                                     initargs=(setup.key_pem, setup, rows, qr_signature)) as pool, \
                    conn.cursor() as cursor, \
                    cursor.copy(f"COPY certificates ({', '.join(bulk.COLUMNS)}) FROM STDIN") as copy:
                for block in pool.map(_copy_chunk, bounds):
                    copy.write(block)
            conn.commit()
        finally:
            raw.close()
        copied = time.perf_counter() - begun
        started = time.perf_counter()
        bulk.finish_load(engine, analyze=True)
        finished = time.perf_counter() - started
    print(f"loaded {rows:,} certificates in {copied:.1f} s ({rows / copied:,.0f}/s: {workers} processes build and "
          f"sign the records, one COPY streams them in) + serial counters, revocations and ANALYZE {finished:.1f} s; "
          f"body key {setup.key_id}")


@dataclass(frozen=True)
class Target:
    number: str
    name: str


def pick_targets(url: str, count: int, seed: int) -> list[Target]:
    with open_database(url) as (_engine, sessions):
        return [Target(t.number, t.holder_name) for t in bulk.pick_targets(sessions, count, seed)]


# --- the server ---------------------------------------------------------------------------------------------

def _die_with_parent() -> None:
    """In the gunicorn child before exec: SIGTERM it if this bench dies without stopping it (Linux only)."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    worker_class: str
    threads: int

    def workers(self) -> list[int]:
        return children(self.process.pid)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and int(stat[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat from the state field on (the command name may hold spaces), None if the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds (user + system) of each process still there."""
    found = {}
    for pid in pids:
        stat = _stat(pid)
        if stat is not None:
            found[pid] = (int(stat[11]) + int(stat[12])) / _TICK
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings; a process first seen in the second one started in between."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def server_env(url: str, master_key: str, instance: str) -> dict[str, str]:
    """The production settings: nothing inherited from REGISTRY_* of the calling shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(
        REGISTRY_ENV="production",
        REGISTRY_SECRET_KEY=secrets.token_urlsafe(32),
        REGISTRY_MASTER_KEY=master_key,
        REGISTRY_DATABASE_URL=url,
        REGISTRY_INSTANCE_DIR=instance,
        REGISTRY_VERIFY_RATE_LIMIT=BENCH_LIMIT,
        REGISTRY_VERIFY_CEILING=BENCH_LIMIT,
    )
    return env


@contextmanager
def gunicorn(url: str, master_key: str, *, workers: int, worker_class: str, threads: int) -> Iterator[Server]:
    """gunicorn wsgi:app on a listening socket made here (a free port, no race), stopped on the way out always."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    port = listener.getsockname()[1]
    instance = tempfile.mkdtemp(prefix="bench-api-")
    log = Path(instance) / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "--chdir", str(ROOT), "--bind", f"fd://{listener.fileno()}",
        "--workers", str(workers), "--worker-class", worker_class, "--threads", str(threads),
        "--log-level", "warning", "--error-logfile", str(log), "wsgi:app",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            command, env=server_env(url, master_key, instance), stdout=out, stderr=subprocess.STDOUT,
            pass_fds=(listener.fileno(),), preexec_fn=_die_with_parent,  # noqa: PLW1509
        )
    listener.close()  # gunicorn holds its own copy
    server = Server(port, process, log, worker_class, threads)
    try:
        wait_ready(server, workers)
        yield server
    finally:
        stop(process)
        tail = _log_tail(log, 20)
        if tail:
            print(f"gunicorn's log, last lines:\n{tail}")
        shutil.rmtree(instance, ignore_errors=True)


def wait_ready(server: Server, workers: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.process.returncode}:\n{_log_tail(server.log, 40)}")
        if len(server.workers()) >= workers:
            try:
                status, _body = get(server.port, "/api/v1/")
            except OSError:
                status = 0
            if status == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s:\n{_log_tail(server.log, 40)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (graceful), then SIGKILL after 30 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _log_tail(log: Path, lines: int) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def smoke_check(port: int, targets: Sequence[Target]) -> None:
    """A few lookups through the server, read in full: found, genuine, the number and name asked for."""
    for target in targets[:SMOKE_CHECKS]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            body = json.dumps({"number": target.number, "name": target.name}, ensure_ascii=False).encode()
            conn.request("POST", "/api/v1/verify", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            answer = json.loads(response.read() or b"{}")
        finally:
            conn.close()
        matches = answer.get("matches") or []
        if response.status != 200 or not any(m["number"] == target.number and m["holder_name"] == target.name
                                              and m["genuine"] for m in matches):
            raise SystemExit(f"verify {target.number} {target.name} answered {response.status}: {answer}")


# --- the load generator -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    data: bytes
    expect: bytes  # in every good answer's body


def trivial_requests(port: int) -> list[Request]:
    return [Request(f"GET /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n".encode(),
                    b'"verify"')]


def verify_requests(port: int, targets: Sequence[Target]) -> list[Request]:
    out = []
    for target in targets:
        body = json.dumps({"number": target.number, "name": target.name}, ensure_ascii=False).encode()
        head = (f"POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        out.append(Request(head.encode() + body, f'"number":"{target.number}"'.encode()))
    return out


class _Connection:
    __slots__ = ("sock", "request", "started", "buffer", "header_end", "length", "status", "closing")

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.request: Request | None = None
        self.started = 0.0
        self.reset()

    def reset(self) -> None:
        self.buffer = bytearray()
        self.header_end = -1
        self.length: int | None = None
        self.status = 0
        self.closing = False


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    first_error: str = ""

    def add(self, other: Outcome) -> None:
        self.latencies.extend(other.latencies)
        self.seconds += other.seconds
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error


def drive(port: int, requests: Sequence[Request], *, seconds: float, concurrency: int, rng: random.Random) -> Outcome:
    """A closed loop: `concurrency` connections, each sending its next request as soon as the last answer is read
    in full (HTTP/1.1 keep-alive; a new connection when the server closes, as gunicorn's sync workers do after
    every answer). A latency runs from the request's first byte (or from connect, for a new connection) to the
    answer's last byte; answers completed after the deadline are read but not counted."""
    address = ("127.0.0.1", port)
    selector = selectors.DefaultSelector()
    outcome = Outcome()
    latencies = outcome.latencies
    now = time.perf_counter
    begun = now()
    deadline = begun + seconds
    conns = [_Connection() for _ in range(concurrency)]

    def fail(conn: _Connection, message: str) -> None:
        outcome.errors += 1
        outcome.first_error = outcome.first_error or message
        if outcome.errors >= MAX_ERRORS:
            raise SystemExit(f"{outcome.errors} failed requests, the first: {outcome.first_error}")
        drop(conn)

    def drop(conn: _Connection) -> None:
        if conn.sock is not None:
            if conn.sock in selector.get_map():
                selector.unregister(conn.sock)
            conn.sock.close()
            conn.sock = None

    def start(conn: _Connection) -> None:
        """The next request, on the open connection or a new one; nothing once past the deadline."""
        if now() >= deadline:
            drop(conn)
            return
        conn.request = requests[rng.randrange(len(requests))]
        conn.reset()
        conn.started = now()
        if conn.sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            code = sock.connect_ex(address)
            conn.sock = sock
            if code == 0:
                send(conn)
            elif code == errno.EINPROGRESS:
                selector.register(sock, selectors.EVENT_WRITE, conn)
            else:
                fail(conn, f"connect: {os.strerror(code)}")
                start(conn)
            return
        send(conn)

    def send(conn: _Connection) -> None:
        assert conn.sock is not None and conn.request is not None  # noqa: S101
        try:
            sent = conn.sock.send(conn.request.data)  # a few hundred bytes into an empty socket buffer: all of it
        except OSError as err:
            fail(conn, f"send: {err}")
            start(conn)
            return
        if sent != len(conn.request.data):
            raise SystemExit("a request did not fit in the socket buffer")
        key = selector.get_map().get(conn.sock)
        if key is None:
            selector.register(conn.sock, selectors.EVENT_READ, conn)
        elif key.events != selectors.EVENT_READ:
            selector.modify(conn.sock, selectors.EVENT_READ, conn)

    def done(conn: _Connection, finished: float) -> None:
        assert conn.request is not None  # noqa: S101
        body = bytes(conn.buffer[conn.header_end:])
        if conn.status != 200 or conn.request.expect not in body or (
                conn.request.expect.startswith(b'"number"') and b'"genuine":true' not in body):
            if finished <= deadline:
                outcome.errors += 1
                outcome.first_error = outcome.first_error or f"HTTP {conn.status}: {body[:300]!r}"
        elif finished <= deadline:
            latencies.append(finished - conn.started)
        if conn.closing:
            drop(conn)
        start(conn)

    for conn in conns:
        start(conn)
    while selector.get_map():
        if now() > deadline + 10:
            break  # answers still out 10 s after the deadline: give up on them
        for key, events in selector.select(timeout=1.0):
            conn = key.data
            sock = conn.sock
            if sock is None or key.fileobj is not conn.sock:
                continue  # an event for a socket this connection has already replaced
            if events & selectors.EVENT_WRITE:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    fail(conn, f"connect: {os.strerror(code)}")
                    start(conn)
                else:
                    send(conn)
                continue
            try:
                chunk = sock.recv(65536)
            except ConnectionError as err:
                fail(conn, f"recv: {err}")
                start(conn)
                continue
            finished = now()
            if not chunk:
                if conn.header_end >= 0 and conn.length is None:  # an answer delimited by the close
                    conn.closing = True
                    done(conn, finished)
                else:
                    fail(conn, "connection closed before the answer was complete")
                    start(conn)
                continue
            conn.buffer += chunk
            if conn.header_end < 0:
                end = conn.buffer.find(b"\r\n\r\n")
                if end < 0:
                    continue
                conn.header_end = end + 4
                head = bytes(conn.buffer[:end]).decode("latin-1").lower().split("\r\n")
                conn.status = int(head[0].split()[1])
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    if name == "content-length":
                        conn.length = int(value)
                    elif name == "connection" and "close" in value:
                        conn.closing = True
                    elif name == "transfer-encoding":
                        raise SystemExit(f"the load generator reads no {value.strip()} answers")
                if head[0].startswith("http/1.0") and not any(line.startswith("connection: keep-alive")
                                                                for line in head):
                    conn.closing = True
            if conn.length is not None and len(conn.buffer) - conn.header_end >= conn.length:
                done(conn, finished)
    for conn in conns:
        drop(conn)
    selector.close()
    outcome.seconds = seconds
    return outcome


# --- measuring ----------------------------------------------------------------------------------------------

@dataclass
class Measured:
    endpoint: str
    outcome: Outcome = field(default_factory=Outcome)
    server_cpu: float = 0.0  # seconds, gunicorn workers
    database_cpu: float = 0.0  # seconds, the PostgreSQL backends of this database
    client_cpu: float = 0.0  # seconds, this process (the load generator)
    other_cpu: float = 0.0  # seconds, all else the machine's CPUs did meanwhile (/proc/stat busy time less the above)

    @property
    def rate(self) -> float:
        return len(self.outcome.latencies) / self.outcome.seconds if self.outcome.seconds else 0.0

    def per_request_ms(self, cpu: float) -> float:
        return cpu / max(1, len(self.outcome.latencies)) * 1000

    @property
    def cost_ms(self) -> float:
        """CPU per answered request on this machine: server, PostgreSQL and load generator together."""
        return self.per_request_ms(self.server_cpu + self.database_cpu + self.client_cpu)

    @property
    def other_share(self) -> float:
        """The share of the machine's CPU time busy with other work during the measurement."""
        return self.other_cpu / (self.outcome.seconds * (os.cpu_count() or 1)) if self.outcome.seconds else 0.0


def machine_busy() -> float:
    """CPU seconds all CPUs have spent busy since boot (user, nice, system, irq, softirq, steal)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / _TICK


def database_backends(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalars())


def measure(server: Server, engine: Engine, targets: Sequence[Target], args: argparse.Namespace, concurrency: int,
            rng: random.Random) -> dict[str, Measured]:
    plans = {TRIVIAL: trivial_requests(server.port), VERIFY: verify_requests(server.port, targets)}
    for endpoint, requests in plans.items():
        warm = drive(server.port, requests, seconds=args.warmup, concurrency=concurrency, rng=rng)
        if warm.errors:
            raise SystemExit(f"{endpoint} failed during the warm-up ({warm.errors} errors): {warm.first_error}")
    results = {endpoint: Measured(endpoint) for endpoint in plans}
    for round_ in range(args.rounds):
        # Alternate the order, so neither endpoint always follows the other on a machine whose load drifts.
        order = list(plans) if round_ % 2 == 0 else list(reversed(plans))
        for endpoint in order:
            workers, backends = cpu_seconds(server.workers()), cpu_seconds(database_backends(engine))
            client, busy = time.process_time(), machine_busy()
            outcome = drive(server.port, plans[endpoint], seconds=args.seconds / args.rounds,
                            concurrency=concurrency, rng=rng)
            used = (cpu_used(workers, cpu_seconds(server.workers())),
                    cpu_used(backends, cpu_seconds(database_backends(engine))),  # with any opened meanwhile
                    time.process_time() - client)
            measured = results[endpoint]
            measured.outcome.add(outcome)
            measured.server_cpu += used[0]
            measured.database_cpu += used[1]
            measured.client_cpu += used[2]
            measured.other_cpu += max(0.0, machine_busy() - busy - sum(used))
    for measured in results.values():
        measured.outcome.latencies.sort()
    return results


def report(server: Server, results: dict[str, Measured], args: argparse.Namespace, concurrency: int) -> bool:
    trivial, verify = results[TRIVIAL], results[VERIFY]
    label = f"{server.worker_class}" + (f" x{server.threads} threads" if server.worker_class == "gthread" else "")
    rows = []
    for m in (trivial, verify):
        lat = m.outcome.latencies
        rows.append((m.endpoint, len(lat), m.rate, percentile(lat, 50) * 1000, percentile(lat, 99) * 1000,
                     (lat[-1] if lat else float("nan")) * 1000, m.outcome.errors, m.per_request_ms(m.server_cpu),
                     m.per_request_ms(m.database_cpu), m.per_request_ms(m.client_cpu), f"{m.other_share:.0%}"))
    print()
    print(f"gunicorn {args.workers} {label} workers, concurrency {concurrency}, {args.seconds:g} s per endpoint "
          f"in {args.rounds} alternating rounds")
    print_table((label, "requests", "requests/s", "p50 ms", "p99 ms", "max ms", "errors", "server CPU ms/req",
                 "PostgreSQL CPU ms/req", "client CPU ms/req", "other CPU"), rows)
    for m in (trivial, verify):
        if m.outcome.errors:
            print(f"  {m.endpoint}: {m.outcome.errors} bad answers, the first: {m.outcome.first_error}")
    ratio = verify.rate / trivial.rate if trivial.rate else 0.0
    p99 = percentile(verify.outcome.latencies, 99) * 1000
    met = ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS and not verify.outcome.errors
    print(f"verify/trivial: {ratio:.2f} of the requests per second; CPU per request (server + PostgreSQL + load "
          f"generator) {trivial.cost_ms:.2f} ms against {verify.cost_ms:.2f} ms, a ratio of "
          f"{trivial.cost_ms / verify.cost_ms if verify.cost_ms else 0:.2f} where CPU is all that limits")
    print(f"target ({label}): ratio >= {TARGET_RATIO:g} and verify p99 <= {TARGET_P99_MS:g} ms: "
          f"{'met' if met else 'NOT met'} (ratio {ratio:.2f}, p99 {p99:.1f} ms"
          f"{', with errors' if verify.outcome.errors else ''})")
    return met


# --- where the verify request's time goes (--breakdown) -----------------------------------------------------

def breakdown(url: str, master_key: str, targets: Sequence[Target], count: int, probe: Engine) -> None:
    """In this process, no HTTP server: the app under the same production settings through Flask's test client,
    then the verify path's parts alone, each `count` times over the same random targets. CPU is this process's
    (the app's share of a request, without gunicorn's HTTP handling); PostgreSQL CPU is that of the database's
    backends meanwhile (read through `probe`, a connection of its own)."""
    import psycopg
    from sqlalchemy import event
    from sqlmodel import col, create_engine, select

    from registry import create_app
    from registry.db import get_lookup_session, make_engine, make_session_factory
    from registry.limits import limiter
    from registry.models import Certificate
    from registry.schemas.verify import VerifyRequestSchema, VerifyResponseSchema
    from registry.services.verification import BY_NUMBER, is_genuine, verify_by_number

    saved = {k: v for k, v in os.environ.items() if k.startswith("REGISTRY_")}
    instance = tempfile.mkdtemp(prefix="bench-api-")
    os.environ.update({k: v for k, v in server_env(url, master_key, instance).items() if k.startswith("REGISTRY_")})
    try:
        app = create_app()
    finally:
        for key in [k for k in os.environ if k.startswith("REGISTRY_")]:
            del os.environ[key]
        os.environ.update(saved)
    client = app.test_client()
    n = len(targets)
    bodies = [json.dumps({"number": t.number, "name": t.name}, ensure_ascii=False).encode() for t in targets]
    engine = make_engine(url)  # the app's settings: pool pre-ping on
    bare = create_engine(make_url(url).set(drivername="postgresql+psycopg"))  # as make_engine, without pre-ping
    # What a lookup engine of its own would be: autocommit from the start, no pre-ping (not what the app does).
    lookup_engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    sessions, bare_sessions = make_session_factory(engine), make_session_factory(bare)
    lookup_sessions = make_session_factory(lookup_engine)

    def service(i: int, factory: Any = sessions) -> Any:
        with factory() as session:
            return verify_by_number(session, number=targets[i % n].number, name=targets[i % n].name)

    def lookup(i: int) -> Any:
        """As the view does it: the app's read session in autocommit, closed when the app context ends."""
        with app.app_context():
            return verify_by_number(get_lookup_session(), number=targets[i % n].number, name=targets[i % n].name)

    def bare_connection(i: int) -> Any:
        """The service's statement alone on a connection of the lookup engine: no session, no answer built."""
        with lookup_engine.connect() as connection:
            return connection.execute(BY_NUMBER, {"number": targets[i % n].number,
                                                  "name": targets[i % n].name}).mappings().all()

    def orm_entity(i: int) -> Any:
        with bare_sessions() as session:
            return session.exec(select(Certificate).where(Certificate.number == targets[i % n].number)).all()

    # The very SQL the service sends, caught on its way out, to replay without SQLAlchemy.
    sent: list[tuple[str, dict[str, Any]]] = []

    def catch(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(bare, "before_cursor_execute", catch)
    answer = {"matches": service(0, bare_sessions)}
    event.remove(bare, "before_cursor_execute", catch)
    lookups = [(statement, params) for statement, params in sent if targets[0].number in params.values()]
    if len(lookups) != 1:
        raise SystemExit(f"verify_by_number sent {len(lookups)} statements with the number: {sent}")
    sql, sample = lookups[0]
    slots = {key: "number" if value == targets[0].number else "name" for key, value in sample.items()}
    if sorted(slots.values()) != ["name", "number"]:
        raise SystemExit(f"the lookup's parameters are not number and name: {sample}")
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    in_transaction, autocommit = psycopg.connect(plain), psycopg.connect(plain, autocommit=True)

    def replay(connection: psycopg.Connection[Any], i: int) -> Any:
        target = {"number": targets[i % n].number, "name": targets[i % n].name}
        rows = connection.execute(sql, {key: target[slot] for key, slot in slots.items()}).fetchall()
        if not connection.autocommit:
            connection.rollback()  # as the session ends its transaction when it closes
        return rows

    with bare_sessions() as session:
        certs = list(session.exec(select(Certificate).where(
            col(Certificate.number).in_([t.number for t in targets[:200]]))).all())
    request_schema, response_schema = VerifyRequestSchema(), VerifyResponseSchema()
    post = lambda i: client.post("/api/v1/verify", data=bodies[i % n], content_type="application/json")  # noqa: E731
    steps: list[tuple[str, Any]] = [
        ("app: GET /api/v1/", lambda i: client.get("/api/v1/")),
        ("app: POST /api/v1/verify", post),
        ("app: POST /api/v1/verify, rate limiter off", post),
        ("service: lookup session (autocommit) + verify_by_number, as the view", lookup),
        ("service: session in a transaction + verify_by_number (pre-ping)", service),
        ("service: session in a transaction + verify_by_number, no pre-ping", lambda i: service(i, bare_sessions)),
        ("service: session of an autocommit engine, no pre-ping + verify_by_number",
         lambda i: service(i, lookup_sessions)),
        ("Core: the service's statement on a connection of that engine", bare_connection),
        ("ORM: session + select(Certificate) by number, no joins", orm_entity),
        ("psycopg: the service's SQL, BEGIN ... ROLLBACK", lambda i: replay(in_transaction, i)),
        ("psycopg: the service's SQL, autocommit", lambda i: replay(autocommit, i)),
        ("is_genuine: canonical JSON + ECDSA P-256 verify", lambda i: is_genuine(session, certs[i % len(certs)])),
        ("marshmallow: load the request, dump the answer",
         lambda i: (request_schema.load(json.loads(bodies[i % n])), response_schema.dump(answer))),
    ]
    rows = []
    with bare_sessions() as session:
        for label, step in steps:
            limiter.enabled = "limiter off" not in label  # one limiter object for every app: off for that step only
            try:
                for i in range(min(200, count)):
                    step(i)
                backends = cpu_seconds(database_backends(probe))
                cpu, wall = time.process_time(), time.perf_counter()
                for i in range(count):
                    step(i)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                database = cpu_used(backends, cpu_seconds(database_backends(probe)))
            finally:
                limiter.enabled = True
            rows.append((label, cpu / count * 1000, database / count * 1000, wall / count * 1000))
    in_transaction.close()
    autocommit.close()
    shutil.rmtree(instance, ignore_errors=True)
    engine.dispose()
    bare.dispose()
    lookup_engine.dispose()
    print()
    print(f"where a verify request's time goes: in this process, {count:,} calls each (a test client, no gunicorn)")
    print_table(("step", "CPU ms/call", "PostgreSQL CPU ms/call", "wall ms/call"), rows)


# --- the run ------------------------------------------------------------------------------------------------

def _stop_on_sigterm() -> None:
    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally blocks: server stopped, database dropped

    signal.signal(signal.SIGTERM, handler)


@contextmanager
def dataset(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(database URL, master key): the reused database, or a fresh one loaded here."""
    if args.reuse_db:
        # Not the key the database's private keys were sealed with: the lookups never open a private key.
        yield args.reuse_db, new_master_key()
        return
    master_key = new_master_key()
    vault = KeyVault(parse_master_key(master_key))
    with bench_database(args.keep_db) as url:
        print(f"database {make_url(url).database}: migrated; loading {args.rows:,} certificates")
        load(url, args.rows, vault, args.load_workers)
        yield url, master_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/api.py", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="certificates to load (default 1,000,000)")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="measured seconds per endpoint and worker class (default 30)")
    parser.add_argument("--rounds", type=int, default=6,
                        help="alternating rounds the seconds are split into (default 6)")
    parser.add_argument("--concurrency", default="8",
                        help="connections kept busy, or several comma-separated, each measured in turn (default 8)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="gunicorn workers (default: the CPU count)")
    parser.add_argument("--worker-class", default="sync",
                        help="gunicorn worker class(es), comma-separated, each measured in turn: sync, gthread "
                             "(default sync: see bench/README.md)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--warmup", type=float, default=WARMUP_SECONDS, help="untimed seconds per endpoint first")
    parser.add_argument("--keep-db", action="store_true", help="keep the loaded database and print its URL")
    parser.add_argument("--reuse-db", metavar="URL", help="measure a database kept by --keep-db (no loading)")
    parser.add_argument("--load-workers", type=int, default=os.cpu_count() or 1,
                        help="processes building and signing rows (default: the CPU count)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_ROWS:,} rows, {QUICK_SECONDS:g} s per endpoint in one round, "
                             "1 s warm-up")
    parser.add_argument("--breakdown", type=int, default=0, metavar="N",
                        help="then time the verify path's parts in this process, N calls each (e.g. 3000)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.seconds, args.rounds, args.warmup = QUICK_ROWS, QUICK_SECONDS, 1, 1.0
    classes = [c.strip() for c in args.worker_class.split(",") if c.strip()]
    if not classes or any(c not in ("sync", "gthread") for c in classes):
        parser.error("--worker-class takes sync and/or gthread")
    try:
        levels = [int(c) for c in str(args.concurrency).split(",") if c.strip()]
    except ValueError:
        parser.error("--concurrency takes integers, comma-separated")
    if not levels or min(args.rows, *levels, args.workers, args.threads, args.rounds) < 1 or args.seconds <= 0:
        parser.error("--rows, --concurrency, --workers, --threads, --rounds and --seconds must be positive")
    _stop_on_sigterm()

    begun = time.perf_counter()
    print(f"bench/api.py on {machine()}")
    rng = random.Random(args.seed)
    with dataset(args) as (url, master_key), open_database(url) as (engine, _sessions):
        targets = pick_targets(url, min(TARGETS, args.rows), args.seed)
        print(f"{len(targets):,} random certificates as verify targets (number and holder name, 1 % of them revoked)")
        for worker_class in classes:
            threads = args.threads if worker_class == "gthread" else 1
            with gunicorn(url, master_key, workers=args.workers, worker_class=worker_class,
                          threads=threads) as server:
                print(f"gunicorn wsgi:app (REGISTRY_ENV=production) on 127.0.0.1:{server.port}: {args.workers} "
                      f"{worker_class} workers{f' x {threads} threads' if worker_class == 'gthread' else ''}, "
                      f"pids {server.workers()}; verify limits raised to {BENCH_LIMIT} per client")
                smoke_check(server.port, targets)
                print(f"  {min(SMOKE_CHECKS, len(targets))} lookups through the server: found, genuine, "
                      "the number and name asked for")
                for concurrency in levels:
                    report(server, measure(server, engine, targets, args, concurrency, rng), args, concurrency)
        if args.breakdown:
            breakdown(url, master_key, targets, args.breakdown, engine)
    print(f"\ntotal {time.perf_counter() - begun:.0f} s; at the end: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
