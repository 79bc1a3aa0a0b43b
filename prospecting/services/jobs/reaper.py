"""The reaper: batches whose worker died, whose lease expired or whose message was
lost go back to the queue; jobs whose batches are all closed are finished."""

import os
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import WorkerHeartbeat
from prospecting.models.base import utcnow
from prospecting.services.jobs.batches import NOT_SENT
from prospecting.services.jobs.batches import fail_batch
from prospecting.services.jobs.batches import gone_workers
from prospecting.services.jobs.lifecycle import OPEN_BATCH_STATUSES
from prospecting.services.jobs.lifecycle import finalise

GAVE_UP = "Gave up after the batch's worker or lease was lost too many times."


@dataclass
class Reaped:
    requeue: list[tuple[int, str]]  # (batch id, batch kind)
    exhausted: list[int]
    finalised: list[str]


def reap(*, include_pending: bool = True) -> Reaped:
    """Find batches to re-enqueue (worker gone, lease expired, lost) and finish
    done jobs.

    Pending batches count as lost only when `include_pending`: the periodic reaper
    passes False while a batch's message is still queued (other messages do not
    count, see tasks.batch_message_queued), since a long job's later batches
    legitimately wait there for a long time. Batches marked NOT_SENT
    never reached the queue: they are sent at every pass.
    """
    cfg = current_app.config
    now = utcnow()
    pending_cutoff = now - timedelta(seconds=cfg["BATCH_PENDING_TOO_LONG_SECONDS"])
    due = or_(JobBatch.not_before.is_(None), JobBatch.not_before <= now)
    stale = or_(
        and_(
            JobBatch.status == "running",
            or_(JobBatch.lease_until < now, JobBatch.worker.in_(gone_workers(now))),
        ),
        and_(JobBatch.status == "pending", JobBatch.owner == NOT_SENT, due),
    )
    if include_pending:
        lost = and_(
            JobBatch.status == "pending", JobBatch.updated_at < pending_cutoff, due
        )
        stale = or_(stale, lost)
    rows = db.session.execute(
        select(JobBatch.id, JobBatch.kind, JobBatch.attempts).where(stale)
    ).all()
    requeue, exhausted = _split(rows)
    # Touch requeued pending batches so the next pass does not re-send them; a
    # send that fails again marks them again (tasks.enqueue_batches).
    if requeue:
        db.session.execute(
            update(JobBatch)
            .where(
                JobBatch.id.in_([b for b, _ in requeue]), JobBatch.status == "pending"
            )
            .values(updated_at=now, owner=None)
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


def reclaim_gone(*, host: str | None = None) -> list[tuple[int, str]]:
    """Put the running batches of workers that stopped heartbeating back to pending
    and return them to enqueue (each is returned to one caller only).

    Every worker's heartbeat runs this, so a killed worker's batches run again
    within seconds of its silence instead of after their lease; batches marked
    not sent go with them. A worker of
    `host` (the caller's machine) whose process no longer exists is gone at once.
    """
    now = utcnow()
    if host is not None:
        _mark_dead_on(host, now)
    rows = db.session.execute(
        update(JobBatch)
        .where(JobBatch.status == "running", JobBatch.worker.in_(gone_workers(now)))
        .values(
            status="pending",
            owner=None,
            worker=None,
            lease_until=None,
            not_before=None,
            updated_at=now,
        )
        .returning(JobBatch.id, JobBatch.kind, JobBatch.attempts)
    ).all()
    # Batches that never reached the queue (a send that failed, or rows an event
    # added for the engine to send) go at the next beat rather than the reaper's.
    due = or_(JobBatch.not_before.is_(None), JobBatch.not_before <= now)
    rows += db.session.execute(
        update(JobBatch)
        .where(JobBatch.status == "pending", JobBatch.owner == NOT_SENT, due)
        .values(owner=None, updated_at=now)
        .returning(JobBatch.id, JobBatch.kind, JobBatch.attempts)
    ).all()
    db.session.commit()
    requeue, _ = _split(rows)
    return requeue


def _split(rows) -> tuple[list[tuple[int, str]], list[int]]:
    """Batches to send again, and those that used up their attempts (failed)."""
    limit = current_app.config["BATCH_MAX_ATTEMPTS"]
    requeue, exhausted = [], []
    for batch_id, kind, attempts in rows:
        if attempts >= limit:
            exhausted.append(batch_id)
        else:
            requeue.append((batch_id, kind))
    for batch_id in exhausted:
        fail_batch(batch_id, GAVE_UP)
    return requeue, exhausted


def _mark_dead_on(host: str, now) -> None:
    """Record as stopped the workers of this machine whose process is gone (a
    SIGKILL leaves no goodbye); their batches are then free at once."""
    rows = db.session.execute(
        select(WorkerHeartbeat.worker_id, WorkerHeartbeat.pid).where(
            WorkerHeartbeat.hostname == host, WorkerHeartbeat.stopped_at.is_(None)
        )
    ).all()
    dead = [worker_id for worker_id, pid in rows if not _process_exists(pid)]
    if dead:
        db.session.execute(
            update(WorkerHeartbeat)
            .where(WorkerHeartbeat.worker_id.in_(dead))
            .values(stopped_at=now)
        )
        db.session.commit()


def _process_exists(pid: int) -> bool:
    # A pid taken again by another process reads as alive: the heartbeat's
    # silence then frees the batches, as for a worker on another machine.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
