"""The page task: one run per page, the next page scheduled after the delay."""

from datetime import timedelta

from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.models import JobBatch
from prospecting.models.base import utcnow
from prospecting.sandbox import faults
from prospecting.services import jobs
from prospecting.services import prospects
from prospecting.tasks import run_batch as fetch_prospect_page
from tests.test_prospects_service import connect
from tests.test_prospects_service import request_body
from tests.test_prospects_service import stored


def _scheduled() -> list:
    return [
        t for t in huey.scheduled() if t.name == fetch_prospect_page.task_class.__name__
    ]


def _create_job(workspace, **kw):
    connect(workspace.id)
    return prospects.create_job(workspace.id, None, request_body(**kw))


def test_page_task_schedules_the_next_page_after_the_delay(workspace):
    job = _create_job(workspace, target=120)
    batch_id = jobs.open_batches(job.id)[0][0]
    before = utcnow()
    fetch_prospect_page.call_local(batch_id)
    (task,) = _scheduled()
    next_batch = db.session.get(JobBatch, task.args[0])
    assert next_batch.job_id == job.id and next_batch.seq == 2
    assert before + timedelta(seconds=1.5) < task.eta < before + timedelta(seconds=5)
    assert len(stored(job.id)) == 50


def test_page_tasks_chain_to_the_target_when_there_is_no_delay(workspace, app):
    app.config["PROSPECT_PAGE_DELAY_SECONDS"] = 0
    job = _create_job(workspace, target=120)
    fetch_prospect_page(jobs.open_batches(job.id)[0][0])
    db.session.refresh(job)
    assert job.status == "completed" and len(stored(job.id)) == 120
    assert _scheduled() == []


def test_rate_limited_page_task_schedules_its_own_retry(workspace, app):
    app.config["PROSPECT_BACKOFF_SECONDS"] = 7
    job = _create_job(workspace, target=60)
    batch_id = jobs.open_batches(job.id)[0][0]
    faults.set_overrides({"unipile_rate_limited": True})
    before = utcnow()
    fetch_prospect_page.call_local(batch_id)
    (task,) = _scheduled()
    assert task.args == (batch_id,)
    assert before + timedelta(seconds=6) < task.eta < before + timedelta(seconds=9)


def test_last_page_schedules_nothing(workspace):
    faults.set_overrides({"unipile_total_count": 20})
    job = _create_job(workspace, target=100)
    fetch_prospect_page.call_local(jobs.open_batches(job.id)[0][0])
    db.session.refresh(job)
    assert job.status == "completed" and _scheduled() == []
