"""Outreach rules, one per sample status, and the messages their templates make."""

import re

from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import Creator
from prospecting.models import MessageLog
from prospecting.models import MessageSchedule
from prospecting.models import OutreachRule
from prospecting.models import Sample
from prospecting.models.base import utcnow
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

PLACEHOLDER = re.compile(r"\{(\w+)\}")


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


def schedule_text(schedule: MessageSchedule) -> str:
    rule = schedule.rule
    template = rule.template
    if schedule.is_reminder and rule.reminder_template:
        template = rule.reminder_template
    return render(template, schedule.sample, schedule.creator)
