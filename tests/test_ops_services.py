"""Ops services: heartbeats, provider health, throughput, periodic runs, purge."""

import time
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import PeriodicRun
from prospecting.models import ProviderCall
from prospecting.models import WorkerHeartbeat
from prospecting.models.base import utcnow
from prospecting.services import ops
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.tasks import ops as ops_tasks
from tests import factories

NOW = datetime(2026, 5, 4, 12, 30, 0)


@pytest.mark.parametrize(
    ("age", "state"),
    [(0, "alive"), (29, "alive"), (30, "stale"), (119, "stale"), (120, "gone")],
)
def test_worker_state_follows_heartbeat_age(age, state):
    seen = NOW - timedelta(seconds=age)
    assert ops.worker_state(seen, now=NOW, alive=30, stale=120) == state


def test_worker_state_is_gone_once_stopped_however_recent():
    assert ops.worker_state(NOW, now=NOW, alive=30, stale=120, stopped=True) == "gone"


def _beat(worker_id: str, seen: datetime, **kw) -> WorkerHeartbeat:
    row = WorkerHeartbeat(
        worker_id=worker_id,
        hostname="h",
        pid=1,
        threads=4,
        queue="prospecting (redis)",
        started_at=seen,
        last_seen_at=seen,
        **kw,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_workers_lists_alive_stale_and_gone_and_forgets_old_ones(app):
    now = utcnow()
    _beat("h:1", now - timedelta(seconds=5))
    _beat("h:2", now - timedelta(seconds=60))
    _beat("h:3", now - timedelta(seconds=600))
    _beat("h:4", now - timedelta(seconds=2), stopped_at=now)
    _beat("h:5", now - timedelta(days=3))
    states = {w.worker.worker_id: w.state for w in ops.workers(now=now)}
    assert states == {"h:1": "alive", "h:2": "stale", "h:3": "gone", "h:4": "gone"}


def test_beat_upserts_one_row_per_worker_and_clears_a_stop(app):
    started = utcnow()
    ops.beat(
        "host:42", hostname="host", pid=42, threads=2, queue="q", started_at=started
    )
    ops.mark_stopped("host:42")
    ops.beat(
        "host:42", hostname="host", pid=42, threads=3, queue="q", started_at=started
    )
    rows = db.session.scalars(select(WorkerHeartbeat)).all()
    assert len(rows) == 1
    assert rows[0].threads == 3
    assert rows[0].stopped_at is None


def test_heartbeat_thread_beats_repeatedly_and_marks_its_stop(app):
    app.config["OPS_HEARTBEAT_SECONDS"] = 0.05
    beat = ops_tasks.Heartbeat(app, threads=2, queue="prospecting (memory)").start()
    first = db.session.scalars(select(WorkerHeartbeat)).one().last_seen_at
    time.sleep(0.3)
    beat.stop()
    db.session.expire_all()
    row = db.session.scalars(select(WorkerHeartbeat)).one()
    assert row.worker_id == beat.worker_id
    assert row.last_seen_at > first
    assert row.stopped_at is not None
    assert [w.state for w in ops.workers()] == ["gone"]


def _call(provider, latency, status=200, *, minutes_ago=1, error=None, job_id=None):
    db.session.add(
        ProviderCall(
            provider=provider,
            endpoint="e",
            method="GET",
            status_code=status,
            latency_ms=latency,
            error=error,
            job_id=job_id,
            created_at=utcnow() - timedelta(minutes=minutes_ago),
        )
    )


def test_provider_health_counts_errors_429s_and_latency_percentiles(app):
    for latency in range(10, 101, 10):  # 10 calls, 10..100 ms
        _call("emails", latency)
    _call("emails", 200, status=500)
    _call("emails", 300, status=None, error="timeout")
    _call("emails", 400, status=429)
    _call("emails", 50, status=404)  # "no data" is an answer, not an error
    _call("emails", 9999, minutes_ago=90)  # outside the hour
    _call("companies", 30)
    db.session.commit()
    health = {h.provider: h for h in ops.provider_health()}
    emails = health["emails"]
    assert (emails.calls, emails.errors, emails.rate_limited) == (14, 3, 1)
    assert emails.error_rate == pytest.approx(3 / 14)
    latencies = sorted([*range(10, 101, 10), 200, 300, 400, 50])
    assert emails.p50_ms == pytest.approx(ops.percentile(latencies, 0.5))
    assert emails.p50_ms == pytest.approx(65.0)  # between 60 and 70
    assert emails.p95_ms == pytest.approx(ops.percentile(latencies, 0.95))
    assert health["companies"].calls == 1
    assert health["companies"].p95_ms == 30


def test_provider_health_of_a_workspace_counts_only_its_jobs_calls(
    app, workspace, other_workspace
):
    ours = factories.make_job(workspace.id, status="running")
    theirs = factories.make_job(other_workspace.id, status="running")
    _call("emails", 10, job_id=ours.id)
    _call("emails", 30, status=500, job_id=ours.id)
    _call("emails", 999, status=429, job_id=theirs.id)
    _call("companies", 20, job_id=theirs.id)
    _call("reachstream", 40)  # a provider check: no job, no workspace
    db.session.commit()
    mine = {h.provider: h for h in ops.provider_health(workspace_id=workspace.id)}
    assert set(mine) == {"emails"}
    assert (mine["emails"].calls, mine["emails"].errors) == (2, 1)
    assert mine["emails"].rate_limited == 0 and mine["emails"].p95_ms <= 30
    everything = {h.provider: h for h in ops.provider_health()}
    assert set(everything) == {"emails", "companies", "reachstream"}
    assert everything["emails"].calls == 3


def test_percentile_interpolates_like_percentile_cont():
    assert ops.percentile([], 0.5) is None
    assert ops.percentile([7.0], 0.95) == 7.0
    assert ops.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert ops.percentile([0.0, 100.0], 0.95) == pytest.approx(95.0)


def test_throughput_counts_items_and_calls_per_minute_of_the_workspace(
    app, workspace, other_workspace
):
    job = factories.make_job(workspace.id, status="running")
    other = factories.make_job(other_workspace.id, status="running")
    now = utcnow()
    for seq, (job_id, minutes_ago, n) in enumerate(
        [(job.id, 2, 20), (job.id, 2, 5), (job.id, 10, 7), (other.id, 2, 100)]
    ):
        db.session.add(
            JobBatch(
                job_id=job_id,
                seq=seq,
                kind="rows",
                status="done",
                success_count=n,
                failed_count=0,
                updated_at=now - timedelta(minutes=minutes_ago),
            )
        )
    db.session.add(
        JobBatch(job_id=job.id, seq=9, kind="rows", status="running", updated_at=now)
    )
    _call("emails", 10, minutes_ago=2, job_id=job.id)
    _call("emails", 10, minutes_ago=2, job_id=other.id)
    db.session.commit()
    series = ops.throughput(workspace_id=workspace.id, now=now)
    assert len(series.minutes) == 60
    assert series.total_items == 32
    assert series.items[-3] == 25
    assert series.total_calls == 1
    assert series.minutes[-1] - series.minutes[-2] == 60
    assert ops.throughput(workspace_id=workspace.id, job_id=other.id).total_items == 100


def test_next_run_finds_the_next_minute_the_schedule_fires():
    class Daily:
        def validate_datetime(self, ts):
            return ts.hour == 3 and ts.minute == 0

    class Never:
        def validate_datetime(self, ts):
            return False

    assert ops.next_run(Daily, NOW) == datetime(2026, 5, 5, 3, 0)
    assert ops.next_run(Never, NOW, horizon_days=1) is None


def test_periodic_tasks_list_the_registry_with_recorded_runs(app):
    ops.record_periodic_start("prospecting.tasks.reap_batches")
    ops.record_periodic_end("prospecting.tasks.reap_batches", error="Boom: x")
    items = {t.name: t for t in ops.periodic_tasks()}
    reaper = items["prospecting.tasks.reap_batches"]
    assert reaper.label == "reap_batches"
    assert reaper.last.last_status == "error"
    assert reaper.last.run_count == 1
    assert reaper.next_run_at > utcnow()
    with pytest.raises(NotFound):
        ops.periodic_task_class("prospecting.tasks.nope")


def test_record_periodic_start_counts_runs(app):
    for _ in range(3):
        ops.record_periodic_start("t")
    ops.record_periodic_end("t")
    run = db.session.scalars(select(PeriodicRun)).one()
    assert (run.run_count, run.last_status, run.last_error) == (3, "ok", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        (" 90m ", timedelta(minutes=90)),
    ],
)
def test_parse_age_reads_days_hours_minutes(text, expected):
    assert ops.parse_age(text) == expected


@pytest.mark.parametrize("text", ["", "30", "30x", "-1d", "0d", "d"])
def test_parse_age_rejects_anything_else(text):
    with pytest.raises(InvalidInput):
        ops.parse_age(text)


def test_retry_refuses_a_batch_that_did_not_fail(app, workspace):
    job = factories.make_job(workspace.id, status="running")
    batch = JobBatch(job_id=job.id, seq=0, kind="rows", status="done")
    db.session.add(batch)
    db.session.commit()
    with pytest.raises(Conflict):
        ops.retry_batch(workspace.id, batch.id)


def test_retry_refuses_a_job_that_failed_for_another_reason(app, workspace):
    job = factories.make_job(workspace.id, status="failed")
    failed = JobBatch(job_id=job.id, seq=0, kind="rows", status="failed", error="x")
    cancelled = JobBatch(job_id=job.id, seq=1, kind="rows", status="cancelled")
    db.session.add_all([failed, cancelled])
    db.session.commit()
    with pytest.raises(Conflict):
        ops.retry_batch(workspace.id, failed.id)
    assert db.session.get(Job, job.id).status == "failed"


def test_stuck_batches_are_expired_leases_and_long_pending_ones(app, workspace):
    job = factories.make_job(workspace.id, status="running")
    now = utcnow()
    old = now - timedelta(hours=1)
    db.session.add_all(
        [
            JobBatch(
                job_id=job.id, seq=0, kind="rows", status="running", lease_until=old
            ),
            JobBatch(
                job_id=job.id,
                seq=1,
                kind="rows",
                status="running",
                lease_until=now + timedelta(minutes=5),
            ),
            JobBatch(
                job_id=job.id, seq=2, kind="rows", status="pending", updated_at=old
            ),
            JobBatch(
                job_id=job.id, seq=3, kind="rows", status="pending", updated_at=now
            ),
            JobBatch(
                job_id=job.id,
                seq=4,
                kind="rows",
                status="pending",
                updated_at=old,
                not_before=now + timedelta(minutes=5),
            ),
        ]
    )
    db.session.commit()
    stuck = {s.batch.seq: s.reason for s in ops.stuck_batches(workspace.id)}
    assert stuck == {0: "lease expired", 2: "pending too long"}
