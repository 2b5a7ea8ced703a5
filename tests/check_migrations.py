"""`alembic check` on a fresh SQLite database: fails when a model changed without a migration."""

from __future__ import annotations

import tempfile
from pathlib import Path

from registry.db import make_engine
from registry.migrate import check, upgrade


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'check.sqlite3'}")
        upgrade(engine)
        check(engine)
        engine.dispose()
    print("models and migrations agree")


if __name__ == "__main__":
    main()
