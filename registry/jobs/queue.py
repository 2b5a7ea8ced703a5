"""The task queue (Huey): where job ids wait for a worker, and where a running job reports its progress.

`REGISTRY_JOBS_URL` chooses the store: `sqlite:///path` on the embedded default (a file of its own, so a
job's progress is written while the registry database is locked by the job's transaction), `redis://…` in
production, with workers on any number of machines, or `immediate` to run each job inside the request that
asked for it (tests, and scripts that want the answer now).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy.engine import make_url

TASK_NAME = "registry.run_job"
HEARTBEAT_SECONDS = 5.0  # a running job says it is alive this often


@dataclass(frozen=True)
class LiveProgress:
    """What a running job last said: items done of total, and when (seconds since the epoch)."""

    done: int
    total: int
    at: float
    worker: str


def make_huey(url: str, *, name: str = "registry") -> Huey:
    if url == "immediate":
        return MemoryHuey(name, immediate=True)
    parsed = make_url(url) if "://" in url else None
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        path = parsed.database or "jobs.sqlite3"
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return SqliteHuey(name, filename=path, timeout=30)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url)
    raise ValueError(f"REGISTRY_JOBS_URL {url!r}: use sqlite:///path, redis://host:port/db or immediate")


class JobQueue:
    """One Huey instance with the registry's single task, which runs a job by its id."""

    def __init__(self, url: str, run_job: Callable[[int], None], *, stale_after: float) -> None:
        self.huey = make_huey(url)
        self.stale_after = stale_after
        self._task = self.huey.task(name=TASK_NAME, retries=0, context=False)(run_job)

    @property
    def immediate(self) -> bool:
        return bool(self.huey.immediate)

    def send(self, job_id: int) -> None:
        """Put the job on the queue (in immediate mode it runs now, before this returns)."""
        self._task(job_id)

    def waiting(self) -> set[int]:
        """The ids of the jobs whose message is on the queue, not yet taken by a worker."""
        return {int(task.args[0]) for task in self.huey.pending() if task.name == TASK_NAME and task.args}

    # ------------------------------------------------------------------ progress and heartbeat

    def report(self, job_id: int, done: int, total: int) -> None:
        self.huey.put(_key(job_id), {"done": done, "total": total, "at": time.time(), "worker": _worker_name()})

    def progress(self, job_id: int) -> LiveProgress | None:
        data: dict[str, Any] | None = self.huey.get(_key(job_id), peek=True)
        if not data:
            return None
        return LiveProgress(done=int(data["done"]), total=int(data["total"]), at=float(data["at"]),
                            worker=str(data.get("worker", "")))

    def forget(self, job_id: int) -> None:
        self.huey.delete(_key(job_id))

    def is_stale(self, job_id: int, *, started_at: float | None) -> bool:
        """True when a running job's worker has not been heard from for `stale_after` seconds: it was killed
        or its machine went away, and the job can be sent again."""
        live = self.progress(job_id)
        last = live.at if live is not None else started_at
        return last is None or time.time() - last > self.stale_after

    @contextmanager
    def heartbeat(self, job_id: int, total: int) -> Iterator[Callable[[int, int], None]]:
        """While the block runs, a thread renews the job's progress report; yields the report function."""
        state = {"done": 0, "total": total}
        stop = threading.Event()

        def tell(done: int, total: int) -> None:
            state["done"], state["total"] = done, total
            self.report(job_id, done, total)

        def beat() -> None:
            while not stop.wait(HEARTBEAT_SECONDS):
                self.report(job_id, state["done"], state["total"])

        tell(0, total)
        thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
        thread.start()
        try:
            yield tell
        finally:
            stop.set()
            thread.join()


def _key(job_id: int) -> str:
    return f"registry:job:{job_id}:progress"


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
