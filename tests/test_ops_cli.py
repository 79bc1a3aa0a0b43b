"""Ops CLI: jobs retry, jobs purge, providers check, and their help and exit codes."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import ProviderCall
from prospecting.models.base import utcnow
from prospecting.sandbox import faults
from tests import factories
from tests.test_ops_views import failed_enrichment_job


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["jobs", "retry", "--help"], "failed batches"),
        (["jobs", "purge", "--help"], "--older-than"),
        (["providers", "check", "--help"], "Call each configured provider"),
        (["providers", "--help"], "check"),
        (["worker", "--help"], "Huey consumer"),
    ],
)
def test_ops_commands_have_help(runner, args, text):
    result = runner.invoke(args=args)
    assert result.exit_code == 0
    assert text in result.output


def test_jobs_retry_sends_failed_batches_again_and_completes_the_job(
    runner, auth_client, app, monkeypatch
):
    job_id, batch_id = failed_enrichment_job(auth_client, app, monkeypatch)
    result = runner.invoke(args=["jobs", "retry", job_id])
    assert result.exit_code == 0, result.output
    assert f"Sent 1 failed batch(es) of job {job_id} again." in result.output
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == "completed"
    assert db.session.get(JobBatch, batch_id).status == "done"


@pytest.mark.parametrize(
    "job_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"]
)
def test_jobs_retry_of_an_unknown_job_fails(runner, app, job_id):
    result = runner.invoke(args=["jobs", "retry", job_id])
    assert result.exit_code == 1
    assert "No job" in result.output


def test_jobs_retry_without_failed_batches_fails(runner, workspace):
    job = factories.make_job(workspace.id, status="completed")
    result = runner.invoke(args=["jobs", "retry", job.id])
    assert result.exit_code == 1
    assert "no failed batch" in result.output


def _job(workspace_id: int, status: str, days_ago: int) -> Job:
    when = utcnow() - timedelta(days=days_ago)
    job = factories.make_job(
        workspace_id,
        status=status,
        created_at=when,
        completed_at=when if status != "running" else None,
    )
    db.session.add(JobBatch(job_id=job.id, seq=0, kind="enrichment.rows"))
    db.session.commit()
    return job


def test_jobs_purge_deletes_old_finished_jobs_and_their_batches(runner, workspace):
    _job(workspace.id, "completed", 40)
    _job(workspace.id, "failed", 31)
    kept = {_job(workspace.id, "running", 40).id, _job(workspace.id, "completed", 2).id}
    result = runner.invoke(args=["jobs", "purge", "--older-than", "30d"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 finished job(s) older than 30d." in result.output
    db.session.expire_all()
    assert set(db.session.scalars(select(Job.id))) == kept
    assert set(db.session.scalars(select(JobBatch.job_id))) == kept


def test_jobs_purge_deletes_the_enrichment_rows_and_pages_of_purged_jobs(
    runner, workspace
):
    old, recent = _job(workspace.id, "completed", 40), _job(workspace.id, "failed", 2)
    for job in (old, recent):
        db.session.add(EnrichmentRow(job_id=job.id, row_number=1, data=["a@x.io"]))
        db.session.add(
            EnrichmentPage(job_id=job.id, first_row=2, last_row=2, data=[["b@x.io"]])
        )
    db.session.commit()
    result = runner.invoke(args=["jobs", "purge", "--older-than", "30d"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert set(db.session.scalars(select(EnrichmentRow.job_id))) == {recent.id}
    assert set(db.session.scalars(select(EnrichmentPage.job_id))) == {recent.id}


def test_jobs_purge_dry_run_only_counts(runner, workspace):
    _job(workspace.id, "cancelled", 2)
    result = runner.invoke(args=["jobs", "purge", "--older-than", "24h", "--dry-run"])
    assert result.exit_code == 0
    assert "Would delete 1 finished job(s)" in result.output
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


@pytest.mark.parametrize("age", ["30", "thirty days", "0d"])
def test_jobs_purge_rejects_a_bad_age(runner, app, age):
    result = runner.invoke(args=["jobs", "purge", "--older-than", age])
    assert result.exit_code == 1
    assert "is not an age" in result.output


def test_jobs_purge_needs_an_age(runner, app):
    assert runner.invoke(args=["jobs", "purge"]).exit_code == 2


def test_providers_check_runs_only_free_checks_without_spend(runner, app):
    result = runner.invoke(args=["providers", "check"])
    assert result.exit_code == 0, result.output
    for name in ("emails", "companies", "attestr"):
        assert f"skip    {name:<14} costs credits" in result.output
    for name in ("reachstream", "sender", "hunter", "pdl"):
        assert f"ok      {name:<14} free" in result.output
    assert "credits left" in result.output and "no message sent" in result.output
    assert "verifications left this period" in result.output
    providers = db.session.scalars(select(ProviderCall.provider)).all()
    assert sorted(providers) == ["hunter", "pdl", "reachstream", "sender"]
    assert db.session.scalar(select(func.sum(ProviderCall.cost))) in (0, None)


def test_providers_check_with_spend_calls_every_provider_once(runner, app):
    result = runner.invoke(args=["providers", "check", "--spend"])
    assert result.exit_code == 0, result.output
    for name in ("emails", "companies", "attestr"):
        assert f"ok      {name:<14} costs credits" in result.output
    providers = db.session.scalars(select(ProviderCall.provider)).all()
    assert sorted(providers) == [
        "attestr", "companies", "emails", "hunter", "pdl", "reachstream", "sender"
    ]  # fmt: skip


def test_providers_check_covers_unipile_and_airtable_per_workspace(
    runner, app, workspace
):
    from prospecting.services import contacts
    from prospecting.services import prospects
    from prospecting.services.contacts.airtable_settings import COMPANY_FIELDS
    from prospecting.services.contacts.airtable_settings import CONTACT_FIELDS

    prospects.save_account(
        workspace.id, dsn=app.config["UNIPILE_DEFAULT_DSN"], api_key="k",
        account_id="acc-1",
    )  # fmt: skip
    contacts.save_settings(
        workspace.id, token="patXYZ", base_id="appAAAAAAAAAAAAAA",
        contacts_table="Contacts", companies_table="Companies",
        contact_fields=CONTACT_FIELDS, company_fields=COMPANY_FIELDS,
    )  # fmt: skip
    result = runner.invoke(args=["providers", "check"])
    assert f"ok      unipile:{workspace.id}" in result.output, result.output
    assert f"airtable:{workspace.id}" in result.output
    providers = set(db.session.scalars(select(ProviderCall.provider)).all())
    assert {"unipile", "airtable"} <= providers


def test_providers_check_fails_naming_the_refusing_provider(runner, app):
    app.config["EMAIL_VERIFIER_KEY"] = "invalid-key"
    result = runner.invoke(args=["providers", "check", "--spend"])
    assert result.exit_code == 1
    assert "ERROR   emails" in result.output
    assert "refused the credentials" in result.output
    assert "ok      companies" in result.output
    assert "1 provider(s) failed: emails." in result.output


def test_providers_check_fails_when_a_provider_is_down(runner, app):
    faults.set_overrides({"error_rate": 1.0})
    result = runner.invoke(args=["providers", "check", "--only", "reachstream"])
    assert result.exit_code == 1
    assert "ERROR   reachstream" in result.output
    assert "emails" not in result.output


def test_providers_check_says_could_not_connect_not_timed_out(runner, app):
    from tests.drop_server import closed_port

    app.config["REACHSTREAM_URL"] = closed_port()
    result = runner.invoke(args=["providers", "check", "--only", "reachstream"])
    assert result.exit_code == 1
    assert "could not connect" in result.output and "timed out" not in result.output


def test_in_production_a_provider_on_the_sandbox_is_not_configured(runner, app):
    app.config["PRODUCTION"] = True
    result = runner.invoke(args=["providers", "check", "--spend"])
    assert result.exit_code == 1
    assert "NOT SET reachstream" in result.output
    assert "REACHSTREAM_URL still points at the sandbox" in result.output
    assert db.session.scalars(select(ProviderCall)).all() == []


def test_providers_check_of_an_unknown_provider_fails(runner, app):
    result = runner.invoke(args=["providers", "check", "--only", "nope"])
    assert result.exit_code == 1
    assert "No configured provider named 'nope'" in result.output


def test_worker_refuses_memory_storage(runner, app):
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 1
    assert "memory" in result.output
