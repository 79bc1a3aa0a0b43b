"""Where a workspace stands, for the home page: what it spent against its caps,
what runs, how its jobs ended, its contacts, and what to do next."""

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import AirtableSettings
from prospecting.models import ApiToken
from prospecting.models import Contact
from prospecting.models import ContactEmail
from prospecting.models import Creator
from prospecting.models import Job
from prospecting.models import LinkedInAccount
from prospecting.models.base import utcnow
from prospecting.services import ledger
from prospecting.services.jobs import outcomes
from prospecting.services.jobs.outcomes import JobOutcome

ACTIVE = ("queued", "running", "paused")
VERDICTS = ("valid", "risky", "invalid", "unknown", "not verified", "no email")
RUNNING_SHOWN = 5
RECENT_SHOWN = 10
OUTCOME_DAYS = 30


@dataclass(frozen=True)
class Spend:
    today: Decimal
    month: Decimal
    daily_cap: Decimal  # 0 = no cap

    @property
    def daily_percent(self) -> int | None:
        if self.daily_cap <= 0:
            return None
        return min(100, int(100 * self.today / self.daily_cap))


@dataclass(frozen=True)
class Overview:
    spend: Spend
    running: list[Job]
    recent: list[Job]
    outcomes: list[tuple[JobOutcome, int]]
    contacts: int
    verdicts: dict[str, int]
    steps: list[str] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return not self.recent and not self.contacts


def overview(workspace_id: int) -> Overview:
    """Everything the home page shows, read in a handful of aggregate queries."""
    contacts = db.session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(Contact.workspace_id == workspace_id)
    )
    recent = _jobs(workspace_id, limit=RECENT_SHOWN)
    return Overview(
        spend=spend(workspace_id),
        running=_jobs(workspace_id, statuses=ACTIVE, limit=RUNNING_SHOWN),
        recent=recent,
        outcomes=outcome_counts(workspace_id),
        contacts=contacts or 0,
        verdicts=contacts_by_verdict(workspace_id),
        steps=next_steps(workspace_id, has_jobs=bool(recent)),
    )


def spend(workspace_id: int) -> Spend:
    """Credits spent today and this month (UTC), and the daily cap."""
    month = db.session.scalar(
        metering.spent_since_stmt(workspace_id, metering.month_start())
    )
    return Spend(
        today=ledger.spent_today(workspace_id),
        month=metering.decimal(month),
        daily_cap=ledger.daily_cap(workspace_id),
    )


def _jobs(workspace_id: int, *, statuses=None, limit: int) -> list[Job]:
    stmt = select(Job).where(Job.workspace_id == workspace_id)
    if statuses:
        stmt = stmt.where(Job.status.in_(statuses))
    return list(db.session.scalars(stmt.order_by(Job.created_at.desc()).limit(limit)))


def outcome_counts(
    workspace_id: int, *, days: int = OUTCOME_DAYS
) -> list[tuple[JobOutcome, int]]:
    """Jobs of the last `days` days by outcome (services/jobs/outcomes.py), in the
    outcomes' order; an outcome no job had is left out."""
    since = utcnow() - timedelta(days=days)
    some_ok = case((Job.success_count > 0, 1), else_=0)
    some_failed = case((Job.failed_count > 0, 1), else_=0)
    rows = db.session.execute(
        select(Job.status, some_ok, some_failed, func.count())
        .where(Job.workspace_id == workspace_id, Job.created_at >= since)
        .group_by(Job.status, some_ok, some_failed)
    )
    counts: dict[str, tuple[JobOutcome, int]] = {}
    for status, ok, failed, n in rows:
        outcome = outcomes.outcome_of(status, ok, failed)
        seen = counts.get(outcome.key, (outcome, 0))[1]
        # The note (how many failed) belongs to one job, not to the group.
        counts[outcome.key] = (replace(outcome, note=None), seen + n)
    order = {key: i for i, key in enumerate(outcomes.OUTCOMES)}
    return sorted(counts.values(), key=lambda item: order.get(item[0].key, len(order)))


def contacts_by_verdict(workspace_id: int) -> dict[str, int]:
    """Contacts by the verifier's verdict on their primary email (an email never
    verified counts as "not verified")."""
    verdict = func.coalesce(ContactEmail.verdict, "not verified")
    stmt = (
        select(verdict, func.count())
        .select_from(ContactEmail)
        .where(
            ContactEmail.workspace_id == workspace_id,
            ContactEmail.is_primary.is_(True),
        )
        .group_by(verdict)
    )
    counts = {key: n for key, n in db.session.execute(stmt) if n}
    no_email = db.session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(Contact.workspace_id == workspace_id, Contact.email.is_(None))
    )
    if no_email:
        counts["no email"] = no_email
    order = {key: i for i, key in enumerate(VERDICTS)}
    return dict(sorted(counts.items(), key=lambda kv: order.get(kv[0], len(order))))


def next_steps(workspace_id: int, *, has_jobs: bool) -> list[str]:
    """What a workspace has not done yet, first things first: the keys of the
    home page's "next step" list."""
    steps = []
    if not has_jobs:
        steps.append("enrich")

    def missing(model) -> bool:
        return not db.session.scalar(
            select(func.count())
            .select_from(model)
            .where(model.workspace_id == workspace_id)
        )

    if missing(LinkedInAccount):
        steps.append("linkedin")
    if missing(AirtableSettings):
        steps.append("airtable")
    if missing(ApiToken):
        steps.append("token")
    elif missing(Creator):
        steps.append("crawlers")
    return steps
