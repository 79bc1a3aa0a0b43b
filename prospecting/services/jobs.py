"""The job engine: jobs, lease-claimed batches, counters and the reaper.

Lock order (PostgreSQL row locks): a transaction that writes a job's batches and
the job itself takes the batches first, several of them in id order, and the job
row last. A batch runner holds its batch (extend) and then adds its counts to the
job (complete); fail, cancel, pause and resume touch every open batch of a job,
so they lock those batches (`_lock_batches`) before the job. Two transactions
can then wait for each other's batch but never hold a job row while waiting, and
a job failed or cancelled while its batches finish waits instead of deadlocking.
"""

import functools
import hashlib
import json
import os
import subprocess
import tomllib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from flask import has_app_context
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models.base import utcnow
from prospecting.models.jobs import TERMINAL_JOB_STATUSES
from prospecting.services.errors import Conflict
from prospecting.services.errors import NotFound

# A paused batch is open: it keeps its job from finishing, yet claim() and the
# reaper skip it until resume() puts it back to pending.
OPEN_BATCH_STATUSES = ("pending", "running", "paused")
# The owner of a pending batch whose message never reached the queue (it was
# unreachable after the commit): the reaper sends it at its next pass, however
# many messages wait in the queue; claim() replaces the mark.
NOT_SENT = "not-sent"


def create(
    *,
    workspace_id: int,
    kind: str,
    params: dict,
    user_id: int | None = None,
    title: str = "",
    total: int = 0,
) -> Job:
    """Insert a queued job and commit it."""
    job = Job(
        workspace_id=workspace_id,
        user_id=user_id,
        kind=kind,
        params=params,
        title=title[:255],
        progress_total=total,
    )
    db.session.add(job)
    db.session.commit()
    return job


# Built once: every job page and progress poll looks its job up.
_JOB = select(Job).where(
    Job.id == bindparam("job_id"), Job.workspace_id == bindparam("workspace_id")
)


def get(workspace_id: int, job_id: str, *, kind: str | None = None) -> Job:
    """A job of the workspace, or NotFound (also for another workspace's job)."""
    job = None
    if _is_uuid(job_id):
        params = {"job_id": job_id, "workspace_id": workspace_id}
        job = db.session.scalars(_JOB, params).first()
    if job is None:
        raise NotFound("No such job.")
    if kind is not None and job.kind != kind:
        raise NotFound("No such job.")
    return job


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def recent(workspace_id: int, *, kind: str | None = None, limit: int = 20) -> list[Job]:
    """The workspace's newest jobs."""
    stmt = select(Job).where(Job.workspace_id == workspace_id)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    stmt = stmt.order_by(Job.created_at.desc()).limit(limit)
    return list(db.session.scalars(stmt))


def add_batch(
    job_id: str, *, kind: str, seq: int, params: dict | None = None
) -> JobBatch:
    """Add one pending batch to a job (the caller commits)."""
    batch = JobBatch(job_id=job_id, kind=kind, seq=seq, params=params or {})
    db.session.add(batch)
    return batch


def next_seq(job_id: str) -> int:
    """The next free batch number of a job."""
    top = db.session.scalar(
        select(func.max(JobBatch.seq)).where(JobBatch.job_id == job_id)
    )
    return 0 if top is None else top + 1


def mark_running(job_id: str) -> None:
    """Move a queued job to running (no-op otherwise)."""
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(status="running", started_at=utcnow())
    )
    db.session.commit()


def claim(
    batch_id: int, *, kinds: tuple[str, ...], lease_seconds: int | None = None
) -> str | None:
    """Claim a batch of one of `kinds` with a conditional UPDATE; the owner, or None.

    The kind check means a stray message (a task run for another kind's batch id)
    can never make one capability's worker finish another capability's batch.
    """
    now = utcnow()
    lease = lease_seconds or current_app.config["BATCH_LEASE_SECONDS"]
    owner = str(uuid.uuid4())
    claimable = or_(
        and_(
            JobBatch.status == "pending",
            or_(JobBatch.not_before.is_(None), JobBatch.not_before <= now),
        ),
        and_(JobBatch.status == "running", JobBatch.lease_until < now),
    )
    result = db.session.execute(
        update(JobBatch)
        .where(JobBatch.id == batch_id, JobBatch.kind.in_(kinds), claimable)
        .values(
            status="running",
            owner=owner,
            lease_until=now + timedelta(seconds=lease),
            attempts=JobBatch.attempts + 1,
            updated_at=now,
        )
    )
    db.session.commit()
    return owner if result.rowcount == 1 else None


class Started(NamedTuple):
    owner: str
    batch: JobBatch
    job: Job


def start_batch(batch_id: int, *, kinds: tuple[str, ...]) -> Started | None:
    """Claim a batch and mark its job running; None when there is no work to do
    (claimed elsewhere, another kind, or the job already ended)."""
    owner = claim(batch_id, kinds=kinds)
    if owner is None:
        return None
    batch = db.session.get(JobBatch, batch_id)
    job = db.session.get(Job, batch.job_id)
    if job.is_terminal:
        return None
    mark_running(job.id)
    return Started(owner, batch, job)


# Built once: a batch extends its lease before writing each item.
_BATCHES = JobBatch.__table__
_EXTEND = (
    update(_BATCHES)
    .where(
        _BATCHES.c.id == bindparam("extend_id"),
        _BATCHES.c.owner == bindparam("extend_owner"),
        _BATCHES.c.status == "running",
    )
    .values(lease_until=bindparam("extend_until"), updated_at=bindparam("extend_now"))
)


def extend(batch_id: int, owner: str, *, lease_seconds: int | None = None) -> bool:
    """Extend the lease; False when another worker took the batch over."""
    now = utcnow()
    lease = lease_seconds or current_app.config["BATCH_LEASE_SECONDS"]
    result = db.session.execute(
        _EXTEND,
        {
            "extend_id": batch_id,
            "extend_owner": owner,
            "extend_until": now + timedelta(seconds=lease),
            "extend_now": now,
        },
    )
    return result.rowcount == 1


def complete(
    batch_id: int,
    owner: str,
    *,
    success: int,
    failed: int,
    total: int | None = None,
) -> bool:
    """Finish a batch and add its counts to the job in the same transaction.

    Only the current owner can finish a batch, and only once, so every item is
    counted exactly once however often the batch ran. The caller's pending writes
    commit with it; `total` sets the job's progress total in the same statement
    (callers must not write the job row before this: see the lock order above).
    Returns False when the batch was no longer ours.
    """
    now = utcnow()
    done = db.session.execute(
        update(JobBatch)
        .where(
            JobBatch.id == batch_id,
            JobBatch.owner == owner,
            JobBatch.status == "running",
        )
        .values(
            status="done",
            success_count=success,
            failed_count=failed,
            lease_until=None,
            updated_at=now,
        )
    )
    if done.rowcount != 1:
        db.session.rollback()
        return False
    job_id = db.session.scalar(select(JobBatch.job_id).where(JobBatch.id == batch_id))
    counts = {
        "success_count": Job.success_count + success,
        "failed_count": Job.failed_count + failed,
        "progress_current": Job.progress_current + success + failed,
    }
    if total is not None:
        counts["progress_total"] = total
    db.session.execute(update(Job).where(Job.id == job_id).values(**counts))
    db.session.commit()
    finalise(job_id)
    return True


def release(batch_id: int, owner: str, *, delay: float, reason: str = "") -> bool:
    """Give a claimed batch back, not to be taken before `delay` seconds."""
    now = utcnow()
    result = db.session.execute(
        update(JobBatch)
        .where(JobBatch.id == batch_id, JobBatch.owner == owner)
        .values(
            status="pending",
            owner=None,
            lease_until=None,
            not_before=now + timedelta(seconds=delay),
            error=reason[:2000] or None,
            updated_at=now,
        )
    )
    db.session.commit()
    return result.rowcount == 1


def fail_batch(batch_id: int, error: str) -> None:
    """Mark a batch failed for good (retries exhausted) and finalise its job."""
    batch = db.session.get(JobBatch, batch_id)
    if batch is None or batch.status in ("done", "cancelled"):
        return
    batch.status = "failed"
    batch.error = error[-4000:]
    batch.owner = None
    batch.lease_until = None
    batch.updated_at = utcnow()
    db.session.commit()
    finalise(batch.job_id)


def finalise(job_id: str) -> bool:
    """Finish a running job whose batches are all closed; True if this call did it."""
    open_batches = db.session.scalar(
        select(func.count())
        .select_from(JobBatch)
        .where(JobBatch.job_id == job_id, JobBatch.status.in_(OPEN_BATCH_STATUSES))
    )
    if open_batches:
        return False
    failed = db.session.scalar(
        select(func.count())
        .select_from(JobBatch)
        .where(JobBatch.job_id == job_id, JobBatch.status == "failed")
    )
    values = {"status": "completed", "completed_at": utcnow()}
    if failed:
        values = {
            "status": "failed",
            "completed_at": utcnow(),
            "error_message": f"{failed} batch(es) failed after every retry; "
            "see the ops page for the error and to retry them.",
        }
    result = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == "running").values(**values)
    )
    db.session.commit()
    return result.rowcount == 1


def _lock_batches(*where) -> None:
    """Lock the batches matching `where` in id order, before any job row (the lock
    order above); a batch being finished is waited for, then skipped if closed.
    SQLite has no row locks (it writes one transaction at a time)."""
    db.session.execute(
        select(JobBatch.id).where(*where).order_by(JobBatch.id).with_for_update()
    ).all()


def _close_open_batches(job_id: str, now) -> None:
    open_batch = (JobBatch.job_id == job_id, JobBatch.status.in_(OPEN_BATCH_STATUSES))
    _lock_batches(*open_batch)
    db.session.execute(
        update(JobBatch)
        .where(*open_batch)
        .values(status="cancelled", owner=None, lease_until=None, updated_at=now)
    )


def fail(job_id: str, message: str) -> None:
    """Fail a job with a message for the user and close its open batches."""
    now = utcnow()
    _close_open_batches(job_id, now)
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.not_in(TERMINAL_JOB_STATUSES))
        .values(status="failed", error_message=message, completed_at=now)
    )
    db.session.commit()


def cancel(workspace_id: int, job_id: str) -> Job:
    """Cancel a job: pending batches are dropped, running ones stop at the next item."""
    job = get(workspace_id, job_id)
    if job.is_terminal:
        raise Conflict(f"The job is already {job.status}.")
    now = utcnow()
    _close_open_batches(job_id, now)
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.not_in(TERMINAL_JOB_STATUSES))
        .values(
            status="cancelled", completed_at=now, error_message="Cancelled by user."
        )
    )
    db.session.commit()
    db.session.refresh(job)
    return job


def pause(job_id: str, reason: str) -> bool:
    """Pause a queued or running job with a reason; its pending batches wait too."""
    now = utcnow()
    pending = (JobBatch.job_id == job_id, JobBatch.status == "pending")
    _lock_batches(*pending)
    db.session.execute(
        update(JobBatch).where(*pending).values(status="paused", updated_at=now)
    )
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(("queued", "running")))
        .values(status="paused", error_message=reason[:2000])
    )
    db.session.commit()
    return result.rowcount == 1


def pause_batch(batch_id: int, owner: str, reason: str) -> None:
    """Park a claimed batch as paused (to resume where it stopped); pause its job."""
    now = utcnow()
    db.session.execute(
        update(JobBatch)
        .where(JobBatch.id == batch_id, JobBatch.owner == owner)
        .values(
            status="paused",
            owner=None,
            lease_until=None,
            error=reason[:2000] or None,
            updated_at=now,
        )
    )
    job_id = db.session.scalar(select(JobBatch.job_id).where(JobBatch.id == batch_id))
    db.session.commit()
    pause(job_id, reason)


def resume(workspace_id: int, job_id: str, *, params: dict | None = None) -> Job:
    """Continue a paused job: its paused batches become pending again (commits).

    `params` (e.g. a raised cost cap) are merged into the job's params first. The
    caller enqueues `open_batches(job.id)` after this returns.
    """
    job = get(workspace_id, job_id)
    if job.status != "paused":
        raise Conflict(f"The job is {job.status}, not paused.")
    now = utcnow()
    # The batches before the job row (lock order): its changes are flushed last.
    paused = (JobBatch.job_id == job.id, JobBatch.status == "paused")
    _lock_batches(*paused)
    db.session.execute(
        update(JobBatch)
        .where(*paused)
        .values(
            status="pending", owner=None, not_before=None, error=None, updated_at=now
        )
    )
    if params:
        job.params = {**job.params, **params}
    job.status = "running" if job.started_at else "queued"
    job.error_message = None
    db.session.commit()
    finalise(job.id)
    db.session.refresh(job)
    return job


_STATUS = select(Job.__table__.c.status).where(
    Job.__table__.c.id == bindparam("status_job_id")
)


def current_status(job_id: str) -> str | None:
    """A job's status as committed now (a batch asks before each item)."""
    return db.session.scalar(_STATUS, {"status_job_id": job_id})


def is_cancelled_or_failed(job_id: str) -> bool:
    return current_status(job_id) in ("cancelled", "failed")


@dataclass
class Reaped:
    requeue: list[tuple[int, str]]  # (batch id, batch kind)
    exhausted: list[int]
    finalised: list[str]


def reap(*, include_pending: bool = True) -> Reaped:
    """Find batches to re-enqueue (lease expired, lost) and finish done jobs.

    Pending batches count as lost only when `include_pending`: the periodic reaper
    passes False while the queue still holds messages, since a long job's later
    batches legitimately wait there for a long time. Batches marked NOT_SENT
    never reached the queue: they are sent at every pass.
    """
    cfg = current_app.config
    now = utcnow()
    pending_cutoff = now - timedelta(seconds=cfg["BATCH_PENDING_TOO_LONG_SECONDS"])
    stale = and_(JobBatch.status == "running", JobBatch.lease_until < now)
    due = or_(JobBatch.not_before.is_(None), JobBatch.not_before <= now)
    never_sent = and_(JobBatch.status == "pending", JobBatch.owner == NOT_SENT, due)
    stale = or_(stale, never_sent)
    if include_pending:
        lost = and_(
            JobBatch.status == "pending", JobBatch.updated_at < pending_cutoff, due
        )
        stale = or_(stale, lost)
    rows = db.session.execute(
        select(JobBatch.id, JobBatch.kind, JobBatch.attempts).where(stale)
    ).all()
    requeue, exhausted = [], []
    for batch_id, kind, attempts in rows:
        if attempts >= cfg["BATCH_MAX_ATTEMPTS"]:
            exhausted.append(batch_id)
        else:
            requeue.append((batch_id, kind))
    for batch_id in exhausted:
        fail_batch(batch_id, "Gave up after the batch's lease expired too many times.")
    # Touch requeued pending batches so the next pass does not re-send them.
    if requeue:
        touch = (JobBatch.id.in_([b for b, _ in requeue]), JobBatch.status == "pending")
        _lock_batches(*touch)
        # Sent now: a send that fails again marks them again (tasks.enqueue_batches).
        db.session.execute(
            update(JobBatch).where(*touch).values(updated_at=now, owner=None)
        )
        db.session.commit()
    running = db.session.scalars(
        select(Job.id).where(
            Job.status == "running",
            ~select(JobBatch.id)
            .where(JobBatch.job_id == Job.id, JobBatch.status.in_(OPEN_BATCH_STATUSES))
            .exists(),
            select(JobBatch.id).where(JobBatch.job_id == Job.id).exists(),
        )
    ).all()
    finalised = [job_id for job_id in running if finalise(job_id)]
    return Reaped(requeue=requeue, exhausted=exhausted, finalised=finalised)


def mark_not_sent(batch_ids: list[int]) -> None:
    """Mark pending batches whose message could not be queued, for the reaper."""
    if not batch_ids:
        return
    db.session.execute(
        update(JobBatch)
        .where(
            JobBatch.id.in_(batch_ids),
            JobBatch.status == "pending",
            JobBatch.owner.is_(None),
        )
        .values(owner=NOT_SENT)
    )
    db.session.commit()


def batch_kind(batch_id: int) -> str | None:
    return db.session.scalar(select(JobBatch.kind).where(JobBatch.id == batch_id))


def open_batches(job_id: str) -> list[tuple[int, str]]:
    """The job's pending batches, as (id, kind), to enqueue after a commit."""
    rows = db.session.execute(
        select(JobBatch.id, JobBatch.kind)
        .where(JobBatch.job_id == job_id, JobBatch.status == "pending")
        .order_by(JobBatch.seq)
    ).all()
    return [(r[0], r[1]) for r in rows]


# Audit: what a job ran with, recorded once when its row is inserted

ROOT = Path(__file__).resolve().parents[2]
# provider -> (config key of its base URL, the API contract our client speaks)
PROVIDER_APIS = {
    "emails": ("EMAIL_VERIFIER_URL", "Reacher /v1/check_email"),
    "companies": ("COMPANY_ENRICHER_URL", "Apollo /api/v1/organizations/enrich"),
    "reachstream": ("REACHSTREAM_URL", "ReachStream /api/v2 async records"),
    "unipile": ("UNIPILE_DEFAULT_DSN", "Unipile /api/v1 linkedin/search"),
    "attestr": ("ATTESTR_URL", "Attestr /api/v2 mca-cin-contact"),
    "airtable": ("AIRTABLE_URL", "Airtable /v0 records"),
    "sender": ("OUTREACH_SENDER_URL", "message sender webhook"),
}
KIND_PROVIDERS = {
    "enrichment": ("emails", "companies"),
    "people_search": ("reachstream",),
    "prospect_search": ("unipile",),
    "contact_fetch": ("attestr",),
    "airtable_sync": ("airtable",),
    "outreach_dispatch": ("sender",),
}
# Params that steer a run without changing what it computes.
NOT_INPUTS = ("audit", "cost_cap")


@functools.cache
def app_version() -> str:
    """The app's version from pyproject.toml."""
    try:
        with open(ROOT / "pyproject.toml", "rb") as f:
            return tomllib.load(f)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


@functools.cache
def git_commit() -> str | None:
    """The deployed commit: GIT_COMMIT, else `git rev-parse HEAD`, else None."""
    if os.environ.get("GIT_COMMIT"):
        return os.environ["GIT_COMMIT"][:40]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=2,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()[:40] or None


def inputs_of(params: dict) -> dict:
    return {k: v for k, v in (params or {}).items() if k not in NOT_INPUTS}


def inputs_digest(params: dict) -> str:
    """sha256 of a job's inputs in canonical JSON: equal digests, equal inputs."""
    canonical = json.dumps(inputs_of(params), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def audit_inputs(kind: str, params: dict) -> dict:
    """The audit record of a job: inputs digest, file hash, providers, versions."""
    cfg = current_app.config
    providers = {}
    for name in KIND_PROVIDERS.get(kind, ()):
        key, api = PROVIDER_APIS[name]
        providers[name] = {
            "base_url": cfg.get(key),
            "api": api,
            "prices": cfg["PROVIDER_PRICES"].get(name, {}),
        }
    return {
        "recorded_at": utcnow().isoformat(timespec="seconds"),
        "app_version": app_version(),
        "git_commit": git_commit(),
        "inputs_sha256": inputs_digest(params),
        "file_sha256": (params or {}).get("sha256"),
        "providers": providers,
    }


@event.listens_for(Job, "before_insert")
def _record_audit(mapper, connection, job: Job) -> None:
    # One hook for every capability: however a job row is built, it is audited.
    if not has_app_context():
        return
    params = dict(job.params or {})
    if "audit" not in params:
        params["audit"] = audit_inputs(job.kind, params)
        job.params = params
