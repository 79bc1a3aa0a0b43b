"""The cost ledger: prices per provider call, cost per job, caps and estimates."""

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from datetime import time
from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation

from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

from prospecting.connections import autocommit
from prospecting.extensions import db
from prospecting.models import CacheHit
from prospecting.models import Job
from prospecting.models import ProviderCall
from prospecting.models import WorkspaceBudget
from prospecting.models.base import utcnow
from prospecting.providers.errors import ProviderCostCapReached
from prospecting.services.errors import InvalidInput

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
MAX_CAP = Decimal("1000000")


def price(provider: str, endpoint: str) -> Decimal:
    """The configured price of one call, in credits (0 when not priced)."""
    prices = current_app.config["PROVIDER_PRICES"].get(provider) or {}
    return _decimal(prices.get(endpoint, 0))


def charge(provider: str, endpoint: str, status: int | None) -> Decimal:
    """What an answered call costs: only 2xx answers are charged."""
    if status is None or not 200 <= status < 300:
        return ZERO
    return price(provider, endpoint)


def _decimal(value) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return ZERO


def unit() -> str:
    return current_app.config["COST_UNIT"]


def fmt(amount) -> str:
    """An amount for people: up to 4 decimals, trailing zeros dropped."""
    value = _decimal(amount).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    text = f"{value:f}".rstrip("0").rstrip(".")
    return f"{text or '0'} {unit()}"


# Recording


_INSERT_CACHE_HIT = insert(CacheHit)


def record_cache_hit(provider: str, endpoint: str, job_id: str | None = None) -> None:
    """Count a cached answer as a zero-cost entry of the current job."""
    if job_id is None:
        from prospecting.providers.http import current_job

        job_id = current_job()
    try:
        with autocommit() as conn:
            conn.execute(
                _INSERT_CACHE_HIT,
                {
                    "provider": provider,
                    "endpoint": endpoint,
                    "job_id": job_id,
                    "created_at": utcnow(),
                },
            )
    except Exception:  # the ledger must never fail the work it describes
        logger.exception("could not record a cache hit")


@dataclass
class JobCost:
    cost: Decimal
    calls: int
    cache_hits: int


def job_cost(job_id: str) -> JobCost:
    """Cost so far, charged calls and cache hits of a job (two indexed aggregates)."""
    cost, calls = db.session.execute(
        select(func.coalesce(func.sum(ProviderCall.cost), 0), func.count()).where(
            ProviderCall.job_id == job_id
        )
    ).one()
    hits = db.session.scalar(
        select(func.count()).select_from(CacheHit).where(CacheHit.job_id == job_id)
    )
    return JobCost(cost=_decimal(cost), calls=calls, cache_hits=hits or 0)


def _today_start() -> datetime:
    return datetime.combine(utcnow().date(), time.min)


def spent_today(workspace_id: int, *, conn=None) -> Decimal:
    """What the workspace's jobs spent since midnight UTC."""
    stmt = (
        select(func.coalesce(func.sum(ProviderCall.cost), 0))
        .select_from(ProviderCall)
        .join(Job, Job.id == ProviderCall.job_id)
        .where(Job.workspace_id == workspace_id)
        .where(ProviderCall.created_at >= _today_start())
    )
    executor = conn if conn is not None else db.session
    return _decimal(executor.scalar(stmt))


# Caps


def daily_cap(workspace_id: int) -> Decimal:
    """The workspace's daily cap: its own setting, else the configured default."""
    own = db.session.scalar(
        select(WorkspaceBudget.daily_cap).where(
            WorkspaceBudget.workspace_id == workspace_id
        )
    )
    return _own_or_default_daily_cap(own)


def _own_or_default_daily_cap(own) -> Decimal:
    if own is not None:
        return _decimal(own)
    return _decimal(current_app.config["COST_CAP_DAILY"])


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


def job_cap(params: dict | None) -> Decimal:
    """A job's cap from its params, else the configured default (0 = no cap)."""
    value = (params or {}).get("cost_cap")
    if value is None:
        value = current_app.config["COST_CAP_PER_JOB"]
    return _decimal(value)


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


# A job's workspace and params with the workspace's own daily cap, in one query.
_JOB_CAPS = (
    select(Job.workspace_id, Job.params, WorkspaceBudget.daily_cap)
    .outerjoin(WorkspaceBudget, WorkspaceBudget.workspace_id == Job.workspace_id)
    .where(Job.id == bindparam("job_id"))
)


@dataclass(frozen=True)
class Caps:
    workspace_id: int
    job: Decimal  # 0 = no cap
    daily: Decimal  # 0 = no cap


# Caps read inside the current job context (a batch): each job's once, so a batch
# with no cap set asks the database nothing per call; a cap changed while a batch
# runs applies from the job's next batch.
_caps_read: contextvars.ContextVar[dict[str, Caps | None] | None] = (
    contextvars.ContextVar("caps_read", default=None)
)


@contextlib.contextmanager
def caps_read_once() -> Iterator[None]:
    """Read each job's caps once within the block (see `check_cap`)."""
    token = _caps_read.set({})
    try:
        yield
    finally:
        _caps_read.reset(token)


def _caps_of(job_id: str) -> Caps | None:
    memo = _caps_read.get()
    if memo is not None and job_id in memo:
        return memo[job_id]
    with autocommit() as conn:
        row = conn.execute(_JOB_CAPS, {"job_id": job_id}).first()
    caps = None
    if row is not None:
        caps = Caps(
            workspace_id=row.workspace_id,
            job=job_cap(row.params),
            daily=_own_or_default_daily_cap(row.daily_cap),
        )
    if memo is not None:
        memo[job_id] = caps
    return caps


def check_cap(job_id: str, provider: str, endpoint: str) -> None:
    """Raise ProviderCostCapReached when this call would pass the job's or day's cap.

    Reads on its own connection so it never flushes or joins the caller's work;
    what was spent is summed only when a cap is set.
    """
    cost = price(provider, endpoint)
    if cost <= 0:
        return
    caps = _caps_of(job_id)
    if caps is None or (caps.job <= 0 and caps.daily <= 0):
        return
    with autocommit() as conn:
        if caps.job > 0:
            spent = _decimal(
                conn.scalar(
                    select(func.coalesce(func.sum(ProviderCall.cost), 0)).where(
                        ProviderCall.job_id == job_id
                    )
                )
            )
            if spent + cost > caps.job:
                raise ProviderCostCapReached(
                    f"Paused: the job's cost cap of {fmt(caps.job)} is reached "
                    f"(spent {fmt(spent)}). Raise the cap to resume.",
                    scope="job",
                    cap=caps.job,
                    spent=spent,
                )
        if caps.daily > 0:
            spent = spent_today(caps.workspace_id, conn=conn)
            if spent + cost > caps.daily:
                raise ProviderCostCapReached(
                    f"Paused: the workspace's daily cost cap of {fmt(caps.daily)} "
                    f"is reached (spent {fmt(spent)} today). Raise it to resume, "
                    "or resume tomorrow.",
                    scope="daily",
                    cap=caps.daily,
                    spent=spent,
                )


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
        each = price(provider, endpoint)
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
    limit = new_job_cap if new_job_cap is not None else job_cap(job.params)
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
