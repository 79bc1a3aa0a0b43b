"""Batches: leases taken by conditional UPDATE, counts added to the job once.

A batch is claimed when it is pending and due, when its lease expired, or when
the worker process that holds it stopped heartbeating (it was killed): a claim
never waits for a dead worker's lease to run out, while a slow but living
worker keeps its batch.
"""

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import WorkerHeartbeat
from prospecting.models.base import utcnow
from prospecting.services.jobs.lifecycle import OPEN_BATCH_STATUSES
from prospecting.services.jobs.lifecycle import finalise
from prospecting.services.jobs.lifecycle import pause

# The owner of a pending batch whose message never reached the queue (it was
# unreachable after the commit): the reaper sends it at its next pass, however
# many messages wait in the queue; claim() replaces the mark.
NOT_SENT = "not-sent"

# This process's worker id while it heartbeats (a `flask worker`), recorded on the
# batches it claims; None elsewhere (tests, immediate mode), where only the
# lease protects a claim.
_worker_id: str | None = None


def set_worker_id(worker_id: str | None) -> None:
    global _worker_id
    _worker_id = worker_id


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


def gone_workers(now):
    """Worker ids whose process stopped (gracefully, or silently for longer than
    BATCH_OWNER_GONE_SECONDS)."""
    cutoff = now - timedelta(seconds=current_app.config["BATCH_OWNER_GONE_SECONDS"])
    return select(WorkerHeartbeat.worker_id).where(
        or_(
            WorkerHeartbeat.last_seen_at < cutoff,
            WorkerHeartbeat.stopped_at.is_not(None),
        )
    )


def due(now):
    """Pending and due: a thread may take it now."""
    return and_(
        JobBatch.status == "pending",
        or_(JobBatch.not_before.is_(None), JobBatch.not_before <= now),
    )


def claimable(now):
    """Pending and due, or running under an expired lease or a gone worker."""
    return or_(
        due(now),
        and_(
            JobBatch.status == "running",
            or_(JobBatch.lease_until < now, JobBatch.worker.in_(gone_workers(now))),
        ),
    )


def claim(batch_id: int, *, kinds: tuple[str, ...]) -> str | None:
    """Claim a batch of one of `kinds` with a conditional UPDATE; the owner, or None.

    The kind check means a stray message can never make a worker run a batch of a
    kind it does not know.
    """
    now = utcnow()
    owner = str(uuid.uuid4())
    result = db.session.execute(
        update(JobBatch)
        .where(JobBatch.id == batch_id, JobBatch.kind.in_(kinds), claimable(now))
        .values(
            status="running",
            owner=owner,
            worker=_worker_id,
            lease_until=now + timedelta(seconds=_lease()),
            attempts=JobBatch.attempts + 1,
            updated_at=now,
        )
    )
    db.session.commit()
    return owner if result.rowcount == 1 else None


def _lease() -> int:
    return current_app.config["BATCH_LEASE_SECONDS"]


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


def extend(batch_id: int, owner: str) -> bool:
    """Extend the lease; False when another worker took the batch over."""
    now = utcnow()
    result = db.session.execute(
        _EXTEND,
        {
            "extend_id": batch_id,
            "extend_owner": owner,
            "extend_until": now + timedelta(seconds=_lease()),
            "extend_now": now,
        },
    )
    return result.rowcount == 1


def _job_of(batch_id: int) -> str | None:
    return db.session.scalar(select(JobBatch.job_id).where(JobBatch.id == batch_id))


def complete(
    batch_id: int,
    owner: str,
    *,
    success: int,
    failed: int,
    params: dict | None = None,
    total: int | None = None,
) -> bool:
    """Finish a batch and add its counts to the job in the same transaction.

    Only the current owner can finish a batch, and only once, so every item is
    counted exactly once however often the batch ran: `success` and `failed` are
    the batch's totals, of which the job gets what its runs did not count as
    they wrote (add_counts). The caller's pending writes
    commit with it; `params` replace the batch's stored arguments (its outcome),
    `total` sets the job's progress total (the job row is written here, after the
    batch's: see the lock order in lifecycle). Returns False when the batch was
    no longer ours.
    """
    now = utcnow()
    # Its job and what the batch's runs already counted as they wrote (count()):
    # the job gets the rest. The batch is ours (or the UPDATE below matches nothing).
    job_id, *counted = db.session.execute(
        select(JobBatch.job_id, JobBatch.success_count, JobBatch.failed_count).where(
            JobBatch.id == batch_id
        )
    ).one()
    values = {
        "status": "done",
        "success_count": success,
        "failed_count": failed,
        "lease_until": None,
        "updated_at": now,
    }
    if params is not None:
        values["params"] = params
    done = db.session.execute(
        update(JobBatch)
        .where(
            JobBatch.id == batch_id,
            JobBatch.owner == owner,
            JobBatch.status == "running",
        )
        .values(**values)
    )
    if done.rowcount != 1:
        db.session.rollback()
        return False
    success, failed = success - counted[0], failed - counted[1]
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


_JOBS = Job.__table__
_COUNT_BATCH = (
    update(_BATCHES)
    .where(_BATCHES.c.id == bindparam("count_id"))
    .values(
        success_count=_BATCHES.c.success_count + bindparam("count_success"),
        failed_count=_BATCHES.c.failed_count + bindparam("count_failed"),
    )
)
_COUNT_JOB = (
    update(_JOBS)
    .where(_JOBS.c.id == bindparam("count_job"))
    .values(
        success_count=_JOBS.c.success_count + bindparam("count_success"),
        failed_count=_JOBS.c.failed_count + bindparam("count_failed"),
        progress_current=_JOBS.c.progress_current + bindparam("count_done"),
    )
)


def add_counts(batch_id: int, job_id: str, *, success: int, failed: int) -> None:
    """Count items a batch wrote, to the batch and its job, in the caller's
    transaction (which holds the batch: extend() first, the lock order);
    complete() then adds only what was not counted so."""
    if not success and not failed:
        return
    params = {
        "count_id": batch_id,
        "count_job": job_id,
        "count_success": success,
        "count_failed": failed,
        "count_done": success + failed,
    }
    db.session.execute(_COUNT_BATCH, params)
    # Inside a batch the job row is written as the transaction commits, with
    # the call log's counters: every worker thread writes it, so it is locked
    # for the end of a commit only.
    if not metering.count_items(job_id, success=success, failed=failed):
        db.session.execute(_COUNT_JOB, params)


def waiting(job_id: str, kind: str) -> bool:
    """True when a batch of the job waits to be claimed now, or a batch of another
    kind is still open (a planner still cutting batches). A batch put back for
    later (a provider's 429, a backoff) is not waiting: no thread could take it
    yet, and counting it kept a job's last batch from sharing its rows while the
    threads that freed up idled (2 s of a 6,000-row job's end, after one 429)."""
    return bool(
        db.session.scalar(
            _WAITING, {"wait_job": job_id, "wait_kind": kind, "wait_now": utcnow()}
        )
    )


# Built once: a batch asks it about once a second while it works.
_WAITING = select(
    exists().where(
        _BATCHES.c.job_id == bindparam("wait_job"),
        or_(
            due(bindparam("wait_now")),
            and_(
                _BATCHES.c.kind != bindparam("wait_kind"),
                _BATCHES.c.status.in_(OPEN_BATCH_STATUSES),
            ),
        ),
    )
)


def split(
    batch_id: int, owner: str, *, keep: dict, parts: list[dict]
) -> list[tuple[int, str]] | None:
    """Narrow a running batch to the items of `keep` (its new params) and add a
    pending batch of its kind for each of `parts`, in one transaction (commits);
    the new batches as (id, kind), to send. None when the batch is no longer
    ours, or another batch of the job took the same numbers meanwhile (nothing
    changed then)."""
    now = utcnow()
    mine = db.session.execute(
        update(JobBatch)
        .where(
            JobBatch.id == batch_id,
            JobBatch.owner == owner,
            JobBatch.status == "running",
        )
        .values(params=keep, updated_at=now)
        .returning(JobBatch.job_id, JobBatch.kind)
    ).one_or_none()
    if mine is None:
        db.session.rollback()
        return None
    job_id, kind = mine
    seq = next_seq(job_id)
    new = [
        {"job_id": job_id, "seq": seq + i, "kind": kind, "status": "pending",
         "params": params, "attempts": 0, "success_count": 0, "failed_count": 0,
         "created_at": now, "updated_at": now}
        for i, params in enumerate(parts)
    ]  # fmt: skip
    try:
        added = db.session.execute(
            insert(JobBatch).returning(
                JobBatch.id, JobBatch.kind, sort_by_parameter_order=True
            ),
            new,
        ).all()
        db.session.commit()
    except IntegrityError:  # a concurrent split took the same seq
        db.session.rollback()
        return None
    return [(added_id, added_kind) for added_id, added_kind in added]


def release(
    batch_id: int, owner: str, *, delay: float, reason: str = "", attempts=None
) -> bool:
    """Give a claimed batch back, not to be taken before `delay` seconds.

    `attempts` sets the batch's attempt count (0 after progress, one less when
    this run should not count as a try); None keeps it.
    """
    now = utcnow()
    values = {
        "status": "pending",
        "owner": None,
        "worker": None,
        "lease_until": None,
        "not_before": now + timedelta(seconds=delay),
        "error": reason[:2000] or None,
        "updated_at": now,
    }
    if attempts is not None:
        values["attempts"] = attempts
    result = db.session.execute(
        update(JobBatch)
        .where(JobBatch.id == batch_id, JobBatch.owner == owner)
        .values(**values)
    )
    db.session.commit()
    return result.rowcount == 1


def drop(batch_id: int, owner: str) -> None:
    """Close a claimed batch whose job had already ended."""
    db.session.execute(
        update(JobBatch)
        .where(JobBatch.id == batch_id, JobBatch.owner == owner)
        .values(status="cancelled", owner=None, worker=None, lease_until=None)
    )
    db.session.commit()


def fail_batch(batch_id: int, error: str) -> None:
    """Mark a batch failed for good (retries exhausted) and finalise its job."""
    now = utcnow()
    job_id = _job_of(batch_id)
    if job_id is None:
        return
    db.session.execute(
        update(JobBatch)
        .where(JobBatch.id == batch_id, JobBatch.status.not_in(("done", "cancelled")))
        .values(
            status="failed",
            error=error[-6000:],
            owner=None,
            worker=None,
            lease_until=None,
            updated_at=now,
        )
    )
    db.session.commit()
    finalise(job_id)


def pause_batch(batch_id: int, owner: str, reason: str) -> None:
    """Park a claimed batch as paused (to resume where it stopped); pause its job."""
    now = utcnow()
    job_id = _job_of(batch_id)
    db.session.execute(
        update(JobBatch)
        .where(JobBatch.id == batch_id, JobBatch.owner == owner)
        .values(
            status="paused",
            owner=None,
            worker=None,
            lease_until=None,
            error=reason[:2000] or None,
            updated_at=now,
        )
    )
    db.session.commit()
    pause(job_id, reason)


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


def open_batches(job_id: str) -> list[tuple[int, str]]:
    """The job's pending batches, as (id, kind), to enqueue after a commit."""
    rows = db.session.execute(
        select(JobBatch.id, JobBatch.kind)
        .where(JobBatch.job_id == job_id, JobBatch.status == "pending")
        .order_by(JobBatch.seq)
    ).all()
    return [(r[0], r[1]) for r in rows]
