"""What holds a message back: quiet hours, the sender's caps and the creator's cap."""

from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import MessageLog
from prospecting.services.errors import InvalidInput


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
