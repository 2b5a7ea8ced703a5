"""A queued job whose message the queue lost (Redis restarted without persistence, the queue file deleted)
does not wait forever: the workers' periodic recovery sends it again, and a job sent twice still runs once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import func, select

from registry import jobs as job_queueing
from registry.jobs import JobQueue
from registry.jobs.runner import run_job
from registry.models import Certificate, Job
from registry.services import jobs as job_service
from tests import factories as f


def _work_through(queue: JobQueue) -> int:
    """What a worker does: take every message on the queue and run it. Returns how many it took."""
    taken = 0
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)
        taken += 1
    return taken


def test_a_job_whose_message_was_lost_is_sent_again_and_runs_once(app, session, tmp_path, monkeypatch):
    queue = JobQueue(f"sqlite:///{tmp_path / 'jobs.sqlite3'}", lambda job_id: run_job(app, job_id), stale_after=30)
    monkeypatch.setitem(app.extensions, "registry.jobs", queue)
    f.publish_catalogue(session)
    body = f.body(session)
    assessor, supervisor = f.staff(session, body, "assessor"), f.staff(session, body, "supervisor")
    batch_id = f.submitted_batch(session, body, assessor, count=3).id
    job, _ = job_service.queue_issuance(session, batch_id=batch_id, actor=supervisor, now=datetime.now(UTC))
    job_id = job.id
    job_queueing.send(app, job)

    with app.app_context():
        assert job_queueing.recover_interrupted(app, session) == [], "its message is waiting: nothing to do"
        assert queue.waiting() == {job_id}

        queue.huey.flush()  # the queue lost its messages; the job is still queued in the registry
        assert queue.waiting() == set()
        assert job_queueing.recover_interrupted(app, session) == [job_id]
        assert queue.waiting() == {job_id}
        job_queueing.send(app, session.get(Job, job_id))  # and a duplicate, as a race with a retry would make

        assert _work_through(queue) == 2
    session.expire_all()
    done = session.get(Job, job_id)
    assert (done.status, done.attempts, done.result) == ("succeeded", 1, {"certificates": 3})
    issued = session.exec(select(func.count()).select_from(Certificate).where(Certificate.batch_id == batch_id))
    assert issued.one() == 3
    with app.app_context():
        assert job_queueing.recover_interrupted(app, session) == [], "an ended job is never sent again"
