"""Failing or cancelling a job while its batches finish, on PostgreSQL: one lock
order (batches, then the job), so neither side deadlocks and every count adds up."""

import random
import threading
import time

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.services import jobs
from tests import factories
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

KIND = "enrichment.rows"


def running_job(batches: int) -> tuple[int, str, dict[int, str]]:
    """A running job whose batches are all claimed: workspace, job id, owners."""
    user = factories.make_user(email=f"locks{batches}@x.test", workspace="Locks")
    ws = user.memberships[0].workspace.id
    job = factories.make_job(ws, status="running", progress_total=batches * 3)
    for seq in range(1, batches + 1):
        jobs.add_batch(job.id, kind=KIND, seq=seq)
    db.session.commit()
    ids = db.session.scalars(
        select(JobBatch.id).where(JobBatch.job_id == job.id).order_by(JobBatch.id)
    ).all()
    owners = {batch_id: jobs.claim(batch_id, kinds=(KIND,)) for batch_id in ids}
    return ws, job.id, owners


def stop(action: str, ws: int, job_id: str) -> None:
    if action == "fail":
        jobs.fail(job_id, "Stopped by the test.")
    else:
        jobs.cancel(ws, job_id)


def in_thread(app, errors: list, fn, *args) -> threading.Thread:
    """Run fn in a thread with its own app context (its own session and
    connection); exceptions are collected, not lost."""

    def run():
        with app.app_context():
            try:
                fn(*args)
            except Exception as exc:
                errors.append(exc)
                db.session.rollback()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def waiting_on_a_lock() -> int:
    """Backends of this database waiting for a row lock right now."""
    with db.engine.connect() as conn:
        return conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


def fresh(job_id: str) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def batch_statuses(job_id: str) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(JobBatch.status, func.count())
            .where(JobBatch.job_id == job_id)
            .group_by(JobBatch.status)
        ).all()
    )


@pytest.mark.parametrize("action", ["fail", "cancel"])
def test_stopping_a_job_while_a_batch_finishes_waits_instead_of_deadlocking(
    pg_app, action
):
    ws, job_id, owners = running_job(3)
    first, owner = next(iter(owners.items()))
    held, go, errors = threading.Event(), threading.Event(), []

    def finish_batch():
        # The worker holds its batch (as a batch does while writing its last
        # item), then adds its counts to the job.
        assert jobs.extend(first, owner)
        held.set()
        go.wait(30)
        assert jobs.complete(first, owner, success=2, failed=1)

    worker = in_thread(pg_app, errors, finish_batch)
    assert held.wait(30)
    stopper = in_thread(pg_app, errors, stop, action, ws, job_id)
    # The stop must reach the batch the worker holds before the worker goes on:
    # with the job row locked first, the worker's count update deadlocked here.
    wait_for(lambda: waiting_on_a_lock() >= 1, timeout=10, message="no lock wait")
    go.set()
    worker.join(30)
    stopper.join(30)

    assert not worker.is_alive() and not stopper.is_alive()
    assert errors == []
    job = fresh(job_id)
    assert job.status == ("failed" if action == "fail" else "cancelled")
    assert (job.success_count, job.failed_count, job.progress_current) == (2, 1, 3)
    assert batch_statuses(job_id) == {"done": 1, "cancelled": 2}


@pytest.mark.parametrize("action", ["fail", "cancel"])
def test_stopping_a_job_while_many_batches_finish_keeps_counts_consistent(
    pg_app, action
):
    ws, job_id, owners = running_job(240)
    errors: list = []
    queue = list(owners.items())
    random.Random(7).shuffle(queue)
    lock = threading.Lock()

    def finish_batches():
        while True:
            with lock:
                if not queue:
                    return
                batch_id, owner = queue.pop()
            if not jobs.extend(batch_id, owner):
                db.session.rollback()
                continue
            time.sleep(0.002)  # the batch's last write, with its lock held
            jobs.complete(batch_id, owner, success=2, failed=1)

    workers = [in_thread(pg_app, errors, finish_batches) for _ in range(12)]
    wait_for(lambda: fresh(job_id).progress_current >= 30, timeout=30)
    stopper = in_thread(pg_app, errors, stop, action, ws, job_id)
    for thread in [*workers, stopper]:
        thread.join(60)
        assert not thread.is_alive()

    assert errors == []
    job = fresh(job_id)
    assert job.status == ("failed" if action == "fail" else "cancelled")
    statuses = batch_statuses(job_id)
    assert set(statuses) <= {"done", "cancelled"} and statuses.get("cancelled")
    done = statuses["done"]
    assert (job.success_count, job.failed_count) == (2 * done, done)
    assert job.progress_current == 3 * done
    counted = db.session.execute(
        select(func.sum(JobBatch.success_count), func.sum(JobBatch.failed_count)).where(
            JobBatch.job_id == job_id, JobBatch.status == "done"
        )
    ).one()
    assert tuple(counted) == (job.success_count, job.failed_count)
