"""A rows batch keeps its bookkeeping per batch, not per row: the cache entries of
its inputs read in one query, its rows written in groups with their call log, its
job's status asked on a timer; and what it worked is written whatever stops it."""

from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import ProviderCall
from prospecting.services import jobs
from prospecting.services import ledger
from prospecting.tasks import enqueue_batches
from tests import factories
from tests.factories import people_csv
from tests.factories import planned_batches
from tests.factories import start_enrichment
from tests.factories import start_upload
from tests.factories import stored_upload
from tests.test_ledger import statuses


@pytest.fixture
def grouped(app):
    """The production rhythm, slowed down: a batch writes its rows once and asks
    for its job's status once, whatever its size."""
    app.config.update(BATCH_CHECK_SECONDS=60, BATCH_WRITE_SECONDS=60)
    return app


class Statements:
    """The SQL statements the engine runs inside the block."""

    def __init__(self):
        self.seen = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, params, context, executemany):
        self.seen.append((statement.split()[0].upper(), statement, executemany))

    def count(self, verb: str, table: str) -> int:
        return sum(
            1
            for v, s, _ in self.seen
            if v == verb and f"{table} " in s.replace('"', "") + " "
        )


def test_a_batch_writes_its_rows_in_one_group_and_reads_the_cache_once(
    grouped, auth_client, workspace
):
    job, ((batch_id, _),) = planned_batches(auth_client, workspace, people_csv(8))
    with Statements() as sql:
        factories.run_batch(batch_id)
    db.session.expire_all()
    assert db.session.get(Job, job.id).success_count == 8
    row_writes = [
        s for v, s, many in sql.seen if v == "UPDATE" and "enrichment_rows" in s
    ]
    assert len(row_writes) == 1, "one statement writes the batch's eight rows"
    assert sql.count("SELECT", "provider_cache") == 2, "one read a provider"
    # A few reads of the job for the whole batch (claim, start, finish), not
    # one a row as before (8 rows: 8 more).
    assert sql.count("SELECT", "jobs") <= 5


def test_rows_worked_before_a_cap_stops_the_batch_are_kept(grouped, auth_client, app):
    app.config["PROVIDER_PRICES"] = {"emails": {"check_email": 0.01}}
    job = start_upload(
        auth_client, stored_upload(auth_client, people_csv(10)), cost_cap="0.035"
    )
    assert job.status == "paused"
    # Three checks were paid for before the cap: their rows are written.
    assert statuses(job.id) == {"success": 3, "pending": 7}
    assert ledger.job_cost(job.id).cost == Decimal("0.03")
    resumed = auth_client.post(f"/jobs/{job.id}/resume", data={"cost_cap": "1"})
    assert resumed.status_code == 302
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.success_count) == ("completed", 10)
    calls = db.session.scalar(
        select(func.count()).where(ProviderCall.provider == "emails")
    )
    assert calls == 10, "no row was paid for twice"


def test_a_cancel_is_seen_at_the_next_check_and_keeps_the_rows_worked(
    app, auth_client, workspace
):
    app.config.update(BATCH_CHECK_SECONDS=0, BATCH_WRITE_SECONDS=60)
    job, ((batch_id, _),) = planned_batches(auth_client, workspace, people_csv(6))
    from prospecting.services.enrichment import worker

    real = worker.enrich_row
    seen = []

    def enrich_then_cancel(fields):
        seen.append(fields["email"])
        if len(seen) == 2:
            jobs.cancel(workspace.id, job.id)
        return real(fields)

    worker.enrich_row = enrich_then_cancel
    try:
        factories.run_batch(batch_id)
    finally:
        worker.enrich_row = real
    assert len(seen) == 2, "the cancel stops the batch before its third row"
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "cancelled"
    # The batch lost its lease with the cancel: its rows stay pending, and what it
    # paid for is in the cache, so running them again costs nothing.
    calls = db.session.scalar(select(func.count()).where(ProviderCall.job_id == job.id))
    assert calls == 4
    pending = db.session.scalar(
        select(func.count()).where(
            EnrichmentRow.job_id == job.id, EnrichmentRow.status == "pending"
        )
    )
    assert pending == 6


def test_the_production_rhythm_finishes_a_job_like_the_test_rhythm(
    grouped, auth_client
):
    job = start_enrichment(auth_client, people_csv(45))
    enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.success_count, job.progress_current) == (
        "completed",
        45,
        45,
    )


def test_verdicts_and_companies_turn_into_the_dicts_asdict_gives():
    """to_dict() replaced dataclasses.asdict on every answer (its deep copy was a
    cached row's largest cost): the same keys, order and values, and a verdict's
    flags list is a copy."""
    from dataclasses import asdict

    from prospecting.providers.companies import CompanyData
    from prospecting.providers.emails import EmailVerdict

    verdict = EmailVerdict("a@acme.com", "risky", ["role", "catch_all"], "risky")
    assert list(verdict.to_dict().items()) == list(asdict(verdict).items())
    assert verdict.to_dict()["flags"] is not verdict.flags
    company = CompanyData(
        "acme.com", name="Acme", employee_count=40, size_range="11-50",
        industry="Tools", city="Lyon", region="ARA", country="FR",
        linkedin_url="https://linkedin.com/company/acme", founded_year=1990,
        provider="pdl", provider_id="p1",
    )  # fmt: skip
    assert list(company.to_dict().items()) == list(asdict(company).items())
    assert CompanyData("x.com").to_dict() == asdict(CompanyData("x.com"))
