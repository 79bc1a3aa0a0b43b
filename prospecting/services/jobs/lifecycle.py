"""Jobs: how one comes to exist, is read, and ends (completed, failed, cancelled,
paused and resumed).

Lock order (PostgreSQL row locks): a transaction that writes a job's batches and
the job itself takes the batches first, several of them in id order, and the job
row last. A batch's work holds its batch (each lease extension) and its
completion then adds its counts to the job; fail, cancel, pause and resume touch
every open batch of a job, so they lock those batches (`_lock_batches`) before
the job. Work never writes its job row while holding its batch: job-level values
go with the completion (`Done(total=…)`). A job failed or cancelled while its
batches finish waits instead of deadlocking.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models.base import utcnow
from prospecting.models.jobs import TERMINAL_JOB_STATUSES
from prospecting.models.jobs import new_job_id
from prospecting.services.errors import Conflict
from prospecting.services.errors import NotFound
from prospecting.services.jobs import kinds

# A paused batch is open: it keeps its job from finishing, yet claim() and the
# reaper skip it until resume() puts it back to pending.
OPEN_BATCH_STATUSES = ("pending", "running", "paused")


@dataclass(frozen=True)
class NewBatch:
    """A batch to create with its job: its kind, arguments and number."""

    kind: str
    params: dict | None = None
    seq: int | None = None


# Called with the job (fresh from the database) when it completes, fails or
# pauses, inside the transaction that ends it, before its commit: what a listener
# adds (a webhook delivery) commits with the job's new status or not at all.
_end_listeners: list[Callable[[Job], None]] = []


def on_end(listener: Callable[[Job], None]) -> Callable[[Job], None]:
    """Register a job-end listener (once per listener)."""
    if listener not in _end_listeners:
        _end_listeners.append(listener)
    return listener


def _ended(job_id: str) -> None:
    if not _end_listeners:
        return
    job = db.session.get(Job, job_id, populate_existing=True)
    for listener in _end_listeners:
        listener(job)


def create(
    kind: str,
    params: dict,
    batches: list[NewBatch] | tuple[NewBatch, ...] = (),
    *,
    workspace_id: int,
    user_id: int | None = None,
    title: str = "",
    total: int = 0,
    job_id: str | None = None,
) -> Job:
    """Add a queued job of a registered kind with its first batches (flushed; the
    caller commits, with whatever it adds beside, then enqueues)."""
    spec = kinds.get(kind)
    known = {b.name for b in spec.batches}
    for batch in batches:
        if batch.kind not in known:
            raise ValueError(f"{batch.kind!r} is not a batch kind of {kind!r}")
    job = Job(
        id=job_id or new_job_id(),
        workspace_id=workspace_id,
        user_id=user_id,
        kind=kind,
        params=params,
        title=title[:255],
        progress_total=total,
    )
    db.session.add(job)
    db.session.flush()
    for seq, batch in enumerate(batches):
        db.session.add(
            JobBatch(
                job_id=job.id,
                kind=batch.kind,
                seq=seq if batch.seq is None else batch.seq,
                params=batch.params or {},
            )
        )
    db.session.flush()
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
    if job is None or (kind is not None and job.kind != kind):
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


def _lock_batches(*where) -> None:
    """Lock the batches matching `where` in id order, before any job row (the lock
    order above); a batch being finished is waited for. SQLite has no row locks
    (it writes one transaction at a time)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.execute(
        select(JobBatch.id).where(*where).order_by(JobBatch.id).with_for_update()
    ).all()


def mark_running(job_id: str) -> None:
    """Move a queued job to running (no-op otherwise)."""
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(status="running", started_at=utcnow())
    )
    db.session.commit()


_BATCHES = JobBatch.__table__
_OPEN_AND_FAILED = select(
    func.count().filter(_BATCHES.c.status.in_(OPEN_BATCH_STATUSES)),
    func.count().filter(_BATCHES.c.status == "failed"),
).where(_BATCHES.c.job_id == bindparam("fin_job_id"))


def finalise(job_id: str) -> bool:
    """Finish a running job whose batches are all closed; True if this call did it."""
    # One question: is a batch still open (then nothing to do), else how many failed.
    open_batches, failed = db.session.execute(
        _OPEN_AND_FAILED, {"fin_job_id": job_id}
    ).one()
    if open_batches:
        return False
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
    if result.rowcount == 1:
        _ended(job_id)
    db.session.commit()
    return result.rowcount == 1


def _end(job_id: str, status: str, message: str) -> bool:
    """End a job that has not ended, closing its open batches (batches first)."""
    now = utcnow()
    open_batch = (JobBatch.job_id == job_id, JobBatch.status.in_(OPEN_BATCH_STATUSES))
    _lock_batches(*open_batch)
    db.session.execute(
        update(JobBatch)
        .where(*open_batch)
        .values(status="cancelled", owner=None, lease_until=None, updated_at=now)
    )
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.not_in(TERMINAL_JOB_STATUSES))
        .values(status=status, error_message=message, completed_at=now)
    )
    if result.rowcount == 1:
        _ended(job_id)
    db.session.commit()
    return result.rowcount == 1


def fail(job_id: str, message: str) -> bool:
    """Fail a job with a message for the user and close its open batches."""
    return _end(job_id, "failed", message)


def cancel(workspace_id: int, job_id: str) -> Job:
    """Cancel a job: pending batches are dropped, running ones stop at the next item."""
    job = get(workspace_id, job_id)
    if job.is_terminal:
        raise Conflict(f"The job is already {job.status}.")
    _end(job.id, "cancelled", "Cancelled by user.")
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
    if result.rowcount == 1:
        _ended(job_id)
    db.session.commit()
    return result.rowcount == 1


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
    # The rate (and ETA) count from here: the pause was no work.
    resumed = {"at": now.isoformat(), "from": job.progress_current or 0}
    job.params = {**job.params, **(params or {}), "resumed": resumed}
    job.status = "running" if job.started_at else "queued"
    job.error_message = None
    db.session.commit()
    finalise(job.id)
    db.session.refresh(job)
    return job


def rerun_exactly(workspace_id: int, job_id: str, *, user_id: int | None = None) -> Job:
    """Start (commit, not enqueue) a new job with the stored inputs of `job_id`, the
    way its kind re-runs; its audit names the job it repeats."""
    job = get(workspace_id, job_id)
    starter = kinds.get(job.kind).rerun
    if starter is None:
        raise Conflict(f"A {job.kind.replace('_', ' ')} job cannot be re-run exactly.")
    new = starter(job, user_id)
    audit = dict(new.params.get("audit") or {})
    audit["rerun_of"] = job.id
    new.params = {**new.params, "audit": audit}
    db.session.commit()
    return new


_STATUS = select(Job.__table__.c.status).where(
    Job.__table__.c.id == bindparam("status_job_id")
)


def current_status(job_id: str) -> str | None:
    """A job's status as committed now (a batch asks before each item)."""
    return db.session.scalar(_STATUS, {"status_job_id": job_id})
