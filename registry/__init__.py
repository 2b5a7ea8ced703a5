"""The registry application: create_app assembles the parts and does nothing else."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from registry import api, db, jobs, uploads, web
from registry.config import INSTANCE_DIR, load_config
from registry.limits import limiter


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), static_folder=None)  # pages serve their own /static
    app.config.update(load_config(config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if app.config["PROXY_COUNT"]:
        # The client address the rate limits count by is the one the trusted proxies saw.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
    db.init_app(app)
    limiter.init_app(app)
    jobs.init_app(app)
    uploads.init_app(app)
    api.init_app(app)
    web.init_app(app)
    return app
