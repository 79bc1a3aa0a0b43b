"""Prospect search on PostgreSQL + Redis with real worker processes."""

import pytest
from flask import current_app
from sqlalchemy import func
from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import Prospect
from prospecting.sandbox import faults
from prospecting.services import jobs
from prospecting.services import prospects
from tests import factories
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

FAST_PAGES = {"PROSPECT_PAGE_DELAY_SECONDS": "0.2"}


@pytest.fixture
def prospect_app(pg_app):
    # Until the lead generates the migration for this area, add its tables here.
    db.create_all()
    return pg_app


def _job(job_id: str) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _start(target: int) -> str:
    user = factories.make_user(email="it-prospects@acme.test", workspace="Acme IT")
    ws = user.memberships[0].workspace
    prospects.save_account(
        ws.id,
        dsn=current_app.config["UNIPILE_DEFAULT_DSN"],
        api_key="sandbox-key",
        account_id="acc-it",
    )
    body = {
        "search_criteria": {"category": "people", "keywords": "engineer"},
        "search_type": "linkedin",
        "search_source": "classic",
        "target_count": target,
    }
    job = prospects.create_job(ws.id, user.id, body)
    tasks.enqueue_batches(jobs.open_batches(job.id))
    return job.id


def _page_in_flight(job_id: str) -> bool:
    running = db.session.scalar(
        select(func.count())
        .select_from(JobBatch)
        .where(JobBatch.job_id == job_id, JobBatch.status == "running")
    )
    job = _job(job_id)
    assert not job.is_terminal, f"{job.status} early: {job.error_message}"
    return job.progress_current >= 200 and running > 0


def _reap_and_check(job_id: str) -> bool:
    # What the periodic reaper does once a minute, done here every second.
    tasks.enqueue_batches(jobs.reap().requeue)
    return _job(job_id).is_terminal


def test_killed_worker_resumes_from_the_stored_cursor_without_duplicates(
    prospect_app, start_worker
):
    faults.set_overrides({"latency_ms": 250})
    job_id = _start(1000)
    worker = start_worker(threads=2, **FAST_PAGES)
    wait_for(
        lambda: _page_in_flight(job_id),
        timeout=90,
        message="no page in flight after 200 prospects",
    )
    worker.kill()
    at_kill = _job(job_id).progress_current
    assert 200 <= at_kill < 1000
    start_worker(threads=2, **FAST_PAGES)
    wait_for(
        lambda: _reap_and_check(job_id),
        timeout=120,
        interval=1,
        message="the search did not finish after the restart",
    )
    job = _job(job_id)
    assert job.status == "completed", job.error_message
    assert job.progress_current == job.success_count == job.progress_total == 1000
    ids = db.session.scalars(
        select(Prospect.provider_id).where(Prospect.job_id == job_id)
    ).all()
    assert len(ids) == len(set(ids)) == 1000
    per_page = dict(
        db.session.execute(
            select(Prospect.batch, func.count())
            .where(Prospect.job_id == job_id)
            .group_by(Prospect.batch)
        ).all()
    )
    assert per_page == {n: 50 for n in range(1, 21)}
    batches = db.session.scalars(
        select(JobBatch).where(JobBatch.job_id == job_id).order_by(JobBatch.seq)
    ).all()
    assert [b.seq for b in batches] == list(range(1, 21))
    assert all(b.status == "done" for b in batches)
    # The page the kill interrupted ran again from its stored cursor.
    assert any(b.attempts >= 2 for b in batches)
