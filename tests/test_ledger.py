"""Cost ledger: prices per call, cache hits, estimates, caps that pause and resume."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from prospecting import metering
from prospecting import tasks
from prospecting.extensions import db
from prospecting.metering import job_context
from prospecting.models import CacheHit
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import ProviderCall
from prospecting.models import WorkspaceBudget
from prospecting.models.base import utcnow
from prospecting.providers import attestr
from prospecting.providers import emails
from prospecting.providers.errors import ProviderCostCapReached
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services import ledger
from tests import factories
from tests.factories import MAPPING
from tests.factories import people_csv
from tests.factories import start_enrichment
from tests.factories import start_upload
from tests.factories import stored_upload

PRICES = {"emails": {"check_email": 0.01}, "companies": {"organizations/enrich": 0.1}}


@pytest.fixture
def priced(app):
    app.config["PROVIDER_PRICES"] = PRICES
    return app


def email_calls(job_id: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ProviderCall)
        .where(ProviderCall.job_id == job_id, ProviderCall.provider == "emails")
    )


def statuses(job_id: str) -> dict:
    rows = db.session.execute(
        select(EnrichmentRow.status, func.count())
        .where(EnrichmentRow.job_id == job_id)
        .group_by(EnrichmentRow.status)
    ).all()
    return dict(rows)


def test_ledger_records_the_price_of_each_call_against_its_job(priced, auth_client):
    job = start_upload(
        auth_client, stored_upload(auth_client, people_csv(10)), cost_cap="0"
    )
    assert job.status == "completed"
    costs = db.session.execute(
        select(
            ProviderCall.provider, ProviderCall.cost, ProviderCall.status_code
        ).where(ProviderCall.job_id == job.id)
    ).all()
    assert [c for p, c, _ in costs if p == "emails"] == [Decimal("0.01")] * 10
    for provider, cost, status in costs:
        if provider == "companies":
            charged = status is not None and 200 <= status < 300
            assert cost == (Decimal("0.1") if charged else 0)
    spend = ledger.job_cost(job.id)
    assert spend.cost == sum(c for _, c, _ in costs) and spend.cost >= Decimal("0.1")
    assert spend.calls == len(costs)
    # Seven domains for ten rows: the repeats are served from the cache, free.
    assert spend.cache_hits == 3


def test_cache_hits_cost_nothing_and_are_counted(priced, auth_client):
    upload_id = stored_upload(auth_client, people_csv(10))
    first = start_upload(auth_client, upload_id)
    second = start_upload(auth_client, upload_id)
    assert second.status == "completed" and second.success_count == 10
    spend = ledger.job_cost(second.id)
    assert spend.cost == 0 and spend.calls == 0
    assert spend.cache_hits == 20  # ten addresses and ten company look-ups
    hits = db.session.scalars(
        select(CacheHit.provider).where(CacheHit.job_id == second.id)
    ).all()
    assert sorted(set(hits)) == ["companies", "emails"]
    assert ledger.job_cost(first.id).cost > 0
    page = auth_client.get(f"/jobs/{second.id}/progress").get_data(as_text=True)
    assert "Cost" in page and "0 credits" in page
    assert f'id="job-cache-hits-{second.id}">20<' in page


def test_calls_outside_a_2xx_answer_are_not_charged(app):
    app.config["PROVIDER_PRICES"] = {"emails": {"check_email": 1}}
    assert metering.charge("emails", "check_email", 200) == 1
    assert metering.charge("emails", "check_email", 429) == 0
    assert metering.charge("emails", "check_email", None) == 0
    assert metering.charge("emails", "unknown", 200) == 0


def test_preview_shows_an_estimate_less_cached_answers(priced, auth_client):
    upload_id = stored_upload(auth_client, people_csv(10))
    body = auth_client.get(f"/enrichment/uploads/{upload_id}").get_data(as_text=True)
    # 10 addresses × 0.01 + 7 domains × 0.1
    assert 'id="estimate-total">0.8 credits<' in body
    start_upload(auth_client, upload_id)
    again = stored_upload(auth_client, people_csv(12))
    body = auth_client.get(f"/enrichment/uploads/{again}").get_data(as_text=True)
    # Only rows 11 and 12 are new addresses; every domain is cached by now.
    assert 'id="estimate-total">0.02 credits<' in body


def test_preview_estimate_extrapolates_past_the_sample(priced, auth_client, app):
    app.config["COST_ESTIMATE_SAMPLE_ROWS"] = 5
    rows = [["Name", "Email", "Website"]]
    rows += [[f"P {i}", f"p{i}@gmail.com", ""] for i in range(1, 41)]
    upload_id = stored_upload(auth_client, factories.csv_bytes(rows))
    body = auth_client.get(f"/enrichment/uploads/{upload_id}").get_data(as_text=True)
    assert "About <strong>40</strong> rows" in body
    assert 'id="estimate-total">0.4 credits<' in body


def test_search_forms_show_a_cost_estimate(auth_client, app):
    app.config["PROVIDER_PRICES"] = {
        "reachstream": {"async/records/filter/data": 0.5},
        "unipile": {"linkedin/search": 0.02},
    }
    body = auth_client.get("/searches/").get_data(as_text=True)
    assert "Estimated cost: 0.5 credits" in body
    estimate = auth_client.get(
        "/prospects/estimate?search_source=classic&target_count=120"
    ).get_data(as_text=True)
    assert "Estimated cost: 0.06 credits (3 pages" in estimate


def test_job_cap_pauses_the_job_and_resume_finishes_it(priced, auth_client, app):
    app.config["PROVIDER_PRICES"] = {"emails": {"check_email": 0.01}}
    job = start_upload(
        auth_client, stored_upload(auth_client, people_csv(10)), cost_cap="0.035"
    )
    assert job.status == "paused"
    assert "cost cap of 0.035 credits is reached" in job.error_message
    assert statuses(job.id) == {"success": 3, "pending": 7}
    assert email_calls(job.id) == 3 and ledger.job_cost(job.id).cost == Decimal("0.03")
    batch = db.session.scalars(
        select(JobBatch).where(JobBatch.job_id == job.id, JobBatch.seq == 1)
    ).one()
    assert batch.status == "paused"

    page = auth_client.get(f"/jobs/{job.id}/progress").get_data(as_text=True)
    assert "hx-trigger" not in page and 'id="resume-button"' in page

    too_low = auth_client.post(f"/jobs/{job.id}/resume", data={"cost_cap": "0.03"})
    assert too_low.status_code == 302
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "paused"

    resumed = auth_client.post(f"/jobs/{job.id}/resume", data={"cost_cap": "1"})
    assert resumed.status_code == 302
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "completed" and job.error_message is None
    assert job.params["cost_cap"] == "1"
    # Every row counted once: ten successes, ten paid checks, no double count.
    assert (job.success_count, job.failed_count, job.progress_current) == (10, 0, 10)
    assert statuses(job.id) == {"success": 10}
    assert email_calls(job.id) == 10
    assert ledger.job_cost(job.id).cost == Decimal("0.1")


def test_resume_over_htmx_returns_the_polling_partial(priced, auth_client, htmx):
    job = start_upload(
        auth_client, stored_upload(auth_client, people_csv(3)), cost_cap="0.015"
    )
    assert job.status == "paused"
    low = auth_client.post(
        f"/jobs/{job.id}/resume", data={"cost_cap": "0.01"}, headers=htmx
    )
    assert low.status_code == 422
    assert "set its cap above that" in low.get_data(as_text=True)
    ok = auth_client.post(
        f"/jobs/{job.id}/resume", data={"cost_cap": "0"}, headers=htmx
    )
    body = ok.get_data(as_text=True)
    assert (
        ok.status_code == 200 and f'id="job-{job.id}"' in body and "<html" not in body
    )
    assert "badge-completed" in body


def test_workspace_daily_cap_pauses_and_raising_it_resumes(
    priced, auth_client, app, workspace, other_workspace
):
    app.config["PROVIDER_PRICES"] = {"emails": {"check_email": 0.01}}
    # Another workspace's spending never counts against this one.
    other = factories.make_job(other_workspace.id, status="completed")
    db.session.add(ProviderCall(provider="emails", endpoint="check_email",
                                method="POST", status_code=200, latency_ms=1,
                                job_id=other.id, cost=5))  # fmt: skip
    # Nor does yesterday's.
    mine = factories.make_job(workspace.id, status="completed")
    db.session.add(ProviderCall(provider="emails", endpoint="check_email",
                                method="POST", status_code=200, latency_ms=1,
                                job_id=mine.id, cost=5,
                                created_at=utcnow() - timedelta(days=1)))  # fmt: skip
    db.session.commit()
    app.config["COST_CAP_DAILY"] = 0.025
    job = start_enrichment(auth_client, people_csv(5))
    assert job.status == "paused" and "daily cost cap" in job.error_message
    assert statuses(job.id) == {"success": 2, "pending": 3}
    assert ledger.spent_today(workspace.id) == Decimal("0.02")

    response = auth_client.post(f"/jobs/{job.id}/resume", data={"daily_cap": "0.03"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "paused"  # 0.03 leaves no room

    auth_client.post(f"/jobs/{job.id}/resume", data={"daily_cap": "10"})
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "completed" and job.success_count == 5
    assert db.session.get(WorkspaceBudget, workspace.id).daily_cap == 10
    assert ledger.spent_today(workspace.id) == Decimal("0.05")


def test_cap_is_checked_before_sending(app, workspace):
    app.config["PROVIDER_PRICES"] = {"attestr": {"mca-cin-contact": 1}}
    job = factories.make_job(workspace.id, params={"cost_cap": "0.5"})
    with job_context(job.id), pytest.raises(ProviderCostCapReached) as caught:
        attestr.fetch_contacts("U74999TG2017PTC118280", max_contacts=5)
    assert caught.value.scope == "job"
    assert db.session.scalar(select(func.count()).select_from(ProviderCall)) == 0


def test_a_job_context_reads_the_caps_once_and_sums_nothing_without_a_cap(
    app, workspace
):
    app.config["PROVIDER_PRICES"] = {"emails": {"check_email": 0.01}}
    job = factories.make_job(workspace.id)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with job_context(job.id):
            for n in range(3):
                emails.verify(f"p{n}@acme.com")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert sum("workspace_budgets" in s for s in statements) == 1
    assert not any("sum(" in s.lower() for s in statements)
    assert email_calls(job.id) == 3


def test_contact_fetch_pauses_on_its_cap_and_resumes(app, workspace):
    app.config["PROVIDER_PRICES"] = {"attestr": {"mca-cin-contact": 1}}
    company = contacts.save_company(
        workspace.id, name="Acme", registration_number="U74999TG2017PTC118280"
    )
    job = contacts.start_fetch(workspace.id, None, company.id)
    ledger.set_job_cap(job.id, Decimal("0.5"))
    tasks.enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    assert jobs.get(workspace.id, job.id).status == "paused"
    job = ledger.resume_job(workspace.id, job.id, cap="2")
    tasks.enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    job = jobs.get(workspace.id, job.id)
    assert job.status == "completed" and ledger.job_cost(job.id).cost == 1


def test_reaper_ignores_paused_jobs(app, workspace):
    job = factories.make_job(workspace.id, status="running")
    old = utcnow() - timedelta(hours=1)
    for seq, status in enumerate(("pending", "done")):
        db.session.add(JobBatch(job_id=job.id, seq=seq, kind="enrichment.rows",
                                status=status, updated_at=old))  # fmt: skip
    db.session.commit()
    assert jobs.pause(job.id, "Paused: cap")
    reaped = jobs.reap(include_pending=True)
    assert reaped.requeue == [] and reaped.finalised == []
    assert jobs.finalise(job.id) is False
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "paused"
    assert jobs.open_batches(job.id) == []
    # Cancelling a paused job closes its paused batches too.
    jobs.cancel(workspace.id, job.id)
    assert db.session.scalar(
        select(func.count()).where(JobBatch.job_id == job.id,
                                   JobBatch.status == "paused")
    ) == 0  # fmt: skip


def test_resume_refuses_a_job_that_is_not_paused(auth_client, workspace):
    job = factories.make_job(workspace.id, status="running")
    response = auth_client.post(f"/jobs/{job.id}/resume", data={"cost_cap": "5"})
    assert response.status_code == 409


def test_resume_of_another_workspaces_job_is_404(auth_client, other_workspace):
    job = factories.make_job(other_workspace.id, status="paused")
    assert auth_client.post(f"/jobs/{job.id}/resume").status_code == 404


@pytest.mark.parametrize("cap", ["-1", "abc", "nan", "1e9"])
def test_a_bad_cap_is_refused_with_422(priced, auth_client, cap):
    upload_id = stored_upload(auth_client, people_csv(2))
    response = auth_client.post(
        f"/enrichment/uploads/{upload_id}/start", data={**MAPPING, "cost_cap": cap}
    )
    assert response.status_code == 422  # the preview again, the error under its field
    assert "A cost cap must be a number" in response.get_data(as_text=True)
