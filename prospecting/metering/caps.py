"""Cost caps: a job's own and the workspace's daily, checked before a call is sent."""

from dataclasses import dataclass
from datetime import datetime
from datetime import time
from decimal import Decimal

from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select

from prospecting.metering.books import current_books
from prospecting.metering.books import reader
from prospecting.metering.prices import decimal
from prospecting.metering.prices import fmt
from prospecting.metering.prices import price
from prospecting.models import Job
from prospecting.models import ProviderCall
from prospecting.models import WorkspaceBudget
from prospecting.models.base import utcnow
from prospecting.providers.errors import ProviderCostCapReached

_JOB_CAPS = (
    select(Job.workspace_id, Job.params, WorkspaceBudget.daily_cap)
    .outerjoin(WorkspaceBudget, WorkspaceBudget.workspace_id == Job.workspace_id)
    .where(Job.id == bindparam("job_id"))
)


# What a job spent: its counter, kept with its call log (books).
_JOB_SPENT = select(Job.cost).where(Job.id == bindparam("spent_job_id"))


@dataclass(frozen=True)
class Caps:
    workspace_id: int
    job: Decimal  # 0 = no cap
    daily: Decimal  # 0 = no cap


def job_cap(params: dict | None) -> Decimal:
    """A job's cap from its params, else the configured default (0 = no cap)."""
    value = (params or {}).get("cost_cap")
    if value is None:
        value = current_app.config["COST_CAP_PER_JOB"]
    return decimal(value)


def own_or_default_daily_cap(own) -> Decimal:
    if own is not None:
        return decimal(own)
    return decimal(current_app.config["COST_CAP_DAILY"])


def _caps_of(job_id: str) -> Caps | None:
    book = current_books()
    if book is not None and job_id in book.caps:
        return book.caps[job_id]
    row = reader().execute(_JOB_CAPS, {"job_id": job_id}).first()
    caps = None
    if row is not None:
        caps = Caps(
            workspace_id=row.workspace_id,
            job=job_cap(row.params),
            daily=own_or_default_daily_cap(row.daily_cap),
        )
    if book is not None:
        book.caps[job_id] = caps
    return caps


def today_start() -> datetime:
    return datetime.combine(utcnow().date(), time.min)


def month_start() -> datetime:
    return datetime.combine(utcnow().date().replace(day=1), time.min)


def spent_since_stmt(workspace_id: int, since: datetime):
    """What the workspace's jobs spent since `since` (UTC)."""
    return (
        select(func.coalesce(func.sum(ProviderCall.cost), 0))
        .select_from(ProviderCall)
        .join(Job, Job.id == ProviderCall.job_id)
        .where(Job.workspace_id == workspace_id)
        .where(ProviderCall.created_at >= since)
    )


def spent_today_stmt(workspace_id: int):
    return spent_since_stmt(workspace_id, today_start())


def check_cap(job_id: str, provider: str, endpoint: str) -> None:
    """Raise ProviderCostCapReached when this call would pass the job's or day's cap.

    What was spent is read only when a cap is set (the job's counter; the day's
    calls are summed); calls this batch made and has not written yet count.
    """
    cost = price(provider, endpoint)
    if cost <= 0:
        return
    caps = _caps_of(job_id)
    if caps is None or (caps.job <= 0 and caps.daily <= 0):
        return
    book = current_books()
    read = reader()
    if caps.job > 0:
        spent = decimal(read.scalar(_JOB_SPENT, {"spent_job_id": job_id}))
        if book is not None:
            spent += book.unwritten_cost(job_id)
        if spent + cost > caps.job:
            raise ProviderCostCapReached(
                f"Paused: the job's cost cap of {fmt(caps.job)} is reached "
                f"(spent {fmt(spent)}). Raise the cap to resume.",
                scope="job",
                cap=caps.job,
                spent=spent,
            )
    if caps.daily > 0:
        spent = decimal(read.scalar(spent_today_stmt(caps.workspace_id)))
        if book is not None:
            spent += book.unwritten_cost()
        if spent + cost > caps.daily:
            raise ProviderCostCapReached(
                f"Paused: the workspace's daily cost cap of {fmt(caps.daily)} "
                f"is reached (spent {fmt(spent)} today). Raise it to resume, "
                "or resume tomorrow.",
                scope="daily",
                cap=caps.daily,
                spent=spent,
            )
