"""What the outreach pages show: creators, samples, tasks, schedules, messages,
the dry run of what goes out next, and the headline counts."""

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from prospecting.extensions import db
from prospecting.models import Creator
from prospecting.models import JobBatch
from prospecting.models import MessageLog
from prospecting.models import MessageSchedule
from prospecting.models import OutreachTask
from prospecting.models import Product
from prospecting.models import Sample
from prospecting.models.base import utcnow
from prospecting.services.errors import NotFound
from prospecting.services.outreach.caps import quiet_until
from prospecting.services.outreach.rulebook import schedule_text
from prospecting.services.outreach.schedules import samples_with_content
from prospecting.services.outreach.schedules import skip_reason


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
    posted = samples_with_content({s.sample_id for s in schedules})
    planned = []
    for s in schedules:
        skip = skip_reason(s, posted)
        kind = f"reminder {s.seq}" if s.is_reminder else "first message"
        planned.append(
            Planned(
                max(s.due_at, now),
                s.creator,
                kind,
                schedule_text(s),
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
