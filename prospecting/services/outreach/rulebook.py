"""Outreach rules, one per sample status, and the messages their templates make."""

import re
from datetime import datetime

from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import Creator
from prospecting.models import MessageLog
from prospecting.models import MessageSchedule
from prospecting.models import OutreachRule
from prospecting.models import Sample
from prospecting.models.base import utcnow
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.outreach.schedules import reminder_times
from prospecting.services.outreach.schedules import trigger_of
from prospecting.services.outreach.upserts import upsert_insert

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def rules(workspace_id: int) -> list[OutreachRule]:
    stmt = (
        select(OutreachRule)
        .where(OutreachRule.workspace_id == workspace_id)
        .order_by(OutreachRule.sample_status)
    )
    return list(db.session.scalars(stmt))


def get_rule(workspace_id: int, rule_id: int) -> OutreachRule:
    """One of the workspace's rules, else NotFound."""
    rule = db.session.get(OutreachRule, rule_id)
    if rule is None or rule.workspace_id != workspace_id:
        raise NotFound("No such rule.")
    return rule


def normalise_status(sample_status: str | None) -> str:
    """A status as samples carry it (crawled statuses are stored lower case)."""
    return (sample_status or "").strip().lower()


def _rule_for(workspace_id: int, status: str) -> OutreachRule | None:
    return db.session.scalar(
        select(OutreachRule).where(
            OutreachRule.workspace_id == workspace_id,
            OutreachRule.sample_status == status,
        )
    )


def _check(status: str, template: str, every: int, most: int) -> None:
    if not status or len(status) > 40:
        raise InvalidInput("A rule needs a sample status (up to 40 characters).")
    if not (template or "").strip():
        raise InvalidInput("A rule needs a message template.")
    if every < 0 or most < 0 or most > 50:
        raise InvalidInput("Reminders: every N ≥ 0 hours, up to 50 times.")
    if most and not every:
        raise InvalidInput("Say how many hours apart the reminders are.")


def save_rule(
    workspace_id: int,
    *,
    sample_status: str,
    template: str,
    reminder_template: str | None = None,
    reminder_every_hours: int = 0,
    reminder_max: int = 0,
    active: bool = True,
    rule_id: int | None = None,
    replace: bool = True,
    apply_to_existing: bool = False,
) -> OutreachRule:
    """Create a rule for a sample status (replacing that status's rule, unless
    `replace` is off), or edit rule `rule_id`. With `apply_to_existing`, the samples
    already in the status are scheduled too (see schedule_existing); otherwise only
    samples that move to the status from now on are."""
    status = normalise_status(sample_status)
    _check(status, template, reminder_every_hours, reminder_max)
    same_status = _rule_for(workspace_id, status)
    if rule_id is not None:
        rule = get_rule(workspace_id, rule_id)
        if same_status is not None and same_status.id != rule.id:
            raise Conflict(
                f"The status {status} has its own rule already: edit that one.",
                code="rule_exists",
            )
        if rule.sample_status != status:
            _cancel_pending_of(rule, f"The rule now applies to status {status}.")
    elif same_status is not None and not replace:
        raise Conflict(
            f"The status {status} has a rule already: edit it instead.",
            code="rule_exists",
        )
    else:
        rule = same_status
    if rule is None:
        rule = OutreachRule(workspace_id=workspace_id, sample_status=status)
        db.session.add(rule)
    rule.sample_status = status
    rule.template = template.strip()
    rule.reminder_template = (reminder_template or "").strip() or None
    rule.reminder_every_hours = reminder_every_hours
    rule.reminder_max = reminder_max if reminder_every_hours else 0
    rule.active = active
    rule.updated_at = utcnow()
    db.session.flush()
    if apply_to_existing and active:
        schedule_existing(rule, now=utcnow())
    db.session.commit()
    return rule


def _cancel_pending_of(rule: OutreachRule, reason: str) -> None:
    db.session.execute(
        update(MessageSchedule)
        .where(MessageSchedule.rule_id == rule.id, MessageSchedule.status == "pending")
        .values(status="cancelled", reason=reason, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def status_counts(workspace_id: int) -> dict[str, int]:
    """How many of the workspace's samples are in each status seen, most first."""
    rows = db.session.execute(
        select(Sample.status, func.count())
        .where(Sample.workspace_id == workspace_id)
        .group_by(Sample.status)
        .order_by(func.count().desc(), Sample.status)
    ).all()
    return {status: count for status, count in rows}


def _unscheduled(workspace_id: int, status: str, rule_id: int | None):
    """Samples in the status that the rule has not scheduled since they entered it."""
    stmt = select(Sample.id, Sample.creator_id, Sample.status_changed_at).where(
        Sample.workspace_id == workspace_id, Sample.status == status
    )
    if rule_id is not None:
        stmt = stmt.where(
            ~exists().where(
                MessageSchedule.sample_id == Sample.id,
                MessageSchedule.rule_id == rule_id,
                MessageSchedule.created_at >= Sample.status_changed_at,
            )
        )
    return stmt


def reach(workspace_id: int, sample_status: str, rule_id: int | None = None) -> int:
    """How many samples already in the status the rule would schedule if applied
    to them now (those it has not scheduled since they entered the status)."""
    status = normalise_status(sample_status)
    if not status:
        return 0
    stmt = _unscheduled(workspace_id, status, rule_id).subquery()
    return db.session.scalar(select(func.count()).select_from(stmt))


def schedule_existing(rule: OutreachRule, *, now: datetime) -> int:
    """Schedule the rule's message (now) and reminders for the samples already in
    its status that it has not scheduled since they entered it. Their trigger is
    the moment they entered the status, as ingestion would have made it, so doing
    it twice schedules nothing twice. The caller commits; returns the samples."""
    rows = db.session.execute(
        _unscheduled(rule.workspace_id, rule.sample_status, rule.id)
    ).all()
    times = reminder_times(rule, now)
    planned = [
        {
            "workspace_id": rule.workspace_id,
            "rule_id": rule.id,
            "sample_id": sample_id,
            "creator_id": creator_id,
            "trigger": trigger_of(rule.sample_status, changed_at),
            "seq": seq,
            "due_at": due,
            "status": "pending",
            "created_at": now,
            "updated_at": now,
        }
        for sample_id, creator_id, changed_at in rows
        for seq, due in enumerate(times)
    ]
    for start in range(0, len(planned), 500):
        stmt = upsert_insert()(MessageSchedule).values(planned[start : start + 500])
        db.session.execute(
            stmt.on_conflict_do_nothing(
                index_elements=["sample_id", "rule_id", "trigger", "seq"]
            )
        )
    return len(rows)


def pending_of(rule: OutreachRule) -> int:
    """How many of the rule's messages and reminders are still to be sent."""
    return db.session.scalar(
        select(func.count())
        .select_from(MessageSchedule)
        .where(MessageSchedule.rule_id == rule.id, MessageSchedule.status == "pending")
    )


def delete_rule(workspace_id: int, rule_id: int) -> None:
    """Delete a rule; its schedules go with it."""
    rule = get_rule(workspace_id, rule_id)
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


def schedule_text(schedule: MessageSchedule) -> str:
    rule = schedule.rule
    template = rule.template
    if schedule.is_reminder and rule.reminder_template:
        template = rule.reminder_template
    return render(template, schedule.sample, schedule.creator)
