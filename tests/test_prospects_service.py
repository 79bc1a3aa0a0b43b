"""Prospect search service: accounts, caps, cursor pages, resumes, 429, 401, timeout."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import Prospect
from prospecting.models.base import utcnow
from prospecting.sandbox import faults
from prospecting.sandbox.unipile import encode_cursor
from prospecting.services import jobs
from prospecting.services import prospects
from prospecting.services.errors import InvalidInput
from prospecting.services.prospects import pages
from tests import factories


def connect(workspace_id: int, *, api_key="sandbox-key", account_id="acc-1"):
    """Connect the workspace to the live sandbox Unipile."""
    from flask import current_app

    return prospects.save_account(
        workspace_id,
        dsn=current_app.config["UNIPILE_DEFAULT_DSN"],
        api_key=api_key,
        account_id=account_id,
    )


def request_body(target=120, source="classic", **criteria):
    criteria = {"category": "people", "keywords": "developer", **criteria}
    return {
        "search_criteria": criteria,
        "search_type": "linkedin",
        "search_source": source,
        "target_count": target,
    }


def drive(job_id: str, *, max_runs: int = 100) -> int:
    """Run the job's open pages until none is left, as workers would; returns runs."""
    runs = 0
    while runs < max_runs:
        open_batches = jobs.open_batches(job_id)
        if not open_batches:
            return runs
        for batch_id, _ in open_batches:
            factories.run_batch(batch_id)
            runs += 1
    raise AssertionError("the job never ran out of pages")


def stored(job_id: str) -> list[Prospect]:
    return list(
        db.session.scalars(
            select(Prospect).where(Prospect.job_id == job_id).order_by(Prospect.id)
        )
    )


def test_save_account_encrypts_the_api_key_at_rest(workspace):
    account = connect(workspace.id, api_key="very-secret-key")
    assert "very-secret-key" not in account.api_key_encrypted
    assert prospects.credentials(account).api_key == "very-secret-key"


def test_save_account_with_blank_key_keeps_the_stored_key(workspace, monkeypatch):
    connect(workspace.id, api_key="first-key")
    # The DSN is resolved when saved; no DNS here, so answer a public address.
    monkeypatch.setattr(
        "socket.getaddrinfo",
        lambda host, port, *a, **k: [(2, 1, 6, "", ("93.184.216.34", port))],
    )
    account = prospects.save_account(
        workspace.id, dsn="api8.unipile.com:13811", api_key="", account_id="acc-2"
    )
    assert prospects.credentials(account).api_key == "first-key"
    assert prospects.credentials(account).base_url == "api8.unipile.com:13811"


def test_check_account_marks_refused_key_disconnected(workspace):
    connect(workspace.id, api_key="invalid-key")
    account = prospects.check_account(workspace.id)
    assert account.status == "disconnected"
    assert "401" in account.last_error
    assert account.checked_at is not None


def test_check_account_keeps_a_working_account_active(workspace):
    connect(workspace.id)
    account = prospects.check_account(workspace.id)
    assert account.status == "active" and account.last_error is None


@pytest.mark.parametrize(
    "source,cap", [("classic", 1000), ("sales_navigator", 2500), ("recruiter", 2500)]
)
def test_create_job_refuses_target_above_the_source_cap(workspace, source, cap):
    connect(workspace.id)
    with pytest.raises(InvalidInput) as err:
        prospects.create_job(workspace.id, None, request_body(cap + 1, source))
    assert f"{cap:,}" in err.value.message
    prospects.create_job(workspace.id, None, request_body(cap, source))


def test_create_job_without_an_account_fails_at_once(workspace):
    with pytest.raises(InvalidInput, match="No active LinkedIn account found"):
        prospects.create_job(workspace.id, None, request_body())
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_create_job_with_a_disconnected_account_is_refused(workspace):
    connect(workspace.id)
    prospects.disconnect(workspace.id, "gone")
    with pytest.raises(InvalidInput, match="No active LinkedIn account found"):
        prospects.create_job(workspace.id, None, request_body())


# Unipile's published "Perform Linkedin search" schema names each api's filters
# differently (contracts/unipile/linkedin-search.request.json).
PUBLISHED_BODIES = {
    "classic": {
        "api": "classic",
        "category": "people",
        "keywords": "developer",
        "location": ["102277331"],
        "advanced_keywords": {"title": "CTO"},
    },
    "sales_navigator": {
        "api": "sales_navigator",
        "category": "people",
        "keywords": "developer",
        "location": {"include": ["102277331"]},
        "role": {"include": ["CTO"]},
        "company_headcount": [{"min": 11, "max": 50}],
    },
    "recruiter": {
        "api": "recruiter",
        "category": "people",
        "keywords": "developer",
        "location": [{"id": "102277331"}],
        "role": [{"keywords": "CTO", "priority": "MUST_HAVE", "scope": "CURRENT"}],
        "company_headcount": [{"min": 11, "max": 50}],
    },
}


@pytest.mark.parametrize("source", list(PUBLISHED_BODIES))
def test_create_job_maps_criteria_to_each_apis_published_fields(workspace, source):
    connect(workspace.id)
    body = request_body(
        200, source, title="CTO", location=["102277331"], company_headcount=["C"]
    )
    job = prospects.create_job(workspace.id, None, body)
    assert job.status == "queued" and job.progress_total == 200
    assert job.params["provider_params"] == PUBLISHED_BODIES[source]
    assert [kind for _, kind in jobs.open_batches(job.id)] == [prospects.PAGE]


@pytest.mark.parametrize(
    "given,bands",
    [
        (["B", "C"], [{"min": 1, "max": 10}, {"min": 11, "max": 50}]),
        (["a", "I"], [{"min": 1, "max": 1}, {"min": 10001}]),
        (["11-50", "C", "G"], [{"min": 11, "max": 50}, {"min": 1001, "max": 5000}]),
    ],
)
def test_company_headcount_takes_linkedin_size_letters_or_band_names(
    workspace, given, bands
):
    connect(workspace.id)
    body = request_body(10, "sales_navigator", company_headcount=given)
    job = prospects.create_job(workspace.id, None, body)
    assert job.params["provider_params"]["company_headcount"] == bands


@pytest.mark.parametrize(
    "account_id,api",
    [
        ("salesnav-1", "sales_navigator"),
        ("recruiter-1", "recruiter"),
        ("acc-1", "classic"),
    ],
)
def test_without_search_source_the_search_uses_the_best_api_of_the_account(
    workspace, account_id, api
):
    connect(workspace.id, account_id=account_id)
    assert prospects.check_account(workspace.id).premium_features is not None
    body = request_body(10)
    del body["search_source"]
    job = prospects.create_job(workspace.id, None, body)
    assert job.params["api"] == job.params["provider_params"]["api"] == api


def test_features_of_an_account_never_tested_are_read_when_a_search_needs_them(
    workspace,
):
    account = connect(workspace.id, account_id="salesnav-2")
    assert account.premium_features is None
    body = request_body(10)
    del body["search_source"]
    job = prospects.create_job(workspace.id, None, body)
    assert job.params["api"] == "sales_navigator"
    assert prospects.get_account(workspace.id).premium_features == [
        "sales_navigator",
        "premium",
    ]


def test_an_explicit_search_source_wins_over_the_accounts_best_api(workspace):
    connect(workspace.id, account_id="salesnav-3")
    job = prospects.create_job(workspace.id, None, request_body(10, "classic"))
    assert job.params["api"] == "classic"


def test_a_sales_navigator_search_with_location_and_title_runs_on_the_sandbox(
    workspace,
):
    connect(workspace.id)
    body = request_body(60, "sales_navigator", title="CTO", location=["106967730"])
    job = prospects.create_job(workspace.id, None, body)
    drive(job.id)
    db.session.refresh(job)
    rows = stored(job.id)
    assert job.status == "completed", job.error_message
    assert len(rows) == 60
    assert all("CTO" in r.title and r.location == "Berlin, Germany" for r in rows)


@pytest.mark.parametrize(
    "body,message",
    [
        ({"search_source": "facebook", "target_count": 10}, "search_source"),
        (request_body("many"), "whole number"),
        (request_body(0), "at least 1"),
        (request_body(10, keywords=""), "keywords, a title or a location"),
        (request_body(10, location=["Paris"]), "location ids"),
        (request_body(10, company_headcount=["huge"]), "company_headcount"),
    ],
)
def test_create_job_rejects_bad_requests(workspace, body, message):
    connect(workspace.id)
    with pytest.raises(InvalidInput, match=message):
        prospects.create_job(workspace.id, None, body)


def test_job_walks_the_cursor_to_the_target(workspace):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(120))
    first = factories.run_batch(jobs.open_batches(job.id)[0][0])
    ((next_id, delay),) = first.later
    assert delay == pytest.approx(2.0, abs=0.5)  # from the provider's answer
    next_batch = db.session.get(JobBatch, next_id)
    assert next_batch.seq == 2 and next_batch.params["cursor"]
    assert drive(job.id) == 2
    db.session.refresh(job)
    rows = stored(job.id)
    assert job.status == "completed"
    assert (job.progress_current, job.progress_total) == (120, 120)
    assert len(rows) == 120 == len({r.provider_id for r in rows})
    assert [sum(1 for r in rows if r.batch == n) for n in (1, 2, 3)] == [50, 50, 20]
    assert rows[0].name and rows[0].title and rows[0].company and rows[0].linkedin_url


def test_job_stops_when_the_cursor_ends(workspace):
    faults.set_overrides({"unipile_total_count": 70})
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(500))
    drive(job.id)
    db.session.refresh(job)
    assert job.status == "completed"
    assert (job.progress_current, job.progress_total) == (70, 70)


def test_job_stops_at_the_classic_result_cap(workspace):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(1000))
    # Start near the end of the provider's 1,000-result window.
    batch = db.session.get(JobBatch, jobs.open_batches(job.id)[0][0])
    batch.params = {
        "cursor": encode_cursor("acc-1", 50, 950, job.params["provider_params"])
    }
    db.session.commit()
    drive(job.id)
    db.session.refresh(job)
    assert job.status == "completed" and len(stored(job.id)) == 50


def test_sales_navigator_pages_use_the_configured_page_size(workspace):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(250, "sales_navigator"))
    drive(job.id)
    rows = stored(job.id)
    assert len(rows) == 250
    assert {r.batch for r in rows} == {1, 2, 3}
    assert rows[0].connection_degree in (1, 2, 3, None)


def test_page_size_above_the_provider_cap_fails_the_job_clearly(workspace, app):
    app.config["UNIPILE_PAGE_SIZES"] = {
        **app.config["UNIPILE_PAGE_SIZES"],
        "classic": 80,
    }
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(100))
    drive(job.id)
    db.session.refresh(job)
    assert job.status == "failed"
    assert "Unipile API error: 400 (errors/invalid_parameters)" in job.error_message


def test_repeated_people_across_pages_are_stored_once(workspace):
    faults.set_overrides({"unipile_overlap": 10})
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(120))
    drive(job.id)
    db.session.refresh(job)
    rows = stored(job.id)
    assert len(rows) == 120 == len({r.provider_id for r in rows})
    assert job.progress_current == job.success_count == 120
    assert job.status == "completed"


def test_page_with_an_expired_lease_is_taken_over_without_duplicates(workspace):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(100))
    batch_id = jobs.open_batches(job.id)[0][0]
    stale_owner = jobs.claim(batch_id, kinds=(prospects.PAGE,))
    db.session.get(JobBatch, batch_id).lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    outcome = factories.run_batch(batch_id)
    assert outcome.later and outcome.later[0][0] != batch_id
    # The worker that lost the lease comes back: it may not count its page again.
    assert not jobs.complete(batch_id, stale_owner, success=50, failed=0)
    drive(job.id)
    db.session.refresh(job)
    assert len(stored(job.id)) == job.progress_current == 100


def test_rate_limited_page_is_released_with_growing_backoff(workspace, app):
    app.config.update(PROSPECT_BACKOFF_SECONDS=1.0, PROSPECT_MAX_BACKOFF_SECONDS=3)
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(60))
    batch_id = jobs.open_batches(job.id)[0][0]
    faults.set_overrides({"unipile_rate_limited": True})
    delays = []
    for _ in range(3):
        outcome = factories.run_batch(batch_id)
        ((again, delay),) = outcome.later
        assert again == batch_id
        delays.append(delay)
        batch = db.session.get(JobBatch, batch_id)
        assert batch.status == "pending" and batch.not_before > utcnow()
        assert "429" in batch.error
        batch.not_before = None
        db.session.commit()
    assert delays == [1, 2, 3]
    faults.set_overrides({})
    drive(job.id)
    db.session.refresh(job)
    assert job.status == "completed" and job.progress_current == 60


def test_disconnected_account_fails_the_job_and_marks_the_account(workspace):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(100))
    faults.set_overrides({"unipile_disconnected": True})
    drive(job.id)
    db.session.refresh(job)
    account = prospects.get_account(workspace.id)
    assert job.status == "failed"
    assert job.error_message.startswith("Unipile API error: 401")
    assert "reconnect" in job.error_message
    assert account.status == "disconnected" and "401" in account.last_error


def test_job_over_its_time_limit_fails_with_job_timeout(workspace, app):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(120))
    factories.run_batch(jobs.open_batches(job.id)[0][0])
    limit = app.config["PROSPECT_JOB_TIME_LIMIT_SECONDS"]
    job.started_at = utcnow() - timedelta(seconds=limit + 1)
    db.session.commit()
    drive(job.id)
    db.session.refresh(job)
    assert job.status == "failed" and job.error_message == "Job timeout"
    assert len(stored(job.id)) == 50
    assert jobs.open_batches(job.id) == []


def test_page_after_the_account_was_removed_fails_with_no_account(workspace):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(100))
    prospects.remove_account(workspace.id)
    drive(job.id)
    db.session.refresh(job)
    assert job.status == "failed"
    assert job.error_message == "No active LinkedIn account found"


def test_cancelled_job_fetches_no_more_pages(workspace):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(200))
    factories.run_batch(jobs.open_batches(job.id)[0][0])
    jobs.cancel(workspace.id, job.id)
    assert drive(job.id) == 0
    assert len(stored(job.id)) == 50


def test_export_neutralises_formulas(workspace):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(5))
    drive(job.id)
    row = stored(job.id)[0]
    row.name = '=HYPERLINK("http://evil")'
    db.session.commit()
    text = "".join(prospects.export_lines(job))
    assert text.startswith('\ufeff"name","title"')
    assert "\"'=HYPERLINK" in text
    assert text.count("\r\n") == 6


def test_a_page_is_sent_ahead_of_its_delay_and_waits_out_the_rest(
    app, workspace, monkeypatch
):
    # Huey's scheduler wakes once a second: a page sent exactly on time starts
    # late, so it is sent PROSPECT_PAGE_LEAD_SECONDS early and waits itself.
    app.config.update(PROSPECT_PAGE_DELAY_SECONDS=2.0, PROSPECT_PAGE_LEAD_SECONDS=1.5)
    clock = [1000.0]
    slept = []
    monkeypatch.setattr(pages, "_now", lambda: clock[0])
    monkeypatch.setattr(pages, "_sleep", slept.append)
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(120))
    first = factories.run_batch(jobs.open_batches(job.id)[0][0])
    ((next_id, delay),) = first.later
    assert delay == 0.5
    assert db.session.get(JobBatch, next_id).params["not_before"] == 1002.0
    assert slept == []
    clock[0] = 1000.9  # the scheduler and a worker picked it up 0.4 s after sending
    factories.run_batch(next_id)
    assert slept == [pytest.approx(1.1)]
    # A page that comes late (a retry, the reaper) never waits.
    (third_id,) = [b for b, _ in jobs.open_batches(job.id)]
    clock[0] = 1010.0
    factories.run_batch(third_id)
    assert slept == [pytest.approx(1.1)]
    db.session.refresh(job)
    assert job.status == "completed"
