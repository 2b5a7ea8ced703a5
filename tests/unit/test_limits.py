"""The limiter's `memory://` storage: limits' counters, swept inline instead of by a timer thread per request."""

from __future__ import annotations

import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from registry import limits as registry_limits
from registry.limits import InlineSweptMemoryStorage


def quiet_storage() -> InlineSweptMemoryStorage:
    storage = storage_from_string("memory://")
    assert isinstance(storage, InlineSweptMemoryStorage)  # what the default REGISTRY_RATELIMIT_STORAGE_URI gives
    storage.timer.join()  # the one timer limits starts when the storage is made
    return storage


def test_memory_counters_limit_as_before_without_starting_threads():
    storage = quiet_storage()
    limiter = FixedWindowRateLimiter(storage)
    threads = threading.active_count()
    item = parse("3 per minute")

    allowed = [limiter.hit(item, "client", "verify") for _ in range(5)]

    assert allowed == [True, True, True, False, False]
    assert not limiter.test(item, "client", "verify") and limiter.test(item, "other client", "verify")
    assert threading.active_count() == threads and not storage.timer.is_alive()


def test_expired_counters_of_clients_that_never_return_are_swept(monkeypatch):
    monkeypatch.setattr(registry_limits, "SWEEP_SECONDS", 0.0)
    storage = quiet_storage()
    storage.incr("gone", expiry=0.01)
    storage.incr("staying", expiry=60)
    time.sleep(0.02)

    storage.incr("another", expiry=60)  # any count sweeps, at most once per SWEEP_SECONDS

    assert set(storage.storage) == {"staying", "another"}
