"""Workers: `registry worker` (Huey's consumer, on any machine that reaches the database and the queue),
or a thread inside `registry run` so the embedded default needs no second process."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from huey import crontab

from registry.db import session_scope
from registry.jobs import job_queue, recover_interrupted

log = logging.getLogger(__name__)

RECOVER_EVERY = 30.0  # seconds between two looks for interrupted jobs in the embedded worker


def run_consumer(app: Flask, *, workers: int) -> None:
    """Run Huey's consumer with `workers` threads until stopped (SIGINT waits for running jobs, SIGTERM not)."""
    queue = job_queue(app)

    @queue.huey.periodic_task(crontab(minute="*"), name="registry.recover_interrupted")
    def recover() -> None:
        with app.app_context(), session_scope(app.extensions["registry.sessions"]) as session:
            recover_interrupted(app, session)

    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                          check_worker_health=True)
    consumer.run()


def start_embedded(app: Flask) -> threading.Thread | None:
    """A daemon thread that takes jobs from the queue one at a time (none in immediate mode)."""
    queue = job_queue(app)
    if queue.immediate:
        return None

    def work() -> None:
        last_recovery = 0.0
        while True:
            try:
                if time.monotonic() - last_recovery > RECOVER_EVERY:
                    last_recovery = time.monotonic()
                    with app.app_context(), session_scope(app.extensions["registry.sessions"]) as session:
                        recover_interrupted(app, session)
                task = queue.huey.dequeue()
                if task is None:
                    time.sleep(0.5)
                    continue
                queue.huey.execute(task)
            except Exception:  # a job's own failure is already recorded; keep serving the queue
                log.exception("embedded worker")
                time.sleep(1.0)

    thread = threading.Thread(target=work, name="registry-embedded-worker", daemon=True)
    thread.start()
    return thread
