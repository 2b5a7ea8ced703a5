"""Serial allocation: a counter row per prefix, year and level, incremented inside the issuing transaction."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from registry.errors import Conflict
from registry.models import SerialCounter

MAX_SERIAL = 999_999


def allocate_serials(session: Session, *, prefix: str, year: int, level: int, count: int) -> int:
    """Reserve `count` consecutive serials and return the first.

    The UPDATE holds the counter row's lock until the caller commits or rolls back, so concurrent
    issuers queue on it: no two get the same serial, and an aborted issuance leaves no gap.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(SerialCounter)
        .values(prefix=prefix, year=year, level=level, last_serial=0)
        .on_conflict_do_nothing(index_elements=["prefix", "year", "level"])
    )
    last = session.execute(
        update(SerialCounter)
        .where(col(SerialCounter.prefix) == prefix, col(SerialCounter.year) == year, col(SerialCounter.level) == level)
        .values(last_serial=SerialCounter.last_serial + count)
        .returning(col(SerialCounter.last_serial))
    ).scalar_one()
    if last > MAX_SERIAL:
        raise Conflict(
            "serials-exhausted",
            f"{prefix} 在 {year} 年 {level} 级的证书序号已用尽（最多 {MAX_SERIAL} 个）。",
            f"Serials for {prefix}, {year}, level {level} are used up (at most {MAX_SERIAL}).",
            field="serial",
        )
    return last - count + 1
