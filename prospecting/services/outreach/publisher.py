"""The publisher: due schedules become messages, pending messages are packed into
dispatch batches, and messages of dead batches are given back."""

from datetime import datetime

from flask import current_app
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from prospecting.extensions import db
from prospecting.models import JobBatch
from prospecting.models import MessageLog
from prospecting.models import MessageSchedule
from prospecting.models import Sample
from prospecting.models.base import utcnow
from prospecting.services import jobs
from prospecting.services.outreach.caps import quiet_until
from prospecting.services.outreach.dispatch import create_dispatch_job
from prospecting.services.outreach.rulebook import schedule_text
from prospecting.services.outreach.schedules import samples_with_content
from prospecting.services.outreach.schedules import skip_reason


def _claim(model, conditions, *, order_by, limit: int, values: dict) -> list[int]:
    """Claim up to `limit` rows for this transaction; safe with many publishers.

    PostgreSQL locks the rows and skips those another publisher holds; SQLite has
    one writer at a time, and the conditional UPDATE re-checks each row.
    """
    stmt = select(model.id).where(*conditions).order_by(order_by).limit(limit)
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(stmt.with_for_update(skip_locked=True)))
        if ids:
            db.session.execute(
                update(model)
                .where(model.id.in_(ids))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return ids
    ids = list(db.session.scalars(stmt))
    if not ids:
        return []
    result = db.session.execute(
        update(model)
        .where(model.id.in_(ids), *conditions)
        .values(**values)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in result]


def publish(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """Turn due schedules into messages and pack pending ones into dispatch batches.

    Returns the new batches, committed, for the caller to enqueue.
    """
    now = now or utcnow()
    limit = current_app.config["OUTREACH_PUBLISH_LIMIT"]
    recover_orphans()
    materialise_due(now=now, limit=limit)
    if quiet_until(now) is not None:
        return []
    return pack_pending(now=now, limit=limit)


def materialise_due(*, now: datetime, limit: int) -> int:
    """Claim due schedules and write their messages (reminders stop at content)."""
    ids = _claim(
        MessageSchedule,
        (MessageSchedule.status == "pending", MessageSchedule.due_at <= now),
        order_by=MessageSchedule.due_at,
        limit=limit,
        values={"status": "messaged", "updated_at": now},
    )
    if not ids:
        db.session.commit()
        return 0
    schedules = db.session.scalars(
        select(MessageSchedule)
        .where(MessageSchedule.id.in_(ids))
        .options(
            selectinload(MessageSchedule.rule),
            selectinload(MessageSchedule.creator),
            selectinload(MessageSchedule.sample).selectinload(Sample.product),
        )
        .execution_options(populate_existing=True)
    ).all()
    posted = samples_with_content({s.sample_id for s in schedules})
    created = 0
    for schedule in schedules:
        reason = skip_reason(schedule, posted)
        if reason:
            schedule.status = "cancelled" if "status" in reason else "skipped"
            schedule.reason = reason
            continue
        db.session.add(
            MessageLog(
                workspace_id=schedule.workspace_id,
                creator_id=schedule.creator_id,
                schedule_id=schedule.id,
                source="schedule",
                type="text",
                content=schedule_text(schedule),
                meta={"sampleId": schedule.sample_id, "seq": schedule.seq},
                sender=current_app.config["OUTREACH_SENDER_NAME"],
                status="pending",
                created_at=now,
                updated_at=now,
            )
        )
        created += 1
    db.session.commit()
    return created


def pack_pending(*, now: datetime, limit: int) -> list[tuple[int, str]]:
    """Claim pending messages that are due and cut them into dispatch batches."""
    ids = _claim(
        MessageLog,
        (
            MessageLog.status == "pending",
            or_(MessageLog.not_before.is_(None), MessageLog.not_before <= now),
        ),
        order_by=MessageLog.id,
        limit=limit,
        values={"status": "queued", "updated_at": now},
    )
    if not ids:
        db.session.commit()
        return []
    rows = db.session.execute(
        select(MessageLog.id, MessageLog.workspace_id).where(MessageLog.id.in_(ids))
    ).all()
    by_workspace: dict[int, list[int]] = {}
    for message_id, workspace_id in rows:
        by_workspace.setdefault(workspace_id, []).append(message_id)
    job_ids = [
        create_dispatch_job(ws, sorted(mids), now=now, title="Scheduled messages")
        for ws, mids in by_workspace.items()
    ]
    db.session.commit()
    return [b for job_id in job_ids for b in jobs.open_batches(job_id)]


def recover_orphans() -> int:
    """Give back messages whose batch died: failed ones retry, cancelled ones fail."""
    now = utcnow()
    dead = select(JobBatch.id).where(JobBatch.status.in_(("failed", "cancelled")))
    cancelled = select(JobBatch.id).where(JobBatch.status == "cancelled")
    failed = db.session.execute(
        update(MessageLog)
        .where(MessageLog.status == "queued", MessageLog.batch_id.in_(cancelled))
        .values(
            status="failed",
            reason="The dispatch job was cancelled.",
            batch_id=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    lost = db.session.execute(
        update(MessageLog)
        .where(
            MessageLog.status == "queued",
            or_(MessageLog.batch_id.is_(None), MessageLog.batch_id.in_(dead)),
        )
        .values(status="pending", batch_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return failed.rowcount + lost.rowcount
