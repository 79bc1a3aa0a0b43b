"""The page task: one run per page, the next page scheduled after the delay."""

from datetime import timedelta

import pytest

from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.models import JobBatch
from prospecting.models.base import utcnow
from prospecting.providers import unipile
from prospecting.sandbox import faults
from prospecting.services import jobs
from prospecting.services import prospects
from prospecting.services.prospects import pages
from prospecting.tasks import run_batch as fetch_prospect_page
from tests import factories
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


class PacedClock:
    """The pacing's clock for a page run: sleeping and each request's latency move
    it; every request's start and answer are kept."""

    def __init__(self, monkeypatch, *, latency=0.2, parse=0.0):
        self.now, self.calls, self.slept = 1000.0, [], []
        monkeypatch.setattr(pages, "_now", lambda: self.now)
        monkeypatch.setattr(pages, "_sleep", self.sleep)
        real_call, real_parse = unipile._call, unipile.parse_page

        def call(*args, **kwargs):
            started = self.now
            self.now += latency  # the answer's headers come after the latency
            response = real_call(*args, **kwargs)
            self.calls.append((started, self.now))
            return response

        def parse_page(body):
            self.now += parse  # reading and parsing 100 people takes time too
            return real_parse(body)

        monkeypatch.setattr(unipile, "_call", call)
        monkeypatch.setattr(unipile, "parse_page", parse_page)

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("picked_up", [0.0, 0.6, 1.4, 1.99, 3.0])
def test_the_next_request_starts_no_sooner_than_the_delay_after_the_answer(
    workspace, app, monkeypatch, picked_up
):
    """The delay protects the user's LinkedIn account: the next page's request
    starts at least PROSPECT_PAGE_DELAY_SECONDS after the previous page's answer
    came, however early a worker picks the page up (it is queued ahead of its
    time), and no later than that when the page was picked up in time."""
    app.config.update(PROSPECT_PAGE_DELAY_SECONDS=2.0, PROSPECT_PAGE_LEAD_SECONDS=1.5)
    clock = PacedClock(monkeypatch, parse=0.3)
    job = _create_job(workspace, target=120)
    first = factories.run_batch(jobs.open_batches(job.id)[0][0])
    ((next_id, _),) = first.later
    answered = clock.calls[0][1]
    clock.now = answered + picked_up
    factories.run_batch(next_id)
    started = clock.calls[1][0]
    assert started >= answered + 2.0
    assert started == pytest.approx(max(answered + 2.0, answered + picked_up))


def test_the_delay_runs_from_the_answer_not_from_the_page_being_stored(
    workspace, app, monkeypatch
):
    """Reading, parsing and storing a page happen within the delay: the next page
    is due the delay after the answer's headers came, and is sent the lead before
    that."""
    app.config.update(PROSPECT_PAGE_DELAY_SECONDS=2.0, PROSPECT_PAGE_LEAD_SECONDS=1.5)
    PacedClock(monkeypatch, latency=0.2, parse=0.3)
    job = _create_job(workspace, target=120)
    first = factories.run_batch(jobs.open_batches(job.id)[0][0])
    ((next_id, delay),) = first.later
    assert db.session.get(JobBatch, next_id).params["not_before"] == 1002.2
    assert delay == pytest.approx(1002.2 - 1.5 - 1000.5)


def test_a_page_waits_its_time_with_everything_but_the_request_done(
    workspace, app, monkeypatch
):
    """What a page does before its request (the job, the account, the key's
    decryption) happens before the wait, so the request goes out when the wait
    ends."""
    app.config.update(PROSPECT_PAGE_DELAY_SECONDS=2.0, PROSPECT_PAGE_LEAD_SECONDS=1.5)
    clock = PacedClock(monkeypatch)
    job = _create_job(workspace, target=120)
    first = factories.run_batch(jobs.open_batches(job.id)[0][0])
    ((next_id, _),) = first.later
    steps = []
    real_credentials = pages.credentials
    monkeypatch.setattr(
        pages,
        "credentials",
        lambda account: (steps.append("credentials"), real_credentials(account))[1],
    )
    monkeypatch.setattr(
        pages, "_sleep", lambda s: (steps.append("wait"), clock.sleep(s))
    )
    real_call = unipile._call
    monkeypatch.setattr(
        unipile,
        "_call",
        lambda *a, **k: (steps.append("request"), real_call(*a, **k))[1],
    )
    clock.now += 0.6
    factories.run_batch(next_id)
    assert steps == ["credentials", "wait", "request"]
