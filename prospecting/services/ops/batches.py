"""Active jobs, failed and stuck batches, and what an operator does about them:
retry, cancel, send again."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from flask import current_app
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models.base import utcnow
from prospecting.models.jobs import TERMINAL_JOB_STATUSES
from prospecting.services import jobs
from prospecting.services.errors import Conflict
from prospecting.services.errors import NotFound


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
