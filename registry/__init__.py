"""The registry application: create_app assembles the parts and does nothing else."""

from __future__ import annotations

from typing import Any

from flask import Flask

from registry import api, db
from registry.config import INSTANCE_DIR, load_config
from registry.limits import limiter


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.update(load_config(config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    db.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    return app
