"""Creator outreach: rules, the publisher, dispatch within caps, page queries."""

import re
from dataclasses import dataclass
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from prospecting.extensions import db
from prospecting.models import Creator
from prospecting.models import JobBatch
from prospecting.models import MessageLog
from prospecting.models import MessageSchedule
from prospecting.models import OutreachRule
from prospecting.models import OutreachTask
from prospecting.models import Product
from prospecting.models import Sample
from prospecting.models import SampleContent
from prospecting.models.base import utcnow
from prospecting.providers import sender
from prospecting.providers.errors import ProviderCostCapReached
from prospecting.providers.errors import ProviderError
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable
from prospecting.services import jobs
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.outreach_schemas import ChatItem

KIND = "outreach_dispatch"
DISPATCH = "outreach.dispatch"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


# Rules


def rules(workspace_id: int) -> list[OutreachRule]:
    stmt = (
        select(OutreachRule)
        .where(OutreachRule.workspace_id == workspace_id)
        .order_by(OutreachRule.sample_status)
    )
    return list(db.session.scalars(stmt))


def save_rule(
    workspace_id: int,
    *,
    sample_status: str,
    template: str,
    reminder_template: str | None = None,
    reminder_every_hours: int = 0,
    reminder_max: int = 0,
    active: bool = True,
) -> OutreachRule:
    """Create or replace the workspace's rule for a sample status."""
    status = (sample_status or "").strip().lower()
    if not status or len(status) > 40:
        raise InvalidInput("A rule needs a sample status (up to 40 characters).")
    if not (template or "").strip():
        raise InvalidInput("A rule needs a message template.")
    if reminder_every_hours < 0 or reminder_max < 0 or reminder_max > 50:
        raise InvalidInput("Reminders: every N ≥ 0 hours, up to 50 times.")
    if reminder_max and not reminder_every_hours:
        raise InvalidInput("Say how many hours apart the reminders are.")
    rule = db.session.scalar(
        select(OutreachRule).where(
            OutreachRule.workspace_id == workspace_id,
            OutreachRule.sample_status == status,
        )
    )
    if rule is None:
        rule = OutreachRule(workspace_id=workspace_id, sample_status=status)
        db.session.add(rule)
    rule.template = template.strip()
    rule.reminder_template = (reminder_template or "").strip() or None
    rule.reminder_every_hours = reminder_every_hours
    rule.reminder_max = reminder_max if reminder_every_hours else 0
    rule.active = active
    rule.updated_at = utcnow()
    db.session.commit()
    return rule


def delete_rule(workspace_id: int, rule_id: int) -> None:
    """Delete a rule; its schedules go with it."""
    rule = db.session.get(OutreachRule, rule_id)
    if rule is None or rule.workspace_id != workspace_id:
        raise NotFound("No such rule.")
    db.session.execute(
        update(MessageLog)
        .where(
            MessageLog.schedule_id.in_(
                select(MessageSchedule.id).where(MessageSchedule.rule_id == rule.id)
            )
        )
        .values(schedule_id=None)
    )
    db.session.execute(
        MessageSchedule.__table__.delete().where(MessageSchedule.rule_id == rule.id)
    )
    db.session.delete(rule)
    db.session.commit()


def render(template: str, sample: Sample | None, creator: Creator) -> str:
    """Fill {creator} {username} {product} {campaign} {status}; others stay."""
    values = {
        "creator": creator.name,
        "username": creator.username or "",
        "product": (sample.product.name or sample.product.platform_product_id)
        if sample
        else "",
        "campaign": (sample.campaign_name or "") if sample else "",
        "status": sample.status if sample else "",
    }
    return PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), template)


def _schedule_text(schedule: MessageSchedule) -> str:
    rule = schedule.rule
    template = rule.template
    if schedule.is_reminder and rule.reminder_template:
        template = rule.reminder_template
    return render(template, schedule.sample, schedule.creator)


# Publisher


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
    posted = _samples_with_content({s.sample_id for s in schedules})
    created = 0
    for schedule in schedules:
        reason = _skip_reason(schedule, posted)
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
                content=_schedule_text(schedule),
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


def _skip_reason(schedule: MessageSchedule, posted: set[int]) -> str | None:
    if schedule.is_reminder and schedule.sample_id in posted:
        return "The creator posted content for this sample."
    if not schedule.rule.active:
        return "The rule was switched off (status rule inactive)."
    if schedule.sample.status != schedule.rule.sample_status:
        return f"The sample moved to status {schedule.sample.status}."
    return None


def _samples_with_content(sample_ids: set[int]) -> set[int]:
    if not sample_ids:
        return set()
    return set(
        db.session.scalars(
            select(SampleContent.sample_id)
            .where(SampleContent.sample_id.in_(sample_ids))
            .distinct()
        )
    )


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
        _dispatch_job(ws, sorted(mids), now=now, title="Scheduled messages")
        for ws, mids in by_workspace.items()
    ]
    db.session.commit()
    return [b for job_id in job_ids for b in jobs.open_batches(job_id)]


def _dispatch_job(
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


# Chatbot messages


def queue_chat(
    workspace_id: int, items: list[ChatItem], *, now: datetime | None = None
) -> tuple[int, list[tuple[int, str]]]:
    """Queue the messages of each item for its creator; returns (messages, batches)."""
    now = now or utcnow()
    wanted = {item.platform_creator_id for item in items}
    creators = {}
    for creator in db.session.scalars(
        select(Creator)
        .where(
            Creator.workspace_id == workspace_id,
            Creator.platform_creator_id.in_(wanted),
        )
        .order_by(Creator.id)
    ):
        creators.setdefault(creator.platform_creator_id, creator)
    unknown = [
        {
            "row": index,
            "field": f"[{index}].platformCreatorId",
            "message": f"no creator {item.platform_creator_id} in this workspace",
        }
        for index, item in enumerate(items)
        if item.platform_creator_id not in creators
    ]
    if unknown:
        raise InvalidInput(
            f"{len(unknown)} unknown creator(s): post them to /creators/ingest first.",
            code="unknown_creator",
            details=unknown,
        )
    messages = [
        MessageLog(
            workspace_id=workspace_id,
            creator_id=creators[item.platform_creator_id].id,
            source="chatbot",
            type=m.type,
            content=m.content,
            meta=m.meta,
            sender=current_app.config["OUTREACH_SENDER_NAME"],
            status="queued",
            created_at=now,
            updated_at=now,
        )
        for item in items
        for m in item.messages
    ]
    db.session.add_all(messages)
    db.session.flush()
    job_id = _dispatch_job(
        workspace_id, [m.id for m in messages], now=now, title="Chatbot messages"
    )
    db.session.commit()
    return len(messages), jobs.open_batches(job_id)


# Dispatch


def dispatch_batch(run: jobs.Run) -> jobs.Result:
    """Send a batch's messages within caps and quiet hours; transient errors retry."""
    messages = db.session.scalars(
        select(MessageLog)
        .where(MessageLog.batch_id == run.batch.id, MessageLog.status == "queued")
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


def gate(message: MessageLog, now: datetime) -> tuple[datetime, str] | None:
    """(until, why) when quiet hours or a cap holds the message back, else None."""
    cfg = current_app.config
    quiet = quiet_until(now)
    if quiet is not None:
        return quiet, f"Quiet hours ({cfg['OUTREACH_QUIET_HOURS']}); sent after."
    for window, cap, label in (
        (timedelta(hours=1), cfg["OUTREACH_SENDER_HOURLY_CAP"], "hourly"),
        (timedelta(days=1), cfg["OUTREACH_SENDER_DAILY_CAP"], "daily"),
    ):
        until = _cap_until(MessageLog.sender == message.sender, window, cap, now)
        if until is not None:
            return until, f"The sender's {label} cap of {cap} messages is reached."
    if message.source != "schedule":
        return None  # a chatbot reply in a live conversation is never held back
    cap = cfg["OUTREACH_CREATOR_DAILY_CAP"]
    until = _cap_until(
        MessageLog.creator_id == message.creator_id, timedelta(days=1), cap, now
    )
    if until is not None:
        return until, f"This creator already got {cap} messages in 24 hours."
    return None


def _cap_until(scope, window: timedelta, cap: int, now: datetime) -> datetime | None:
    """When a slot frees up if `cap` messages of `scope` were sent within `window`."""
    if cap <= 0:
        return None
    recent = and_(scope, MessageLog.status == "sent", MessageLog.sent_at > now - window)
    count = db.session.scalar(
        select(func.count()).select_from(MessageLog).where(recent)
    )
    if count < cap:
        return None
    oldest = db.session.scalars(
        select(MessageLog.sent_at)
        .where(recent)
        .order_by(MessageLog.sent_at.desc())
        .offset(cap - 1)
        .limit(1)
    ).first()
    return (oldest or now) + window


def _quiet_window() -> tuple[time, time] | None:
    raw = (current_app.config["OUTREACH_QUIET_HOURS"] or "").strip()
    if not raw:
        return None
    try:
        start, end = (time.fromisoformat(p.strip()) for p in raw.split("-", 1))
    except ValueError as exc:
        raise InvalidInput(
            f"OUTREACH_QUIET_HOURS must look like 22:00-08:00, not {raw!r}."
        ) from exc
    return start, end


def quiet_until(now: datetime) -> datetime | None:
    """The end of the quiet-hours window (naive UTC) when `now` falls inside it."""
    window = _quiet_window()
    if window is None:
        return None
    start, end = window
    zone = ZoneInfo(current_app.config["OUTREACH_TIMEZONE"])
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start <= end:
        inside = start <= clock < end
    else:  # the window spans midnight
        inside = clock >= start or clock < end
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, tzinfo=zone)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


# Page queries


def search_creators(workspace_id: int, q: str = ""):
    """Creators of the workspace, newest first, matching name, username or id."""
    stmt = select(Creator).where(Creator.workspace_id == workspace_id)
    q = (q or "").strip()
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Creator.display_name).like(like),
                func.lower(Creator.username).like(like),
                func.lower(Creator.platform_creator_id).like(like),
                func.lower(Creator.email).like(like),
            )
        )
    return stmt.order_by(Creator.updated_at.desc(), Creator.id.desc())


def get_creator(workspace_id: int, creator_id: int) -> Creator:
    creator = db.session.get(Creator, creator_id)
    if creator is None or creator.workspace_id != workspace_id:
        raise NotFound("No such creator.")
    return creator


def creator_samples(creator: Creator) -> list[Sample]:
    return list(
        db.session.scalars(
            select(Sample)
            .where(Sample.creator_id == creator.id)
            .options(selectinload(Sample.product), selectinload(Sample.contents))
            .order_by(Sample.updated_at.desc())
        )
    )


def messages_query(
    workspace_id: int,
    *,
    status: str | None = None,
    creator_id: int | None = None,
    job_id: str | None = None,
):
    stmt = (
        select(MessageLog)
        .where(MessageLog.workspace_id == workspace_id)
        .options(selectinload(MessageLog.creator))
    )
    if status:
        stmt = stmt.where(MessageLog.status == status)
    if creator_id:
        stmt = stmt.where(MessageLog.creator_id == creator_id)
    if job_id:
        batches = select(JobBatch.id).where(JobBatch.job_id == job_id)
        stmt = stmt.where(
            or_(
                MessageLog.batch_id.in_(batches),
                MessageLog.id.in_(_ids_in_job(job_id)),
            )
        )
    return stmt.order_by(MessageLog.id.desc())


def _ids_in_job(job_id: str) -> list[int]:
    ids = []
    for params in db.session.scalars(
        select(JobBatch.params).where(JobBatch.job_id == job_id)
    ):
        ids.extend((params or {}).get("ids", []))
    return ids


def samples_query(
    workspace_id: int,
    *,
    status: str | None = None,
    campaign: str | None = None,
    region: str | None = None,
):
    stmt = (
        select(Sample)
        .where(Sample.workspace_id == workspace_id)
        .options(
            selectinload(Sample.product),
            selectinload(Sample.creator),
            selectinload(Sample.contents),
        )
    )
    if status:
        stmt = stmt.where(Sample.status == status)
    if campaign:
        stmt = stmt.where(
            or_(Sample.campaign_id == campaign, Sample.campaign_name == campaign)
        )
    if region:
        stmt = stmt.where(Sample.region == region.upper())
    return stmt.order_by(Sample.product_id, Sample.updated_at.desc())


def sample_facets(workspace_id: int) -> dict[str, list[str]]:
    """Distinct statuses, campaigns and regions, for the filter menus."""
    facets = {}
    for name, column in (
        ("statuses", Sample.status),
        ("campaigns", Sample.campaign_name),
        ("regions", Sample.region),
    ):
        facets[name] = [
            v
            for v in db.session.scalars(
                select(column)
                .where(Sample.workspace_id == workspace_id, column.is_not(None))
                .distinct()
                .order_by(column)
            )
        ]
    return facets


def tasks_query(workspace_id: int):
    return (
        select(OutreachTask)
        .where(OutreachTask.workspace_id == workspace_id)
        .order_by(OutreachTask.updated_at.desc())
    )


def get_task(workspace_id: int, task_id: int) -> OutreachTask:
    task = db.session.get(OutreachTask, task_id)
    if task is None or task.workspace_id != workspace_id:
        raise NotFound("No such outreach task.")
    return task


def schedules_query(workspace_id: int, *, status: str | None = None):
    stmt = (
        select(MessageSchedule)
        .where(MessageSchedule.workspace_id == workspace_id)
        .options(
            selectinload(MessageSchedule.creator),
            selectinload(MessageSchedule.rule),
            selectinload(MessageSchedule.sample).selectinload(Sample.product),
        )
    )
    if status:
        stmt = stmt.where(MessageSchedule.status == status)
    return stmt.order_by(MessageSchedule.due_at.desc(), MessageSchedule.id.desc())


@dataclass
class Planned:
    due_at: datetime
    creator: Creator
    kind: str  # first message | reminder N | chatbot | retry
    content: str
    note: str = ""


def upcoming(
    workspace_id: int, *, now: datetime | None = None, hours: int = 24
) -> list[Planned]:
    """Dry run: what would be sent in the next `hours`, and what would hold it back."""
    now = now or utcnow()
    horizon = now + timedelta(hours=hours)
    schedules = db.session.scalars(
        schedules_query(workspace_id, status="pending")
        .where(MessageSchedule.due_at <= horizon)
        .order_by(None)
        .order_by(MessageSchedule.due_at)
    ).all()
    posted = _samples_with_content({s.sample_id for s in schedules})
    planned = []
    for s in schedules:
        skip = _skip_reason(s, posted)
        kind = f"reminder {s.seq}" if s.is_reminder else "first message"
        planned.append(
            Planned(
                max(s.due_at, now),
                s.creator,
                kind,
                _schedule_text(s),
                f"Would be skipped: {skip}" if skip else "",
            )
        )
    pending = db.session.scalars(
        select(MessageLog)
        .where(
            MessageLog.workspace_id == workspace_id,
            MessageLog.status.in_(("pending", "queued")),
            or_(MessageLog.not_before.is_(None), MessageLog.not_before <= horizon),
        )
        .options(selectinload(MessageLog.creator))
    ).all()
    for m in pending:
        kind = "retry" if m.attempts else m.source
        due = max(m.not_before or now, now)
        planned.append(Planned(due, m.creator, kind, m.content, m.reason or ""))
    for item in planned:
        quiet = quiet_until(item.due_at)
        if quiet is not None and not item.note:
            item.note = f"Quiet hours: goes out at {quiet:%Y-%m-%d %H:%M} UTC."
    return sorted(planned, key=lambda p: p.due_at)


def counts(workspace_id: int) -> dict[str, int]:
    """Headline numbers for the outreach pages."""
    out = {}
    for name, model in (
        ("creators", Creator),
        ("products", Product),
        ("samples", Sample),
        ("tasks", OutreachTask),
    ):
        out[name] = db.session.scalar(
            select(func.count())
            .select_from(model)
            .where(model.workspace_id == workspace_id)
        )
    for status in ("pending", "queued", "sent", "failed"):
        out[f"messages_{status}"] = db.session.scalar(
            select(func.count())
            .select_from(MessageLog)
            .where(MessageLog.workspace_id == workspace_id, MessageLog.status == status)
        )
    return out


jobs.register(
    jobs.JobKind(
        name=KIND,
        label="Outreach dispatch",
        unit="messages",
        # Each message meets its own errors (deferred, retried, failed); only a
        # cost cap stops the batch.
        batches=(jobs.BatchKind(DISPATCH, dispatch_batch, jobs.Policy()),),
        page="outreach.messages",
        providers=("sender",),
    )
)
