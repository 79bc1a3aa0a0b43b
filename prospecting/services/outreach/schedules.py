"""Message schedules: planned when a sample's status changes, cancelled when it
moves on, reminders skipped once the creator posts."""

from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import MessageSchedule
from prospecting.models import OutreachRule
from prospecting.models import Sample
from prospecting.models import SampleContent
from prospecting.models.base import utcnow
from prospecting.services.outreach.upserts import upsert_insert


def plan_schedules(workspace_id: int, sample_ids: set[int], *, now: datetime) -> int:
    """Schedule the rule's message and reminders for samples whose status changed.

    Pending messages planned for an earlier status are cancelled. The caller commits.
    """
    if not sample_ids:
        return 0
    rules = {
        r.sample_status: r
        for r in db.session.scalars(
            select(OutreachRule).where(
                OutreachRule.workspace_id == workspace_id, OutreachRule.active
            )
        )
    }
    rows = db.session.execute(
        select(Sample.id, Sample.creator_id, Sample.status).where(
            Sample.id.in_(sample_ids)
        )
    ).all()
    planned = []
    for sample_id, creator_id, status in rows:
        _cancel_pending(sample_id, keep_status=status)
        rule = rules.get(status)
        if rule is None:
            continue
        trigger = trigger_of(status, now)
        for seq, due in enumerate(reminder_times(rule, now)):
            planned.append(
                {
                    "workspace_id": workspace_id,
                    "rule_id": rule.id,
                    "sample_id": sample_id,
                    "creator_id": creator_id,
                    "trigger": trigger,
                    "seq": seq,
                    "due_at": due,
                    "status": "pending",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if planned:
        stmt = upsert_insert()(MessageSchedule).values(planned)
        db.session.execute(
            stmt.on_conflict_do_nothing(
                index_elements=["sample_id", "rule_id", "trigger", "seq"]
            )
        )
    return len(planned)


def trigger_of(status: str, entered_at: datetime) -> str:
    """What a schedule was planned for: a sample entering a status at a moment
    (one message and its reminders per rule and trigger)."""
    return f"{status}@{entered_at.isoformat(timespec='seconds')}"[:80]


def reminder_times(rule: OutreachRule, start: datetime) -> list[datetime]:
    """When the rule's first message and each reminder fall due."""
    times = [start]
    if rule.reminder_every_hours > 0:
        times += [
            start + timedelta(hours=rule.reminder_every_hours * n)
            for n in range(1, rule.reminder_max + 1)
        ]
    return times


def _cancel_pending(sample_id: int, *, keep_status: str) -> None:
    stale_rules = select(OutreachRule.id).where(
        OutreachRule.sample_status != keep_status
    )
    db.session.execute(
        update(MessageSchedule)
        .where(
            MessageSchedule.sample_id == sample_id,
            MessageSchedule.status == "pending",
            MessageSchedule.rule_id.in_(stale_rules),
        )
        .values(
            status="cancelled",
            reason=f"The sample moved to status {keep_status}.",
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def stop_reminders(sample_ids: set[int]) -> int:
    """Skip the pending reminders of samples whose creator has posted content."""
    if not sample_ids:
        return 0
    result = db.session.execute(
        update(MessageSchedule)
        .where(
            MessageSchedule.sample_id.in_(sample_ids),
            MessageSchedule.status == "pending",
            MessageSchedule.seq > 0,
        )
        .values(
            status="skipped",
            reason="The creator posted content for this sample.",
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def skip_reason(schedule: MessageSchedule, posted: set[int]) -> str | None:
    """Why a due schedule no longer goes out (`posted`: samples with content)."""
    if schedule.is_reminder and schedule.sample_id in posted:
        return "The creator posted content for this sample."
    if not schedule.rule.active:
        return "The rule was switched off (status rule inactive)."
    if schedule.sample.status != schedule.rule.sample_status:
        return f"The sample moved to status {schedule.sample.status}."
    return None


def samples_with_content(sample_ids: set[int]) -> set[int]:
    """The samples, among these, whose creator has posted content."""
    if not sample_ids:
        return set()
    return set(
        db.session.scalars(
            select(SampleContent.sample_id)
            .where(SampleContent.sample_id.in_(sample_ids))
            .distinct()
        )
    )
