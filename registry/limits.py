"""The rate limiter (memory by default, Redis when REGISTRY_RATELIMIT_STORAGE_URI says so)."""

from __future__ import annotations

import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage

# How often the in-memory counters of clients that never came back are dropped (a counter that is read again
# expires on that read, whenever its window is over).
SWEEP_SECONDS = 1.0


class InlineSweptMemoryStorage(MemoryStorage):
    """`memory://` counters as limits keeps them, with expired ones swept inline at most once a second.

    limits' own memory storage sweeps from a timer thread that lives 10 ms and that every counting request starts
    anew when the last one has ended: a new thread per request on a worker serving a few hundred a second, which
    cost a public lookup more than the rate limiting itself (0.6 ms CPU per request, measured in bench/api.py's
    setting). Registered under the `memory` scheme, so `memory://` (the default) means this class.
    """

    STORAGE_SCHEME = ["memory"]  # read by limits' storage registry when the class is made

    _next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # MemoryStorage's private hook, called on every count
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
