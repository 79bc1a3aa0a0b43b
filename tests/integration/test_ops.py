"""Ops on PostgreSQL + Redis: a real worker's heartbeat, run now, graceful stop."""

from datetime import timedelta

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import PeriodicRun
from prospecting.models import ProviderCall
from prospecting.models import WorkerHeartbeat
from prospecting.models.base import utcnow
from prospecting.services import accounts
from prospecting.services import ops
from tests import factories
from tests.integration.conftest import wait_for

REAPER = "prospecting.tasks.reap_batches"


def _ensure_ops_tables() -> None:
    # Until the lead's migration for the ops tables lands, create them here.
    for model in (WorkerHeartbeat, PeriodicRun):
        model.__table__.create(db.engine, checkfirst=True)


def _heartbeat(pid: int):
    db.session.expire_all()
    return db.session.scalars(
        select(WorkerHeartbeat).where(WorkerHeartbeat.pid == pid)
    ).first()


def test_real_worker_beats_runs_a_task_now_and_shows_gone_after_stop(
    pg_app, start_worker
):
    _ensure_ops_tables()
    worker = start_worker(threads=2, OPS_HEARTBEAT_SECONDS="0.5")
    pid = worker.proc.pid
    first = wait_for(
        lambda: _heartbeat(pid), timeout=40, message="the worker's first heartbeat"
    )
    assert first.threads == 2
    assert "redis" in first.queue
    seen = first.last_seen_at
    wait_for(
        lambda: _heartbeat(pid).last_seen_at > seen,
        timeout=10,
        message="a second heartbeat",
    )
    states = {w.worker.pid: w.state for w in ops.workers()}
    assert states[pid] == "alive"
    later = {
        w.worker.pid: w.state for w in ops.workers(now=seen + timedelta(minutes=1))
    }
    assert later[pid] == "stale"

    factories.make_user(email="ops@acme.test", workspace="Acme")
    accounts.set_operator("ops@acme.test", True)  # "run now" is for operators
    client = pg_app.test_client()
    factories.login(client, "ops@acme.test")
    assert client.post(f"/ops/periodic/{REAPER}/run").status_code == 302

    def reaper_ran():
        db.session.expire_all()
        run = db.session.scalars(
            select(PeriodicRun).where(PeriodicRun.task_name == REAPER)
        ).first()
        return run if run and run.last_status == "ok" else None

    run = wait_for(reaper_ran, timeout=20, message="the reaper's run on the worker")
    assert run.run_count >= 1

    worker.stop()
    row = _heartbeat(pid)
    assert row.stopped_at is not None
    assert {w.worker.pid: w.state for w in ops.workers()}[pid] == "gone"


def test_provider_health_and_throughput_in_sql_on_postgresql(pg_app):
    user = factories.make_user(email="ops@acme.test", workspace="Acme")
    workspace_id = user.memberships[0].workspace.id
    job = factories.make_job(workspace_id, status="running")
    now = utcnow()
    latencies = [12, 40, 41, 80, 95, 300, 1000]
    for i, latency in enumerate(latencies):
        db.session.add(
            ProviderCall(
                provider="emails",
                endpoint="check_email",
                method="POST",
                status_code=429 if i == 0 else 200,
                latency_ms=latency,
                job_id=job.id,
                created_at=now - timedelta(minutes=2),
            )
        )
    db.session.add(
        JobBatch(
            job_id=job.id,
            seq=0,
            kind="enrichment.rows",
            status="done",
            success_count=9,
            failed_count=1,
            updated_at=now - timedelta(minutes=2),
        )
    )
    db.session.commit()
    db.session.add(  # a provider check: no job, so no workspace's
        ProviderCall(
            provider="emails", endpoint="check_email", method="POST",
            status_code=200, latency_ms=5000, created_at=now - timedelta(minutes=2),
        )
    )  # fmt: skip
    db.session.commit()
    (emails,) = ops.provider_health(workspace_id=workspace_id)
    assert (emails.calls, emails.errors, emails.rate_limited) == (7, 1, 1)
    assert emails.p50_ms == ops.percentile([float(v) for v in latencies], 0.5)
    assert emails.p95_ms == ops.percentile([float(v) for v in latencies], 0.95)
    (everything,) = ops.provider_health()
    assert everything.calls == 8
    series = ops.throughput(workspace_id=workspace_id, now=now)
    assert series.items[-3] == 10
    assert series.calls[-3] == 7
    assert db.session.get(Job, job.id) is not None
