"""Enrichment on PostgreSQL + Redis with real `flask worker` processes."""

import io
import json

from sqlalchemy import func
from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import ProviderCall
from prospecting.sandbox import faults
from prospecting.services import enrichment
from prospecting.services import jobs
from tests import factories
from tests.integration.conftest import wait_for

FAST_LIMITS = {
    "PROVIDER_RATE_LIMITS": json.dumps(
        {"emails": "400/second", "companies": "400/second"}
    )
}


def start_job(rows: int) -> str:
    user = factories.make_user(email=f"it{rows}@x.test", workspace=f"IT {rows}")
    ws = user.memberships[0].workspace
    upload = enrichment.save_upload(
        ws.id, user.id, "it.csv", io.BytesIO(factories.contacts_csv(rows))
    )
    job = enrichment.start(ws.id, user.id, upload.id)
    tasks.enqueue_batches(jobs.open_batches(job.id))
    return job.id


def job_state(job_id: str) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def assert_every_row_counted_once(job_id: str, rows: int) -> None:
    job = job_state(job_id)
    assert job.status == "completed", job.error_message
    assert job.success_count + job.failed_count == rows
    assert job.progress_current == rows == job.progress_total
    by_status = dict(
        db.session.execute(
            select(EnrichmentRow.status, func.count())
            .where(EnrichmentRow.job_id == job_id)
            .group_by(EnrichmentRow.status)
        ).all()
    )
    assert by_status.get("pending", 0) == 0
    assert enrichment.status_counts(job_id) == by_status, "no rows left in pages"
    assert by_status.get("success", 0) == job.success_count
    assert by_status.get("failed", 0) == job.failed_count
    batch_total = db.session.scalar(
        select(func.sum(JobBatch.success_count + JobBatch.failed_count)).where(
            JobBatch.job_id == job_id
        )
    )
    assert batch_total == rows


def finish_on_two_workers(start_worker, job_id: str, rows: int, *, timeout: int):
    """Two `flask worker` processes of 4 threads take the job to its end, with
    every row counted once."""
    start_worker(threads=4, **FAST_LIMITS)
    start_worker(threads=4, **FAST_LIMITS)
    wait_for(
        lambda: job_state(job_id).is_terminal,
        timeout=timeout,
        message=f"the {rows}-row job did not finish",
    )
    assert_every_row_counted_once(job_id, rows)


def test_thousand_row_job_completes_on_postgresql_with_real_workers(
    pg_app, start_worker
):
    faults.set_overrides({"latency_ms": 5})
    job_id = start_job(1000)
    finish_on_two_workers(start_worker, job_id, 1000, timeout=180)


def test_sigkilled_worker_restarted_finishes_with_every_row_counted_once(
    pg_app, start_worker
):
    faults.set_overrides({"latency_ms": 20})
    job_id = start_job(1000)
    worker = start_worker(threads=4, **FAST_LIMITS)
    wait_for(
        lambda: job_state(job_id).progress_current >= 200,
        timeout=120,
        message="no progress before the kill",
    )
    worker.kill()
    in_flight = db.session.scalar(
        select(func.count())
        .select_from(JobBatch)
        .where(JobBatch.job_id == job_id, JobBatch.status == "running")
    )
    start_worker(threads=4, **FAST_LIMITS)
    # The periodic reaper (every minute) re-enqueues the batches whose lease expired.
    wait_for(
        lambda: job_state(job_id).is_terminal,
        timeout=240,
        message="job did not finish after the worker was killed",
    )
    assert_every_row_counted_once(job_id, 1000)
    calls = db.session.scalar(
        select(func.count())
        .select_from(ProviderCall)
        .where(ProviderCall.provider == "emails", ProviderCall.job_id == job_id)
    )
    print(
        f"\nbatches in flight at the kill: {in_flight}; "
        f"email verifications repeated: {calls - 1000}"
    )
    assert calls - 1000 <= in_flight * 20


def test_read_ahead_and_cache_hits_on_postgresql(pg_app):
    """PostgreSQL's own statements: the read-ahead's keys as one array (`= ANY`)
    answer hits, misses, expired and absent keys as a lookup does, and a commit's
    cache hits go in as arrays, each with its provider, endpoint, job and time."""
    from datetime import timedelta

    from prospecting import metering
    from prospecting.models import CacheHit
    from prospecting.services import cache

    user = factories.make_user(email="ahead@x.test", workspace="Ahead")
    job = factories.make_job(user.memberships[0].workspace.id, status="running")
    cache.put("companies", "acme.com", {"domain": "acme.com", "name": "Acme"})
    cache.put("companies", "none.com", None)
    metering.cache_store("companies", "old.com", {"d": 1}, timedelta(days=-1))
    keys = ["acme.com", "none.com", "old.com", "new.com"]
    with metering.job_context(job.id, batch=True) as book:
        for n in range(3):  # the same statement with other numbers of keys
            metering.cache_read_ahead("companies", keys[: n + 2])
        assert {k: book.known[("companies", k)] for k in keys} == {
            "acme.com": {"domain": "acme.com", "name": "Acme"},
            "none.com": None,
            "old.com": metering.MISSING,
            "new.com": metering.MISSING,
        }
        for _ in range(3):
            metering.record_cache_hit("companies", "organizations/enrich")
        metering.record_cache_hit("emails", "check_email")
        db.session.commit()
    hits = db.session.execute(
        select(
            CacheHit.provider, CacheHit.endpoint, CacheHit.job_id, CacheHit.created_at
        )
    ).all()
    assert sorted((h[0], h[1], h[2]) for h in hits) == [
        ("companies", "organizations/enrich", job.id)
    ] * 3 + [("emails", "check_email", job.id)]
    assert all(h[3] is not None and h[3].tzinfo is None for h in hits)
    db.session.expire_all()
    assert db.session.get(Job, job.id).cache_hit_count == 4


def test_a_jobs_last_batches_are_shared_between_the_worker_threads(
    pg_app, start_worker
):
    """Two batches of 100 slow rows on eight threads: each gives most of its rows
    to new batches that the idle threads take, and every row is still worked
    and counted once."""
    faults.set_overrides({"latency_ms": 30})
    pg_app.config["ENRICHMENT_BATCH_SIZE"] = 100
    job_id = start_job(200)
    assert len(jobs.open_batches(job_id)) == 1  # the planner's
    finish_on_two_workers(start_worker, job_id, 200, timeout=120)
    rows_batches = db.session.scalar(
        select(func.count()).where(
            JobBatch.job_id == job_id, JobBatch.kind == "enrichment.rows"
        )
    )
    assert rows_batches > 2, "the two batches cut at import were split"
    calls = db.session.scalar(
        select(func.count()).where(
            ProviderCall.provider == "emails", ProviderCall.job_id == job_id
        )
    )
    assert calls == 200, "no row was verified twice"


def test_a_write_of_worked_rows_finds_them_by_the_key_not_by_a_scan(pg_app):
    """The set-based write of a group of worked rows reaches them through the
    (job, row number) key, also on a table PostgreSQL has not analysed yet: a
    join on the JSON's job id hashed a sequential scan of every row per write."""
    from sqlalchemy import insert

    from prospecting.services.enrichment import worker

    user = factories.make_user(email="scan@x.test", workspace="Scan")
    job = factories.make_job(user.memberships[0].workspace.id, status="running")
    db.session.execute(
        insert(EnrichmentRow),
        [
            {"job_id": job.id, "row_number": n, "data": ["x"], "status": "pending"}
            for n in range(1, 3001)
        ],
    )
    db.session.commit()
    worked = [
        {**worker._BLANK, "name": f"P{n}", "email": None, "company": None,
         "phone": None, "website": None, "processed_at": None,
         "status": "success", "write_job_id": job.id, "write_row": n}
        for n in (1500, 1501, 1503)
    ]  # fmt: skip
    sql, _ = worker._rows_update_pg(tuple(worked[0]))
    conn = db.session.connection()
    plan = "\n".join(
        line
        for (line,) in conn.exec_driver_sql(
            "EXPLAIN " + sql, ("[]", job.id, 1500, 1503)
        ).all()
    )
    assert "Seq Scan on enrichment_rows" not in plan, plan
    worker._update_rows(worked)
    db.session.commit()
    written = db.session.execute(
        select(EnrichmentRow.row_number, EnrichmentRow.name)
        .where(EnrichmentRow.job_id == job.id, EnrichmentRow.status == "success")
        .order_by(EnrichmentRow.row_number)
    ).all()
    assert written == [(1500, "P1500"), (1501, "P1501"), (1503, "P1503")]
