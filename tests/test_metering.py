"""Metering inside a batch: the call log, cache hits and cache entries ride on the
batch's own connection and commits, so a worker thread never holds two pooled
connections (more worker threads than the pool has connections still finish)."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from config import TestConfig
from prospecting import create_app
from prospecting import metering
from prospecting.extensions import db
from prospecting.models import CacheHit
from prospecting.models import Job
from prospecting.models import ProviderCache
from prospecting.models import ProviderCall
from prospecting.providers import emails
from prospecting.services import cache
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services.jobs import runner
from tests import factories
from tests.conftest import provider_urls


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_batchs_books_are_written_with_its_commit_and_read_back_before(
    app, workspace
):
    job = factories.make_job(workspace.id, status="running")
    with metering.job_context(job.id, batch=True):
        emails.verify("ann@acme.com")
        cache.put("emails", "ann@acme.com", {"verdict": "valid"})
        metering.record_cache_hit("emails", "check_email")
        # Nothing is written yet, but the batch reads its own cache entry.
        assert _count(ProviderCall) == 0 and _count(ProviderCache) == 0
        assert cache.get("emails", "ann@acme.com") == {"verdict": "valid"}
        db.session.commit()
        assert (_count(ProviderCall), _count(CacheHit), _count(ProviderCache)) == (
            1,
            1,
            1,
        )
        emails.verify("bo@acme.com")
        db.session.rollback()  # the work's own rollback keeps the books
    # What the batch left unwritten is committed when its block ends.
    assert _count(ProviderCall) == 2


def test_books_of_a_failed_commit_are_written_with_the_next(app, workspace):
    job = factories.make_job(workspace.id, status="running")
    with metering.job_context(job.id, batch=True):
        emails.verify("ann@acme.com")
        db.session.add(Job(workspace_id=None, kind="x"))  # refused: the commit fails
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert _count(ProviderCall) == 0
        db.session.commit()
        assert _count(ProviderCall) == 1


def test_outside_a_batch_each_line_commits_at_once(app, workspace):
    job = factories.make_job(workspace.id, status="running")
    with metering.job_context(job.id):
        emails.verify("ann@acme.com")
        assert _count(ProviderCall) == 1


def _counters(job_id: str) -> tuple:
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    return job.cost, job.call_count, job.cache_hit_count


def _summed(job_id: str) -> tuple:
    cost, calls = db.session.execute(
        select(func.coalesce(func.sum(ProviderCall.cost), 0), func.count()).where(
            ProviderCall.job_id == job_id
        )
    ).one()
    hits = db.session.scalar(
        select(func.count()).select_from(CacheHit).where(CacheHit.job_id == job_id)
    )
    return metering.decimal(cost), calls, hits


def test_a_jobs_counters_are_written_with_its_books_and_only_then(app, workspace):
    app.config["PROVIDER_PRICES"] = {"emails": {"check_email": 0.01}}
    job = factories.make_job(workspace.id, status="running")
    other = factories.make_job(workspace.id, status="running")
    with metering.job_context(job.id, batch=True):
        emails.verify("ann@acme.com")
        metering.record_cache_hit("emails", "check_email")
        metering.record_cache_hit("emails", "check_email", job_id=other.id)
        emails.verify("bo@acme.com")
        db.session.rollback()  # nothing written: nothing counted
        assert _counters(job.id) == (0, 0, 0)
        db.session.commit()
        assert _counters(job.id) == (metering.decimal("0.02"), 2, 1) == _summed(job.id)
        assert _counters(other.id) == (0, 0, 1) == _summed(other.id)
        emails.verify("cy@acme.com")
        db.session.add(Job(workspace_id=None, kind="x"))  # refused: the commit fails
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert _counters(job.id)[1] == 2, "a failed commit counts nothing"
    # The line left over is written, and counted, once, when the block ends.
    assert _counters(job.id) == (metering.decimal("0.03"), 3, 1) == _summed(job.id)
    # Outside a batch a line and its counters commit together at once.
    with metering.job_context(job.id):
        emails.verify("di@acme.com")
        metering.record_cache_hit("emails", "check_email")
        assert _counters(job.id) == (metering.decimal("0.04"), 4, 2) == _summed(job.id)


def test_more_worker_threads_than_pool_connections_all_finish(tmp_path, sandbox_url):
    """Eight threads on a pool of two connections (no overflow): before, a thread
    held its session's connection and waited for a second one for the call log,
    and the threads starved each other until the pool timed out."""
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'pool.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={
            "pool_size": 2,
            "max_overflow": 0,
            "pool_timeout": 5,
        },
        UPLOAD_DIR=str(tmp_path / "uploads"),
        ENRICHMENT_BATCH_SIZE=5,
        **provider_urls(sandbox_url),
    )
    threads = 8
    with app.app_context():
        db.create_all()
        user = factories.make_user(email="pool@x.test", workspace="Pool")
        ws = user.memberships[0].workspace.id
        rows = [["Name", "Email", "Company"]] + [
            [f"P{i}", f"p{i}@company{i}.com", f"C{i}"] for i in range(threads * 5)
        ]
        path = tmp_path / "pool.csv"
        path.write_bytes(factories.csv_bytes(rows))
        with open(path, "rb") as f:
            upload = enrichment.save_upload(ws, user.id, "pool.csv", f)
        job = enrichment.start(ws, user.id, upload.id)
        ((plan_id, _),) = jobs.open_batches(job.id)
        planned = []
        runner.run(plan_id, dispatch=planned.extend)
        job_id = job.id
        db.session.remove()
    assert len(planned) == threads
    errors = []

    def work(batch_id):
        with app.app_context():
            try:
                runner.run(batch_id, dispatch=lambda batches: None)
            except Exception as exc:  # pragma: no cover - the failure we guard
                errors.append(exc)

    pool = [threading.Thread(target=work, args=(b,)) for b, _ in planned]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert errors == []
        assert (job.status, job.success_count) == ("completed", threads * 5)
        assert _count(ProviderCall) == threads * 5 * 2  # an email and a company each
        db.session.remove()
        db.engine.dispose()


def test_a_batchs_cache_entries_are_written_in_key_order_so_workers_never_deadlock():
    from prospecting.metering.books import cache_rows

    cache = {
        ("companies", "zeta.com"): {"key": "zeta.com"},
        ("companies", "acme.com"): {"key": "acme.com"},
        ("emails", "b@x.io"): {"key": "b@x.io"},
        ("companies", "mid.com"): {"key": "mid.com"},
    }
    assert [row["key"] for row in cache_rows(cache)] == [
        "acme.com", "mid.com", "zeta.com", "b@x.io"
    ]  # fmt: skip


def test_a_batch_reads_ahead_hits_misses_and_absent_keys_and_writes_its_hits(
    app, workspace
):
    """The read-ahead answers a cached value, a cached miss and an absent key as
    cache_lookup does (expired entries count as absent); the hits the batch
    records are written with its commit, each with its job and time."""
    job = factories.make_job(workspace.id, status="running")
    cache.put("companies", "acme.com", {"domain": "acme.com", "name": "Acme"})
    cache.put("companies", "none.com", None)
    metering.cache_store(
        "companies", "old.com", {"domain": "old.com"}, timedelta(days=-1)
    )
    keys = ["acme.com", "none.com", "old.com", "new.com"]
    with metering.job_context(job.id, batch=True) as book:
        metering.cache_read_ahead("companies", keys)
        assert {k: book.known[("companies", k)] for k in keys} == {
            "acme.com": {"domain": "acme.com", "name": "Acme"},
            "none.com": None,
            "old.com": metering.MISSING,
            "new.com": metering.MISSING,
        }
        metering.record_cache_hit("companies", "organizations/enrich")
        metering.record_cache_hit("emails", "check_email")
        db.session.commit()
    hits = db.session.execute(
        select(CacheHit.provider, CacheHit.endpoint, CacheHit.job_id)
        .where(CacheHit.created_at.is_not(None))
        .order_by(CacheHit.provider)
    ).all()
    assert [tuple(h) for h in hits] == [
        ("companies", "organizations/enrich", job.id),
        ("emails", "check_email", job.id),
    ]
    assert _counters(job.id)[2] == 2
