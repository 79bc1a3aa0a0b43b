"""Production guard: a provider whose URL still points at the sandbox is not
configured, said at start, on the Ops page, and by the jobs that need it (which
fail at once, without calling it)."""

import logging

from sqlalchemy import select

from config import TestConfig
from prospecting import create_app
from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import ProviderCall
from prospecting.services import jobs
from prospecting.services import searches
from tests import factories
from tests.factories import start_enrichment


def test_production_says_at_start_which_providers_point_at_the_sandbox(
    tmp_path, caplog
):
    with caplog.at_level(logging.WARNING):
        create_app(
            TestConfig,
            PRODUCTION=True,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}",
        )
    said = caplog.text
    assert "ReachStream is not configured: REACHSTREAM_URL still points" in said
    assert "Attestr is not configured" in said
    assert "Jobs that need it fail at once." in said


def test_outside_production_nothing_is_said(app):
    from prospecting.providers import settings

    assert settings.not_configured(app.config) == {}


def test_in_production_a_search_on_the_sandbox_fails_at_once(app, workspace):
    app.config["PRODUCTION"] = True
    search = searches.start(workspace.id, None, {"job_title": ["CTO"]}, 5)
    tasks.enqueue_batches(jobs.open_batches(search.id))
    db.session.refresh(search.job)
    assert search.job.status == "failed"
    assert "ReachStream is not configured" in search.job.error_message
    assert db.session.scalars(select(ProviderCall)).all() == []


def test_in_production_an_enrichment_on_the_sandbox_fails_at_once(auth_client, app):
    app.config["PRODUCTION"] = True
    job = start_enrichment(auth_client, factories.contacts_csv(4))
    assert job.status == "failed"
    assert "not configured" in job.error_message
    assert job.failed_count == 0  # no row was failed one by one


def test_the_ops_page_lists_the_providers_not_configured(operator_client, app):
    app.config["PRODUCTION"] = True
    page = operator_client.get("/ops/providers")
    body = page.get_data(as_text=True)
    assert 'id="ops-not-configured"' in body
    assert "REACHSTREAM_URL still points at the sandbox" in body
    app.config["PRODUCTION"] = False
    body = operator_client.get("/ops/providers").get_data(as_text=True)
    assert 'id="ops-not-configured"' not in body
