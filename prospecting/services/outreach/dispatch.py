"""The dispatch job: its batches send their messages within caps and quiet hours."""

from datetime import datetime
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from prospecting.extensions import db
from prospecting.models import JobBatch
from prospecting.models import MessageLog
from prospecting.models.base import utcnow
from prospecting.providers import sender
from prospecting.providers.errors import ProviderCostCapReached
from prospecting.providers.errors import ProviderError
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable
from prospecting.services import jobs
from prospecting.services.outreach.caps import gate

KIND = "outreach_dispatch"
DISPATCH = "outreach.dispatch"


def create_dispatch_job(
    workspace_id: int, message_ids: list[int], *, now: datetime, title: str
) -> str:
    """A dispatch job whose batches own the claimed messages (not committed)."""
    size = current_app.config["OUTREACH_BATCH_SIZE"]
    chunks = [
        message_ids[start : start + size] for start in range(0, len(message_ids), size)
    ]
    job = jobs.create(
        KIND,
        {"messages": len(message_ids)},
        [jobs.NewBatch(DISPATCH, {"ids": chunk}) for chunk in chunks],
        workspace_id=workspace_id,
        title=title,
        total=len(message_ids),
    )
    job.created_at = now
    batch_ids = db.session.scalars(
        select(JobBatch.id).where(JobBatch.job_id == job.id).order_by(JobBatch.seq)
    ).all()
    for batch_id, chunk in zip(batch_ids, chunks, strict=True):
        db.session.execute(
            update(MessageLog)
            .where(MessageLog.id.in_(chunk))
            .values(status="queued", batch_id=batch_id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return job.id


def dispatch_batch(run: jobs.Run) -> jobs.Result:
    """Send a batch's messages within caps and quiet hours; transient errors retry."""
    messages = db.session.scalars(
        select(MessageLog)
        .where(MessageLog.batch_id == run.batch_id, MessageLog.status == "queued")
        .options(selectinload(MessageLog.creator))
        .order_by(MessageLog.id)
    ).all()
    sent = failed = 0
    for message in run.each(messages):
        run.extend()
        # Commit before the HTTP call: no write lock may be held while we wait.
        db.session.commit()
        result = _dispatch_one(message, utcnow())
        db.session.commit()
        sent += result == "sent"
        failed += result == "failed"
    return jobs.Done(success=sent, failed=failed)


def _dispatch_one(message: MessageLog, now: datetime) -> str:
    hold = gate(message, now)
    if hold is not None:
        until, reason = hold
        _defer(message, until, reason, now)
        return "deferred"
    cfg = current_app.config
    message.attempts += 1
    db.session.commit()  # the attempt is on record even if the worker dies mid-send
    try:
        delivery = sender.send(
            sender.Outgoing(
                message_id=message.id,
                platform=message.creator.platform,
                platform_creator_id=message.creator.platform_creator_id,
                type=message.type,
                content=message.content,
                meta=message.meta,
            )
        )
    except ProviderCostCapReached:
        message.attempts -= 1  # never sent: the cap stopped it before the call
        db.session.commit()
        raise
    except ProviderRateLimited as exc:
        _defer(message, now + timedelta(seconds=exc.retry_after), exc.message, now)
        return "deferred"
    except ProviderUnavailable as exc:
        if message.attempts >= cfg["OUTREACH_MAX_ATTEMPTS"]:
            return _fail(message, f"{exc.message} Gave up after {message.attempts}.")
        delay = cfg["OUTREACH_RETRY_SECONDS"] * 2 ** (message.attempts - 1)
        _defer(message, now + timedelta(seconds=delay), exc.message, now)
        return "deferred"
    except ProviderError as exc:
        return _fail(message, exc.message)
    message.status = "sent"
    message.sent_at = now
    message.provider_ref = delivery.ref
    message.reason = None
    message.batch_id = None
    message.updated_at = now
    return "sent"


def _defer(message: MessageLog, until: datetime, reason: str, now: datetime) -> None:
    message.status = "pending"
    message.batch_id = None
    message.not_before = until
    message.reason = reason[:500]
    message.updated_at = now


def _fail(message: MessageLog, reason: str) -> str:
    message.status = "failed"
    message.batch_id = None
    message.reason = reason[:500]
    message.updated_at = utcnow()
    return "failed"
