"""Operations: queue, workers, failed and stuck work, periodic runs, provider health."""

import importlib
import logging
import os
import pkgutil
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from flask import current_app
from sqlalchemy import case
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import PeriodicRun
from prospecting.models import ProviderCall
from prospecting.models import WorkerHeartbeat
from prospecting.models.base import utcnow
from prospecting.models.jobs import TERMINAL_JOB_STATUSES
from prospecting.services import jobs
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

logger = logging.getLogger(__name__)


def worker_identity() -> tuple[str, str, int]:
    """This process's worker id (host:pid), host name and pid."""
    host = socket.gethostname()
    pid = os.getpid()
    return f"{host}:{pid}", host, pid


# Worker heartbeats


def beat(
    worker_id: str,
    *,
    hostname: str,
    pid: int,
    threads: int,
    queue: str,
    started_at: datetime,
) -> None:
    """Upsert a worker's heartbeat row (its own transaction)."""
    now = utcnow()
    values = {
        "hostname": hostname,
        "pid": pid,
        "threads": threads,
        "queue": queue,
        "started_at": started_at,
        "last_seen_at": now,
        "stopped_at": None,
    }
    try:
        with db.engine.begin() as conn:
            done = conn.execute(
                update(WorkerHeartbeat)
                .where(WorkerHeartbeat.worker_id == worker_id)
                .values(**values)
            )
            if not done.rowcount:
                conn.execute(
                    insert(WorkerHeartbeat).values(worker_id=worker_id, **values)
                )
    except IntegrityError:  # a concurrent first beat inserted the row
        with db.engine.begin() as conn:
            conn.execute(
                update(WorkerHeartbeat)
                .where(WorkerHeartbeat.worker_id == worker_id)
                .values(**values)
            )


def mark_stopped(worker_id: str) -> None:
    """Record a graceful stop, so the worker shows as gone at once."""
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            update(WorkerHeartbeat)
            .where(WorkerHeartbeat.worker_id == worker_id)
            .values(stopped_at=now, last_seen_at=now)
        )


def worker_state(
    last_seen_at: datetime,
    *,
    now: datetime,
    alive: float,
    stale: float,
    stopped: bool = False,
) -> str:
    """alive, stale or gone, by the age of the last heartbeat."""
    if stopped:
        return "gone"
    age = (now - last_seen_at).total_seconds()
    if age < alive:
        return "alive"
    if age < stale:
        return "stale"
    return "gone"


@dataclass
class WorkerStatus:
    worker: WorkerHeartbeat
    state: str
    age_seconds: int


def workers(*, now: datetime | None = None) -> list[WorkerStatus]:
    """Workers seen within OPS_WORKER_FORGET_HOURS, newest heartbeat first."""
    cfg = current_app.config
    now = now or utcnow()
    since = now - timedelta(hours=cfg["OPS_WORKER_FORGET_HOURS"])
    rows = db.session.scalars(
        select(WorkerHeartbeat)
        .where(WorkerHeartbeat.last_seen_at >= since)
        .order_by(WorkerHeartbeat.last_seen_at.desc())
    )
    return [
        WorkerStatus(
            worker=row,
            state=worker_state(
                row.last_seen_at,
                now=now,
                alive=cfg["OPS_WORKER_ALIVE_SECONDS"],
                stale=cfg["OPS_WORKER_STALE_SECONDS"],
                stopped=row.stopped_at is not None,
            ),
            age_seconds=max(0, int((now - row.last_seen_at).total_seconds())),
        )
        for row in rows
    ]


# Queue and reachability


@dataclass
class QueueDepth:
    name: str
    storage: str
    pending: int | None = None
    scheduled: int | None = None
    error: str | None = None


def queue_depth() -> QueueDepth:
    """Pending and scheduled messages of the Huey queue, or why they are unknown."""
    depth = QueueDepth(
        name=huey.name, storage=current_app.config.get("HUEY_STORAGE", "?")
    )
    try:
        depth.pending = huey.pending_count()
        depth.scheduled = huey.scheduled_count()
    except Exception as exc:
        depth.error = f"The queue is unreachable ({type(exc).__name__})."
    return depth


@dataclass
class SystemStatus:
    database_ok: bool
    queue_ok: bool

    @property
    def ok(self) -> bool:
        return self.database_ok and self.queue_ok


def database_reachable() -> bool:
    """True when a fresh connection answers SELECT 1."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def queue_reachable() -> bool:
    """True when the queue storage answers."""
    try:
        huey.pending_count()
    except Exception:
        return False
    return True


_status_cache: dict[tuple, tuple[float, SystemStatus]] = {}
_status_lock = threading.Lock()


def system_status(*, max_age: float | None = None) -> SystemStatus:
    """Database and queue reachability, cached per process for a few seconds."""
    app = current_app._get_current_object()
    if max_age is None:
        max_age = app.config["OPS_STATUS_CACHE_SECONDS"]
    # A re-pointed queue or database (tests, re-init) gets a fresh check.
    key = (id(app), id(huey.storage), str(db.engine.url))
    now = time.monotonic()
    with _status_lock:
        cached = _status_cache.get(key)
    if cached and now - cached[0] < max_age:
        return cached[1]
    status = SystemStatus(database_ok=database_reachable(), queue_ok=queue_reachable())
    with _status_lock:
        _status_cache.clear()
        _status_cache[key] = (now, status)
    return status


# Jobs, failed and stuck batches


def active_jobs(workspace_id: int, *, limit: int = 50) -> list[Job]:
    """The workspace's queued and running jobs, newest first."""
    return list(
        db.session.scalars(
            select(Job)
            .where(
                Job.workspace_id == workspace_id,
                Job.status.not_in(TERMINAL_JOB_STATUSES),
            )
            .order_by(Job.created_at.desc())
            .limit(limit)
        )
    )


@dataclass
class BatchView:
    batch: JobBatch
    job: Job
    reason: str = ""


def failed_batches(workspace_id: int, *, limit: int = 50) -> list[BatchView]:
    """The workspace's failed batches with their job, newest first."""
    rows = db.session.execute(
        select(JobBatch, Job)
        .join(Job, Job.id == JobBatch.job_id)
        .where(Job.workspace_id == workspace_id, JobBatch.status == "failed")
        .order_by(JobBatch.updated_at.desc())
        .limit(limit)
    ).all()
    return [BatchView(batch=b, job=j) for b, j in rows]


def stuck_batches(
    workspace_id: int, *, now: datetime | None = None, limit: int = 50
) -> list[BatchView]:
    """Batches whose lease expired or that sat pending too long."""
    now = now or utcnow()
    cutoff = now - timedelta(
        seconds=current_app.config["BATCH_PENDING_TOO_LONG_SECONDS"]
    )
    expired = (JobBatch.status == "running") & (JobBatch.lease_until < now)
    waiting = (
        (JobBatch.status == "pending")
        & (JobBatch.updated_at < cutoff)
        & or_(JobBatch.not_before.is_(None), JobBatch.not_before <= now)
    )
    rows = db.session.execute(
        select(JobBatch, Job)
        .join(Job, Job.id == JobBatch.job_id)
        .where(Job.workspace_id == workspace_id, or_(expired, waiting))
        .order_by(JobBatch.updated_at)
        .limit(limit)
    ).all()
    return [
        BatchView(
            batch=b,
            job=j,
            reason="lease expired" if b.status == "running" else "pending too long",
        )
        for b, j in rows
    ]


def get_batch(workspace_id: int, batch_id: int) -> JobBatch:
    """A batch of the workspace's jobs, or NotFound."""
    batch = db.session.get(JobBatch, batch_id)
    if batch is None:
        raise NotFound("No such batch.")
    job = db.session.get(Job, batch.job_id)
    if job is None or job.workspace_id != workspace_id:
        raise NotFound("No such batch.")
    return batch


def retry_batch(workspace_id: int, batch_id: int) -> JobBatch:
    """Reset a failed batch to pending with its stored arguments (caller enqueues)."""
    return _retry(get_batch(workspace_id, batch_id))


def retry_job(job_id: str) -> list[JobBatch]:
    """Reset every failed batch of a job (any workspace: for the CLI)."""
    try:
        job = db.session.get(Job, str(uuid.UUID(job_id)))
    except ValueError:
        job = None
    if job is None:
        raise NotFound(f"No job {job_id}.")
    failed = db.session.scalars(
        select(JobBatch)
        .where(JobBatch.job_id == job.id, JobBatch.status == "failed")
        .order_by(JobBatch.seq)
    ).all()
    if not failed:
        raise Conflict(f"Job {job_id} has no failed batch to retry.")
    return [_retry(batch) for batch in failed]


def _retry(batch: JobBatch) -> JobBatch:
    if batch.status != "failed":
        raise Conflict(f"The batch is {batch.status}, not failed.")
    job = db.session.get(Job, batch.job_id)
    if job.status == "failed":
        _revive(job)
    elif job.is_terminal:
        raise Conflict(f"The job is {job.status}; start a new run instead.")
    now = utcnow()
    batch.status = "pending"
    batch.attempts = 0
    batch.owner = None
    batch.lease_until = None
    batch.not_before = None
    batch.error = None
    batch.updated_at = now
    db.session.commit()
    return batch


def _revive(job: Job) -> None:
    # Only a job that failed because of its failed batches runs again: one failed
    # for another reason (refused credentials, a cancel) has cancelled batches.
    cancelled = db.session.scalar(
        select(func.count())
        .select_from(JobBatch)
        .where(JobBatch.job_id == job.id, JobBatch.status == "cancelled")
    )
    if cancelled:
        raise Conflict(
            "The job was stopped with some of its work cancelled; "
            "start a new run instead."
        )
    job.status = "running"
    job.completed_at = None
    job.error_message = None


def cancel_batch(workspace_id: int, batch_id: int) -> JobBatch:
    """Give up on a failed batch for good, and stop its job if it still runs."""
    batch = get_batch(workspace_id, batch_id)
    if batch.status != "failed":
        raise Conflict(f"The batch is {batch.status}, not failed.")
    batch.status = "cancelled"
    batch.updated_at = utcnow()
    db.session.commit()
    job = db.session.get(Job, batch.job_id)
    if not job.is_terminal:
        jobs.cancel(workspace_id, job.id)
    return batch


def requeue_stuck(workspace_id: int, batch_id: int) -> JobBatch:
    """Mark a stuck batch as re-sent (the caller enqueues it); Conflict otherwise."""
    batch = get_batch(workspace_id, batch_id)
    if batch.id not in {s.batch.id for s in stuck_batches(workspace_id, limit=1000)}:
        raise Conflict("The batch is not stuck (any more).")
    if batch.status == "pending":
        # Touch it so the reaper does not send it a second time.
        batch.updated_at = utcnow()
        db.session.commit()
    return batch


# Periodic tasks


@dataclass
class PeriodicTaskInfo:
    name: str
    label: str
    last: PeriodicRun | None
    next_run_at: datetime | None


def task_name(task_class) -> str:
    """The registry name of a task class (module.function)."""
    return huey._registry.task_to_string(task_class)


def periodic_task_classes() -> list[type]:
    """Every registered periodic task class."""
    return list(huey._registry._periodic_tasks)


def periodic_task_class(name: str) -> type:
    """The periodic task class of that name, or NotFound."""
    for task_class in periodic_task_classes():
        if task_name(task_class) == name:
            return task_class
    raise NotFound("No such periodic task.")


def next_run(task_class, now: datetime, *, horizon_days: int = 8) -> datetime | None:
    """The next minute at which the task's schedule fires, within the horizon."""
    task = task_class()
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(horizon_days * 24 * 60):
        if task.validate_datetime(minute):
            return minute
        minute += timedelta(minutes=1)
    return None


def periodic_tasks(*, now: datetime | None = None) -> list[PeriodicTaskInfo]:
    """Periodic tasks with their last recorded run and their next run."""
    now = now or utcnow()
    runs = {r.task_name: r for r in db.session.scalars(select(PeriodicRun))}
    items = []
    for task_class in periodic_task_classes():
        name = task_name(task_class)
        items.append(
            PeriodicTaskInfo(
                name=name,
                label=task_class.__name__,
                last=runs.get(name),
                next_run_at=next_run(task_class, now),
            )
        )
    return sorted(items, key=lambda i: i.name)


def record_periodic_start(name: str) -> None:
    """Record that a periodic task started (its own transaction)."""
    now = utcnow()
    values = {
        "last_run_at": now,
        "last_finished_at": None,
        "last_status": "running",
        "last_error": None,
    }
    try:
        with db.engine.begin() as conn:
            done = conn.execute(
                update(PeriodicRun)
                .where(PeriodicRun.task_name == name)
                .values(run_count=PeriodicRun.run_count + 1, **values)
            )
            if not done.rowcount:
                conn.execute(
                    insert(PeriodicRun).values(task_name=name, run_count=1, **values)
                )
    except IntegrityError:  # another worker's first run inserted the row
        record_periodic_start(name)


def record_periodic_end(name: str, *, error: str | None = None) -> None:
    """Record how a periodic task's run ended."""
    with db.engine.begin() as conn:
        conn.execute(
            update(PeriodicRun)
            .where(PeriodicRun.task_name == name)
            .values(
                last_finished_at=utcnow(),
                last_status="error" if error else "ok",
                last_error=error and error[-4000:],
            )
        )


# Provider health and throughput


@dataclass
class ProviderHealth:
    provider: str
    calls: int
    errors: int
    rate_limited: int
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


def _is_error():
    # No answer at all, or an error status; a 404 is a valid "no data" answer.
    return or_(
        ProviderCall.status_code.is_(None),
        (ProviderCall.status_code >= 400) & (ProviderCall.status_code != 404),
    )


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear-interpolated percentile of sorted values (as percentile_cont)."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def provider_health(
    *, workspace_id: int | None = None, minutes: int = 60, now: datetime | None = None
) -> list[ProviderHealth]:
    """Per provider over the window: calls, errors, 429s, p50 and p95 latency; of
    one workspace's jobs, or of every call (workspace_id None: operators only)."""
    since = (now or utcnow()) - timedelta(minutes=minutes)
    scope = [ProviderCall.created_at >= since]
    if workspace_id is not None:
        # Calls without a job (provider checks, sandbox pings) belong to no workspace.
        scope.append(
            ProviderCall.job_id.in_(
                select(Job.id).where(Job.workspace_id == workspace_id)
            )
        )
    rows = db.session.execute(
        select(
            ProviderCall.provider,
            func.count(),
            func.sum(case((_is_error(), 1), else_=0)),
            func.sum(case((ProviderCall.status_code == 429, 1), else_=0)),
        )
        .where(*scope)
        .group_by(ProviderCall.provider)
        .order_by(ProviderCall.provider)
    ).all()
    health = {
        p: ProviderHealth(provider=p, calls=n, errors=e or 0, rate_limited=r or 0)
        for p, n, e, r in rows
    }
    for provider, p50, p95 in _latency_percentiles(scope):
        if provider in health:
            health[provider].p50_ms = p50
            health[provider].p95_ms = p95
    return list(health.values())


def _latency_percentiles(scope: list) -> list[tuple[str, float | None, float | None]]:
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(
            select(
                ProviderCall.provider,
                func.percentile_cont(0.5).within_group(ProviderCall.latency_ms),
                func.percentile_cont(0.95).within_group(ProviderCall.latency_ms),
            )
            .where(*scope)
            .group_by(ProviderCall.provider)
        ).all()
        return [(p, float(a), float(b)) for p, a, b in rows]
    latencies: dict[str, list[float]] = {}
    for provider, latency in db.session.execute(
        select(ProviderCall.provider, ProviderCall.latency_ms)
        .where(*scope)
        .order_by(ProviderCall.provider, ProviderCall.latency_ms)
    ):
        latencies.setdefault(provider, []).append(float(latency))
    return [(p, percentile(v, 0.5), percentile(v, 0.95)) for p, v in latencies.items()]


@dataclass
class Throughput:
    minutes: list[int] = field(default_factory=list)  # bucket starts, epoch seconds
    items: list[int] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)

    @property
    def total_items(self) -> int:
        return sum(self.items)

    @property
    def total_calls(self) -> int:
        return sum(self.calls)

    def as_dict(self) -> dict:
        return {"minutes": self.minutes, "items": self.items, "calls": self.calls}


def _minute(column):
    if db.engine.dialect.name == "postgresql":
        return func.date_trunc("minute", column)
    return func.strftime("%Y-%m-%d %H:%M", column)


def _as_minute(value) -> datetime:
    if isinstance(value, str):
        return datetime.strptime(value, "%Y-%m-%d %H:%M")
    return value.replace(second=0, microsecond=0, tzinfo=None)


def throughput(
    *,
    workspace_id: int,
    job_id: str | None = None,
    minutes: int = 60,
    now: datetime | None = None,
) -> Throughput:
    """Items finished (by done batches) and provider calls per minute, oldest first."""
    now = (now or utcnow()).replace(second=0, microsecond=0)
    start = now - timedelta(minutes=minutes - 1)
    items_by = _per_minute(
        JobBatch.updated_at,
        func.sum(JobBatch.success_count + JobBatch.failed_count),
        [JobBatch.status == "done", JobBatch.updated_at >= start],
        job_column=JobBatch.job_id,
        workspace_id=workspace_id,
        job_id=job_id,
    )
    calls_by = _per_minute(
        ProviderCall.created_at,
        func.count(),
        [ProviderCall.created_at >= start],
        job_column=ProviderCall.job_id,
        workspace_id=workspace_id,
        job_id=job_id,
    )
    result = Throughput()
    for i in range(minutes):
        minute = start + timedelta(minutes=i)
        result.minutes.append(int((minute - datetime(1970, 1, 1)).total_seconds()))
        result.items.append(int(items_by.get(minute, 0)))
        result.calls.append(int(calls_by.get(minute, 0)))
    return result


def _per_minute(
    column, measure, filters, *, job_column, workspace_id: int, job_id: str | None
) -> dict[datetime, int]:
    bucket = _minute(column)
    stmt = select(bucket, measure).where(*filters).group_by(bucket)
    if job_id is not None:
        stmt = stmt.where(job_column == job_id)
    else:
        stmt = stmt.join(Job, Job.id == job_column).where(
            Job.workspace_id == workspace_id
        )
    return {_as_minute(m): n or 0 for m, n in db.session.execute(stmt)}


# Maintenance (CLI)

AGE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
AGE_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_age(value: str) -> timedelta:
    """'30d', '12h' or '90m' as a timedelta; InvalidInput otherwise."""
    match = AGE.match(value or "")
    if not match or int(match.group(1)) <= 0:
        raise InvalidInput(
            f"'{value}' is not an age: use a positive number with d, h or m "
            "(e.g. 30d, 12h, 90m)."
        )
    return timedelta(**{AGE_UNITS[match.group(2)]: int(match.group(1))})


def purge_jobs(older_than: timedelta, *, dry_run: bool = False) -> int:
    """Delete finished jobs older than the age, with their enrichment rows and
    pages (which carry no foreign key, see EnrichmentRow); other rows go by the FK
    cascade."""
    cutoff = utcnow() - older_than
    finished = Job.status.in_(TERMINAL_JOB_STATUSES) & (
        func.coalesce(Job.completed_at, Job.created_at) < cutoff
    )
    ids = list(db.session.scalars(select(Job.id).where(finished)))
    if dry_run or not ids:
        return len(ids)
    db.session.execute(delete(EnrichmentRow).where(EnrichmentRow.job_id.in_(ids)))
    db.session.execute(delete(EnrichmentPage).where(EnrichmentPage.job_id.in_(ids)))
    db.session.execute(delete(Job).where(Job.id.in_(ids)))
    db.session.commit()
    return len(ids)


@dataclass
class ProviderCheck:
    name: str
    ok: bool
    detail: str
    ms: int = 0


def _check_emails() -> str:
    from prospecting.providers import emails

    verdict = emails.verify("provider-check@example.com")
    return f"answered ({verdict.verdict})"


def _check_companies() -> str:
    from prospecting.providers import companies
    from prospecting.providers.errors import ProviderNotFound

    try:
        company = companies.enrich("example.com")
    except ProviderNotFound:
        return "answered (no data for example.com)"
    return f"answered ({company.name or 'a company'})"


def _check_reachstream() -> str:
    from prospecting.providers import reachstream

    return f"{reachstream.credits()} credits left"


# (name, config key that must be set, check) for providers that need no per-workspace
# credentials; a provider module may also expose its own `check()` returning a note.
BUILTIN_CHECKS: list[tuple[str, str, Callable[[], str]]] = [
    ("emails", "EMAIL_VERIFIER_URL", _check_emails),
    ("companies", "COMPANY_ENRICHER_URL", _check_companies),
    ("reachstream", "REACHSTREAM_URL", _check_reachstream),
]


def provider_checks() -> list[tuple[str, Callable[[], str]]]:
    """The configured provider checks, built-in first, then modules' check()."""
    cfg = current_app.config
    checks = [(name, fn) for name, key, fn in BUILTIN_CHECKS if cfg.get(key)]
    import prospecting.providers as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        check = getattr(module, "check", None)
        if callable(check) and not any(n == info.name for n, _ in checks):
            checks.append((info.name, check))
    return checks


def check_providers(only: str | None = None) -> list[ProviderCheck]:
    """Call each configured provider once and report ok or the error."""
    results = []
    for name, check in provider_checks():
        if only and name != only:
            continue
        started = time.perf_counter()
        try:
            detail, ok = str(check() or "ok"), True
        except Exception as exc:  # a check reports every failure, it never raises
            detail, ok = (
                getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}",
                False,
            )
        ms = int((time.perf_counter() - started) * 1000)
        results.append(ProviderCheck(name=name, ok=ok, detail=detail, ms=ms))
    if only and not results:
        raise NotFound(f"No configured provider named '{only}'.")
    return results
