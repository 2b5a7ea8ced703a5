"""Shared benchmark helpers: a fresh migrated database per backend, realistic people, a filed body with
its signing key and staff, percentiles and plain-text tables."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

import standards
from certificates import make_resident_id, make_uscc
from certificates.pki import new_master_key, parse_master_key
from registry.db import make_engine, make_session_factory
from registry.migrate import upgrade
from registry.models import Body, pk
from registry.services.actors import SYSTEM, Actor
from registry.services.batches import CandidateInput
from registry.services.bodies import BodyFiling, add_scope, file_body
from registry.services.keys import KeyVault, current_key, init_root, root_key
from registry.services.standards import sync_standards
from registry.services.users import create_user

BACKENDS = ("sqlite", "postgresql")
# The maintenance database used to CREATE/DROP the bench_* databases.
PG_ADMIN_URL = os.environ.get("REGISTRY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
PASSWORD = "bench password 2026"  # noqa: S105  (throw-away staff accounts in throw-away databases)
PLACE = "广州市天河区职业技能实训基地"

# --- people -------------------------------------------------------------------------------------------------

SURNAMES = [
    *"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜",
    *"崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤",
    "欧阳", "司马", "上官", "诸葛",
]
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美兰霞平刚桂建国红玉萍文辉力鹏飞斌波宁欣雪琳晨阳浩宇涵轩思远佳怡嘉诺俊志春梅海燕"
    "晓东亮峰凯鑫婷倩颖琪瑶璐雯蕾晶莉淑珍凤荣翠霖泽楠鸿昊铭煜"
)
# A few names written with the middle dot, as printed for many Uyghur, Tibetan and other holders.
DOTTED_NAMES = ("阿依古丽·买买提", "买买提·艾力", "古丽米拉·阿不都", "扎西·次仁", "努尔艾力·吐尔逊", "热依拉·阿布拉")
# GB/T 2260 county-level areas of the first six ID digits.
AREAS = (
    "110105", "110108", "310104", "310115", "440106", "440305", "440113", "510107", "330106", "320102",
    "420106", "370102", "610113", "500103", "120104", "210102", "350203", "430104", "410105", "130102",
)
_BIRTH_DAYS = 14_600  # 40 years of birth dates from 1965-01-01
_FIRST_BIRTH = date(1965, 1, 1)


def person_name(p: int) -> str:
    """A plausible Chinese name for person number p (deterministic; names repeat, as in life)."""
    if p % 97 == 13:
        return DOTTED_NAMES[p // 97 % len(DOTTED_NAMES)]
    surname = SURNAMES[p % len(SURNAMES)]
    k = p // len(SURNAMES)
    first = GIVEN[k * 31 % len(GIVEN)]
    if k % 4 == 0:
        return surname + first
    return surname + first + GIVEN[k * 17 // 7 % len(GIVEN)]


def person_id(p: int) -> str:
    """A valid 18-character resident ID (GB 11643 check character), distinct for every p < 292 million."""
    area = AREAS[p % len(AREAS)]
    q = p // len(AREAS)
    birth = _FIRST_BIRTH + timedelta(days=q * 7919 % _BIRTH_DAYS)  # 7919 is coprime to 14600: a permutation
    return make_resident_id(area, birth, q // _BIRTH_DAYS % 1000)


def candidate_inputs(count: int, kinds: Sequence[str], *, start: int = 0) -> list[CandidateInput]:
    """`count` passing candidates with distinct valid resident IDs."""
    return [
        CandidateInput(name=person_name(p), id_type="resident", id_number=person_id(p),
                       scores={kind: 70 + p % 30 for kind in kinds})
        for p in range(start, start + count)
    ]


# --- databases ----------------------------------------------------------------------------------------------

def backend_of(url: str) -> str:
    return "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"


def backends_from(choice: str) -> list[str]:
    return list(BACKENDS) if choice == "both" else [choice]


def add_backend_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both",
                        help="database backend(s) to measure (default: both)")


def _pg_admin() -> Engine:
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as err:  # noqa: BLE001  (any failure: explain and stop)
        admin.dispose()
        shown = make_url(PG_ADMIN_URL).render_as_string()
        raise SystemExit(f"PostgreSQL is not reachable at {shown} ({type(err).__name__}); "
                         "set REGISTRY_BENCH_DATABASE_URL or use --backend sqlite") from err
    return admin


def migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


@contextmanager
def fresh_database(backend: str, *, keep: bool = False) -> Iterator[str]:
    """A new, migrated database; yields its URL and removes it afterwards unless `keep`."""
    if backend == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="bench-registry-"))
        url = f"sqlite:///{directory / 'registry.sqlite3'}"
        try:
            migrate(url)
            yield url
        finally:
            if keep:
                print(f"  kept {url}")
            else:
                shutil.rmtree(directory, ignore_errors=True)
        return
    admin = _pg_admin()
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        if keep:
            print(f"  kept {make_url(url).render_as_string()}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def open_database(url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """The application's own engine settings (registry.db.make_engine) and session factory."""
    engine = make_engine(url)
    try:
        yield engine, make_session_factory(engine)
    finally:
        engine.dispose()


# --- a filed body with its key and staff ---------------------------------------------------------------------

def publish_catalogue(session: Session) -> None:
    sync_standards(session, versions=standards.load_catalogue(), actor=SYSTEM, now=NOW)


def new_vault() -> KeyVault:
    """A vault with a fresh master key: it encrypts the throw-away databases' private keys and nothing else."""
    return KeyVault(parse_master_key(new_master_key()))


BODY_NAME = "广东省职业技能鉴定指导中心第一评价站"
BODY_CREDIT_CODE = make_uscc("52440100MJ0000001")
BODY_KIND, BODY_CODE, BODY_PROVINCE, BODY_SITE = "S", "0001", "44", "440001"


def file_bench_body(
    session: Session, *, vault: KeyVault, occupations: Sequence[str], valid_from: date, valid_to: date,
    now: datetime = NOW,
) -> tuple[Body, Actor, Actor]:
    """File the bench's body (creating the registry root first if there is none, so the body gets its signing key)
    with every level of `occupations` in scope; create an assessor and a supervisor."""
    if root_key(session) is None:
        init_root(session, vault, actor=SYSTEM, now=now)
        session.commit()
    filing = BodyFiling(
        name=BODY_NAME, kind=BODY_KIND, credit_code=BODY_CREDIT_CODE, province=BODY_PROVINCE,
        body_code=BODY_CODE, site_code=BODY_SITE, contact_name="陈主任", contact_phone="020-87654321",
    )
    body = file_body(session, filing=filing, actor=SYSTEM, vault=vault, now=now)
    for code in occupations:
        add_scope(session, body_id=pk(body), occupation_code=code, work_type=None, levels=[5, 4, 3, 2, 1],
                  valid_from=valid_from, valid_to=valid_to, actor=SYSTEM, now=now)
    staff = []
    for role in ("assessor", "supervisor"):
        user = create_user(session, username=f"bench-{role}", display_name=f"基准{role}", password=PASSWORD,
                           role=role, body_id=body.id, actor=SYSTEM, now=now)
        staff.append(Actor.of(user))
    return body, staff[0], staff[1]


def body_key(session: Session, vault: KeyVault, body_id: int) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """(key id, private key) of the key the body signs with now, as stored in signing_keys and opened by the vault."""
    row = current_key(session, body_id)
    if row is None:
        raise SystemExit(f"body {body_id} has no signing key")
    # A vault with an empty cache: the key is decrypted from what signing_keys holds, not the copy kept at creation.
    return row.key_id, KeyVault(vault.master_key).open(row)


# --- figures ------------------------------------------------------------------------------------------------

def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Left-aligned text, right-aligned numbers."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(headers))] if rows else []
    for index, row in enumerate(cells):
        print("  ".join(c.rjust(w) if numeric and numeric[i] else c.ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def machine() -> str:
    """CPU count and the load average: other work on a small machine shows in the figures."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}, load average {load})"
