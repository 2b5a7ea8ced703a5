"""The production entry point: `gunicorn wsgi:app`."""

import logging

from registry import create_app
from registry.config import DEVELOPMENT_SECRET

app = create_app()
if app.config["SECRET_KEY"] == DEVELOPMENT_SECRET:
    logging.getLogger("registry").warning("REGISTRY_SECRET_KEY is not set: sessions use the development key")
