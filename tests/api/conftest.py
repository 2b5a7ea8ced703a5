"""The app wired to the test's rolled-back session and the test signing key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry import create_app
from registry.limits import limiter
from tests import factories as f


@pytest.fixture
def app(database_url: str, session) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "MASTER_KEY": f.TEST_MASTER_KEY,
                      "VERIFY_RATE_LIMIT": "5 per minute"})
    app.extensions["registry.sessions"] = lambda: session
    app.extensions["registry.read_sessions"] = lambda: session
    with app.app_context():
        limiter.reset()
    yield app
    app.extensions["registry.engine"].dispose()
    app.extensions["registry.read_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
