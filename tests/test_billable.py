"""Never pay twice: a billable request is resent only when it certainly never
reached the provider; otherwise its outcome is unknown and the user decides."""

import pytest
from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.models import JobBatch
from prospecting.models import ProviderCall
from prospecting.providers import companies
from prospecting.providers import emails
from prospecting.providers import http
from prospecting.providers import reachstream
from prospecting.providers.errors import ProviderOutcomeUnknown
from prospecting.providers.errors import ProviderUnavailable
from prospecting.sandbox import faults
from prospecting.services import jobs
from prospecting.services import searches
from tests import factories
from tests.drop_server import DropServer
from tests.drop_server import closed_port

FILTER = {"job_title": ["CTO"]}


@pytest.fixture(autouse=True)
def _fresh_sessions():
    http._local.__dict__.clear()
    huey.storage.flush_schedule()
    yield
    http._local.__dict__.clear()
    huey.storage.flush_schedule()


def _step(job_id):
    return db.session.scalar(select(JobBatch).where(JobBatch.job_id == job_id))


def test_a_reachstream_start_whose_connection_dropped_is_posted_once(app, workspace):
    """Before: HTTP retries × the step's attempts POSTed one search 20 times."""
    with DropServer("drop") as server:
        app.config["REACHSTREAM_URL"] = server.url
        search = searches.start(workspace.id, None, FILTER, 5)
        tasks.enqueue_batches(jobs.open_batches(search.id))
        for _ in range(6):  # the step is sent again (reaper, resend, worker retry)
            batch = _step(search.id)
            batch.not_before = None
            db.session.commit()
            factories.run_batch(batch.id)
        assert server.count("POST") == 1
    db.session.refresh(search.job)
    assert search.job.status == "paused"
    assert search.job.error_message.startswith("Outcome unknown: ReachStream")
    assert "may be charged again" in search.job.error_message
    assert _step(search.id).status == "paused"


def test_resuming_an_outcome_unknown_search_sends_it_again_once(
    app, workspace, auth_client
):
    with DropServer("drop") as server:
        app.config["REACHSTREAM_URL"] = server.url
        search = searches.start(workspace.id, None, FILTER, 5)
        tasks.enqueue_batches(jobs.open_batches(search.id))
        page = auth_client.get(f"/jobs/{search.id}/progress")
        assert b"Send again (may be charged again)" in page.data
        app.config["REACHSTREAM_URL"] = app.config["SANDBOX_URL"] + "/reachstream"
        response = auth_client.post(f"/jobs/{search.id}/resume", data={})
        assert response.status_code in (302, 303)
        assert server.count("POST") == 1
    db.session.refresh(search.job)
    assert search.reachstream_batch_id is not None


def test_connection_refused_is_retried_and_says_could_not_connect(app):
    app.config["REACHSTREAM_URL"] = closed_port()
    with pytest.raises(ProviderUnavailable, match="could not connect") as info:
        reachstream.start(FILTER, 5)
    assert "timed out" not in info.value.message
    call = db.session.scalars(select(ProviderCall)).one()
    assert (call.error, call.attempts) == ("connection error", 1)


def test_a_billable_5xx_is_not_retried_and_its_outcome_is_unknown(app):
    faults.set_overrides({"error_rate": 1.0})
    with pytest.raises(ProviderOutcomeUnknown, match="answered HTTP 503"):
        emails.verify("a@acme.com")
    call = db.session.scalars(select(ProviderCall)).one()
    assert (call.status_code, call.attempts) == (503, 1)


def test_a_billable_read_timeout_is_sent_once_and_says_timed_out(app):
    app.config["PROVIDER_READ_TIMEOUT"] = 0.2
    with DropServer("slow", delay=0.6) as server:
        app.config["COMPANY_ENRICHER_URL"] = server.url
        with pytest.raises(ProviderOutcomeUnknown, match="timed out waiting"):
            companies.enrich("acme.com")
        assert server.count("GET") == 1


def test_polls_keep_their_retries(app):
    with DropServer("error") as server:
        app.config["REACHSTREAM_URL"] = server.url
        with pytest.raises(ProviderUnavailable):
            reachstream.poll("batch-1")
        assert server.count("GET") == 4  # one try and PROVIDER_RETRIES retries


def test_an_enrichment_row_whose_check_outcome_is_unknown_says_so(app, workspace):
    from prospecting.services.enrichment.worker import enrich_row

    faults.set_overrides({"error_rate": 1.0})
    values = enrich_row(
        {"email": "a@acme.com", "phone": "", "website": "", "name": "", "company": ""}
    )
    assert values["status"] == "failed"
    assert values["error_message"].startswith("Outcome unknown")


def test_reacher_waits_at_least_a_minute_for_its_answer():
    from config import Config

    assert Config.PROVIDER_READ_TIMEOUTS["emails"] >= 60


def test_a_step_that_died_while_sending_the_start_asks_before_sending_again(
    app, workspace
):
    """A worker killed between the POST and its commit: the step sent again (by the
    reaper or the safety net) pauses as outcome unknown instead of paying twice."""
    with DropServer("error") as server:
        app.config["REACHSTREAM_URL"] = server.url
        search = searches.start(workspace.id, None, FILTER, 5)
        batch = _step(search.id)
        batch.params = {**(batch.params or {}), "start_sent_at": "2026-01-01T00:00"}
        db.session.commit()
        factories.run_batch(batch.id)
        assert server.count("POST") == 0
    db.session.refresh(search.job)
    assert search.job.status == "paused"
    assert "the worker stopped while sending" in search.job.error_message
    assert "start_sent_at" not in (_step(search.id).params or {})


def test_a_start_refused_before_sending_does_not_leave_the_sending_note(app, workspace):
    faults.set_overrides({"rate_limit_rate": 1.0, "retry_after": 0})
    search = searches.start(workspace.id, None, FILTER, 5)
    tasks.enqueue_batches(jobs.open_batches(search.id))
    assert "start_sent_at" not in (_step(search.id).params or {})
    faults.set_overrides({})
    batch = _step(search.id)
    batch.not_before = None
    db.session.commit()
    factories.run_batch(batch.id)
    db.session.refresh(search)
    assert search.reachstream_batch_id is not None
