"""The cost ledger for people: cost per job, spend per day, caps, estimates and
resuming after a cap. Prices, attribution and the cap check live in
prospecting.metering, below the provider clients."""

from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation

from sqlalchemy import select

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import WorkspaceBudget
from prospecting.models.base import utcnow
from prospecting.services.errors import InvalidInput

ZERO = metering.ZERO
MAX_CAP = Decimal("1000000")
fmt = metering.fmt


@dataclass
class JobCost:
    cost: Decimal
    calls: int
    cache_hits: int


def job_cost(job_id: str) -> JobCost:
    """Cost so far, charged calls and cache hits of a job: its row's counters."""
    row = db.session.execute(
        select(Job.cost, Job.call_count, Job.cache_hit_count).where(Job.id == job_id)
    ).first()
    if row is None:
        return JobCost(cost=ZERO, calls=0, cache_hits=0)
    return JobCost(cost=metering.decimal(row[0]), calls=row[1], cache_hits=row[2])


def cost_of(job: Job) -> JobCost:
    """The same, for a loaded job (no query)."""
    return JobCost(
        cost=metering.decimal(job.cost or 0),
        calls=job.call_count or 0,
        cache_hits=job.cache_hit_count or 0,
    )


def spent_today(workspace_id: int) -> Decimal:
    """What the workspace's jobs spent since midnight UTC."""
    return metering.decimal(db.session.scalar(metering.spent_today_stmt(workspace_id)))


# Caps


def daily_cap(workspace_id: int) -> Decimal:
    """The workspace's daily cap: its own setting, else the configured default."""
    own = db.session.scalar(
        select(WorkspaceBudget.daily_cap).where(
            WorkspaceBudget.workspace_id == workspace_id
        )
    )
    return metering.own_or_default_daily_cap(own)


def set_daily_cap(workspace_id: int, cap) -> None:
    """Set (or with 0, remove) the workspace's own daily cap; commits."""
    value = parse_cap(cap)
    budget = db.session.get(WorkspaceBudget, workspace_id)
    if budget is None:
        budget = WorkspaceBudget(workspace_id=workspace_id)
        db.session.add(budget)
    budget.daily_cap = value
    budget.updated_at = utcnow()
    db.session.commit()


def parse_cap(value) -> Decimal:
    """A cap typed by a user: a number >= 0 (0 or blank = no cap), else InvalidInput."""
    if value is None or str(value).strip() == "":
        return ZERO
    try:
        cap = Decimal(str(value).strip())
    except InvalidOperation:
        cap = None
    if cap is None or not cap.is_finite() or cap < 0 or cap > MAX_CAP:
        raise InvalidInput(
            f"A cost cap must be a number from 0 (no cap) to {MAX_CAP:,}.",
            code="bad_cost_cap",
        )
    return cap


# Estimates


@dataclass
class Estimate:
    lines: list[dict]  # {"label", "calls", "price", "cached", "cost"}
    total: Decimal

    @property
    def text(self) -> str:
        return fmt(self.total)


def estimate(lines: list[tuple[str, str, str, int, int]]) -> Estimate:
    """Cost of (label, provider, endpoint, calls, expected cache hits) lines."""
    out, total = [], ZERO
    for label, provider, endpoint, calls, cached in lines:
        each = metering.price(provider, endpoint)
        paid = max(0, calls - cached)
        cost = each * paid
        total += cost
        out.append(
            {"label": label, "calls": calls, "cached": cached, "price": each,
             "cost": cost}
        )  # fmt: skip
    return Estimate(lines=out, total=total)


# Resuming after a cap


def resume_job(workspace_id: int, job_id: str, *, cap=None, daily=None):
    """Raise the caps as asked, check they leave room, and resume the paused job."""
    from prospecting.services import jobs

    job = jobs.get(workspace_id, job_id)
    new_job_cap = None if cap in (None, "") else parse_cap(cap)
    new_daily_cap = None if daily in (None, "") else parse_cap(daily)
    if job.status != "paused":
        return jobs.resume(workspace_id, job_id)  # raises Conflict with the status
    limit = new_job_cap if new_job_cap is not None else metering.job_cap(job.params)
    spent = job_cost(job.id).cost
    if limit > 0 and spent >= limit:
        raise InvalidInput(
            f"The job has spent {fmt(spent)}: set its cap above that (or 0 for no "
            "cap) to resume.",
            code="cap_too_low",
        )
    day = new_daily_cap if new_daily_cap is not None else daily_cap(workspace_id)
    today = spent_today(workspace_id)
    if day > 0 and today >= day:
        raise InvalidInput(
            f"The workspace has spent {fmt(today)} today: set the daily cap above "
            "that (or 0 for no cap) to resume, or resume tomorrow.",
            code="daily_cap_too_low",
        )
    if new_daily_cap is not None:
        set_daily_cap(workspace_id, new_daily_cap)
    params = None if new_job_cap is None else {"cost_cap": str(new_job_cap)}
    return jobs.resume(workspace_id, job_id, params=params)


def set_job_cap(job_id: str, cap: Decimal) -> None:
    """Store a job's cost cap in its params (before it is enqueued); commits."""
    job = db.session.get(Job, job_id)
    job.params = {**job.params, "cost_cap": str(cap)}
    db.session.commit()


def people_search_estimate() -> Estimate:
    """One submit plus its status polls (priced per call, whatever the count)."""
    return estimate(
        [
            ("Search submit", "reachstream", "async/records/filter/data", 1, 0),
            ("Result download", "reachstream", "records/batch-process", 1, 0),
        ]
    )


def prospect_search_estimate(pages: int) -> Estimate:
    """Result pages × page price."""
    return estimate([("Result pages", "unipile", "linkedin/search", pages, 0)])
