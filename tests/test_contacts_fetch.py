"""Contact fetch by CIN: the Attestr client over the sandbox and the fetch job."""

import pytest
from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import JobBatch
from prospecting.providers import attestr
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderRateLimited
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services.errors import InvalidInput
from tests import factories

CIN = "U74999TG2017PTC118280"


@pytest.mark.parametrize(
    "code,error,message",
    [
        (4001, ProviderBadResponse, "malformed"),
        (40051, ProviderBadResponse, "version"),
        (4005, attestr.AttestrLowCredit, "low credit balance"),
        (4016, ProviderAuthError, "invalid credentials"),
        (4031, ProviderAuthError, "unauthorized access"),
        (4035, ProviderAuthError, "not provisioned"),
        (4039, ProviderAuthError, "IP address is not whitelisted"),
        (4291, ProviderRateLimited, "account rate limit"),
        (4292, ProviderRateLimited, "API rate limit"),
        (4293, attestr.AttestrDailyLimit, "daily limit"),
    ],
)
def test_every_attestr_error_code_has_a_clear_message(app, code, error, message):
    app.config["ATTESTR_KEY"] = f"code-{code}"
    with pytest.raises(error, match=message) as caught:
        attestr.fetch_contacts(CIN, max_contacts=10)
    if code in (4291, 4292):
        assert caught.value.retry_after == attestr.RATE_LIMIT_WAIT
    if code == 4293:
        assert 0 < caught.value.retry_after <= 86400


def test_invalid_cin_data_is_not_available(app):
    with pytest.raises(ProviderNotFound, match="Data not available for this CIN"):
        attestr.fetch_contacts("U74999TG2017PTC000000", max_contacts=10)


def test_missing_key_means_not_configured(app):
    app.config["ATTESTR_KEY"] = ""
    with pytest.raises(attestr.AttestrNotConfigured, match="not configured"):
        attestr.fetch_contacts(CIN, max_contacts=10)


def test_sandbox_directors_are_deterministic_and_capped(app):
    first = attestr.fetch_contacts("L17110MH1973PLC019786", max_contacts=100)
    again = attestr.fetch_contacts("L17110MH1973PLC019786", max_contacts=100)
    assert first == again and first.total >= 1
    capped = attestr.fetch_contacts("L17110MH1973PLC019786", max_contacts=1)
    assert len(capped.contacts) == 1 and capped.total == first.total
    assert all(d.din and len(d.din) == 8 for d in first.contacts)


def _company_with_directors(workspace_id, minimum=3):
    # Find a CIN whose sandbox answer has enough directors with a phone or email.
    for n in range(100, 400):
        reg = f"U74999TG2017PTC{n:06d}"
        data = attestr.fetch_contacts(reg, max_contacts=100)
        if sum(1 for d in data.contacts if d.email or d.mobile) >= minimum:
            return contacts.save_company(
                workspace_id, name="Acme", registration_number=reg
            )
    raise AssertionError("no CIN with enough directors")


def test_fetch_job_upserts_directors_and_records_each_outcome(workspace):
    company = _company_with_directors(workspace.id)
    job = contacts.start_fetch(workspace.id, None, company.id)
    tasks.enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    job = jobs.get(workspace.id, job.id)
    assert job.status == "completed"
    outcomes = contacts.fetch_outcomes(job)
    assert outcomes and {o["status"] for o in outcomes} <= {"created", "skipped"}
    stored = db.session.scalars(
        select(Contact).where(Contact.company_id == company.id)
    ).all()
    assert len(stored) == sum(1 for o in outcomes if o["status"] == "created")
    for contact in stored:
        assert contact.source == "attestr" and contact.provider_ids["din"]
        assert contact.phone is None or contact.phone.startswith("+91")
    # A second fetch finds the same people: nothing new is created.
    again = contacts.start_fetch(workspace.id, None, company.id)
    tasks.enqueue_batches(jobs.open_batches(again.id))
    assert all(o["status"] != "created" for o in contacts.fetch_outcomes(again))
    assert db.session.scalar(select(db.func.count(Contact.id))) == len(stored)


def test_fetch_needs_a_registration_number(workspace):
    company = contacts.save_company(workspace.id, name="No CIN")
    with pytest.raises(InvalidInput, match="CIN or LLPIN"):
        contacts.start_fetch(workspace.id, None, company.id)


def test_fetch_job_rate_limit_releases_the_batch(app, workspace):
    company = contacts.save_company(workspace.id, name="A", registration_number=CIN)
    job = contacts.start_fetch(workspace.id, None, company.id)
    app.config["ATTESTR_KEY"] = "code-4291"
    ((batch_id, _),) = jobs.open_batches(job.id)
    outcome = factories.run_batch(batch_id)
    assert outcome.later == ((batch_id, attestr.RATE_LIMIT_WAIT),)
    batch = db.session.get(JobBatch, batch_id)
    assert batch.status == "pending" and "rate limit" in batch.error


def test_fetch_job_pauses_on_the_daily_limit_until_the_quota_resets(app, workspace):
    app.config["ATTESTR_QUOTA_RESET_TZ"] = "Asia/Kolkata"
    company = contacts.save_company(workspace.id, name="A", registration_number=CIN)
    job = contacts.start_fetch(workspace.id, None, company.id)
    app.config["ATTESTR_KEY"] = "code-4293"
    tasks.enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    job = jobs.get(workspace.id, job.id)
    assert job.status == "paused" and "daily limit" in job.error_message
    assert "it can resume after" in job.error_message
    assert "00:00 Asia/Kolkata (18:30 UTC" in job.error_message


def test_the_daily_quota_resets_at_midnight_in_the_configured_zone():
    from datetime import UTC
    from datetime import datetime

    now = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 01:30 on 2 March in India
    assert attestr.quota_reset(now, "UTC") == datetime(2026, 3, 2, tzinfo=UTC)
    assert attestr.quota_reset(now, "Asia/Kolkata") == datetime(
        2026, 3, 2, 18, 30, tzinfo=UTC
    )
    assert attestr.quota_reset(now, "Not/AZone") == datetime(2026, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize("code,message", [(4005, "low credit")])
def test_fetch_job_fails_on_account_errors(app, workspace, code, message):
    company = contacts.save_company(workspace.id, name="A", registration_number=CIN)
    job = contacts.start_fetch(workspace.id, None, company.id)
    app.config["ATTESTR_KEY"] = f"code-{code}"
    tasks.enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    job = jobs.get(workspace.id, job.id)
    assert job.status == "failed" and message in job.error_message


def test_fetch_job_reports_data_not_available(workspace):
    company = contacts.save_company(
        workspace.id, name="Gone", registration_number="U74999TG2017PTC000000"
    )
    job = contacts.start_fetch(workspace.id, None, company.id)
    tasks.enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    job = jobs.get(workspace.id, job.id)
    assert job.status == "failed" and "Data not available" in job.error_message
