"""A killed worker's batches are sent again within seconds, not after their lease, on
PostgreSQL and Redis with real `flask worker` processes; a slow but living worker
keeps its batch."""

import socket
import time

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import JobBatch
from prospecting.sandbox import faults
from tests.integration.conftest import wait_for
from tests.integration.test_enrichment_pg import FAST_LIMITS
from tests.integration.test_enrichment_pg import assert_every_row_counted_once
from tests.integration.test_enrichment_pg import job_state
from tests.integration.test_enrichment_pg import start_job

pytestmark = pytest.mark.integration

# A lease far longer than the test: only the heartbeat can explain a quick recovery.
ENV = {**FAST_LIMITS, "BATCH_LEASE_SECONDS": "600", "OPS_HEARTBEAT_SECONDS": "1"}


def _held_by(job_id: str, worker_id: str) -> list[int]:
    db.session.expire_all()
    return db.session.scalars(
        select(JobBatch.id).where(
            JobBatch.job_id == job_id,
            JobBatch.status == "running",
            JobBatch.worker == worker_id,
        )
    ).all()


def _where_it_stands(job_id: str) -> str:
    """The job's status and its batches by status, for a failure message."""
    job = job_state(job_id)
    batches = db.session.execute(
        select(JobBatch.id, JobBatch.status, JobBatch.worker, JobBatch.attempts,
               JobBatch.error).where(JobBatch.job_id == job_id,
                                     JobBatch.status != "done")
    ).all()  # fmt: skip
    return f"job {job.status} ({job.error_message}); open batches {batches}"


def _all_done(batch_ids: list[int]) -> bool:
    db.session.expire_all()
    states = db.session.scalars(
        select(JobBatch.status).where(JobBatch.id.in_(batch_ids))
    ).all()
    return all(s == "done" for s in states)


def test_a_killed_workers_batches_run_again_within_seconds(pg_app, start_worker):
    faults.set_overrides({"latency_ms": 30})
    job_id = start_job(800)
    victim = start_worker(threads=4, **ENV)
    start_worker(threads=4, **ENV)
    victim_id = f"{socket.gethostname()}:{victim.proc.pid}"
    wait_for(
        lambda: (
            job_state(job_id).progress_current >= 100 and _held_by(job_id, victim_id)
        ),
        timeout=120,
        message="no progress, or the victim held no batch",
    )
    held = _held_by(job_id, victim_id)
    victim.kill()
    killed_at = time.monotonic()
    # Taken back within seconds (the lease is 600 s): they wait for their turn in
    # the queue again, behind the batches sent before them.
    wait_for(
        lambda: not _held_by(job_id, victim_id),
        timeout=30,
        message=lambda: (
            f"killed batches {held} not taken back: " + _where_it_stands(job_id)
        ),
    )
    taken_back = time.monotonic() - killed_at
    wait_for(
        lambda: job_state(job_id).is_terminal,
        timeout=180,
        message=lambda: _where_it_stands(job_id),
    )
    assert _all_done(held)
    assert_every_row_counted_once(job_id, 800)
    print(
        f"\n{len(held)} batches of the killed worker taken back {taken_back:.1f}s later"
    )


def test_a_slow_living_worker_keeps_its_batch(pg_app, start_worker):
    # Every verification takes 1.5 s: a batch runs for many heartbeats, and
    # nobody takes it over while its worker beats.
    faults.set_overrides({"latency_ms": 1500})
    env = {**ENV, "BATCH_OWNER_GONE_SECONDS": "3", "ENRICHMENT_BATCH_SIZE": "5"}
    # A job's batch size is fixed when it starts (params["batch_size"]): two
    # batches of five rows.
    pg_app.config["ENRICHMENT_BATCH_SIZE"] = 5
    job_id = start_job(10)
    start_worker(threads=2, **env)
    start_worker(threads=2, **env)
    wait_for(lambda: job_state(job_id).is_terminal, timeout=120, message="job")
    assert_every_row_counted_once(job_id, 10)
    db.session.expire_all()
    attempts = db.session.scalars(
        select(JobBatch.attempts).where(
            JobBatch.job_id == job_id, JobBatch.kind == "enrichment.rows"
        )
    ).all()
    assert attempts == [1, 1], "each batch ran once, on the worker that took it"
