"""Maintenance from the CLI: purging old finished jobs (provider checks live in
provider_checks)."""

import re
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models.base import utcnow
from prospecting.models.jobs import TERMINAL_JOB_STATUSES
from prospecting.services.errors import InvalidInput

AGE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
AGE_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_age(value: str) -> timedelta:
    """'30d', '12h' or '90m' as a timedelta; InvalidInput otherwise."""
    match = AGE.match(value or "")
    if not match or int(match.group(1)) <= 0:
        raise InvalidInput(
            f"'{value}' is not an age: use a positive number with d, h or m "
            "(e.g. 30d, 12h, 90m)."
        )
    return timedelta(**{AGE_UNITS[match.group(2)]: int(match.group(1))})


def purge_jobs(older_than: timedelta, *, dry_run: bool = False) -> int:
    """Delete finished jobs older than the age, with their enrichment rows and
    pages (which carry no foreign key, see EnrichmentRow); other rows go by the FK
    cascade."""
    cutoff = utcnow() - older_than
    finished = Job.status.in_(TERMINAL_JOB_STATUSES) & (
        func.coalesce(Job.completed_at, Job.created_at) < cutoff
    )
    ids = list(db.session.scalars(select(Job.id).where(finished)))
    if dry_run or not ids:
        return len(ids)
    db.session.execute(delete(EnrichmentRow).where(EnrichmentRow.job_id.in_(ids)))
    db.session.execute(delete(EnrichmentPage).where(EnrichmentPage.job_id.in_(ids)))
    db.session.execute(delete(Job).where(Job.id.in_(ids)))
    db.session.commit()
    return len(ids)
