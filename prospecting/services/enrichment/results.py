"""A job's results: counts by status and pages of its rows, in row order, filtered
by status, email verdict and email flag."""

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from itertools import islice
from operator import attrgetter

from sqlalchemy import Text
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.sql.elements import ColumnElement

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models.enrichment import PROCESSED
from prospecting.models.enrichment import ROW_STATUSES
from prospecting.services import jobs
from prospecting.services.enrichment.rows import with_fields
from prospecting.services.errors import InvalidInput

VERDICTS = ("valid", "risky", "invalid", "unknown")
# The verifier's flags a user filters on (providers/emails.py); "catch-all" and
# "free mail" as people write them are accepted too.
FLAGS = ("catch_all", "role", "disposable", "free_provider")
_FLAG_ALIASES = {"catch-all": "catch_all", "free_mail": "free_provider"}


@dataclass(frozen=True)
class RowFilter:
    """Which rows of a job to show or export: a status, a verdict, a flag (each
    optional, all of them when given)."""

    status: str | None = None
    verdict: str | None = None
    flag: str | None = None

    @property
    def by_email(self) -> bool:
        return bool(self.verdict or self.flag)

    def as_args(self, **changes: str | None) -> dict[str, str]:
        """The filter as URL query arguments (the ones set), with `changes`."""
        return {k: v for k, v in {**self.__dict__, **changes}.items() if v}


def row_filter(
    status: str | None = None,
    verdict: str | None = None,
    flag: str | None = None,
    *,
    strict: bool = True,
) -> RowFilter:
    """A RowFilter from query arguments; an unknown value is InvalidInput naming
    its field (or, with strict=False, as if not given)."""
    flag = _FLAG_ALIASES.get(flag or "", flag)
    values = {}
    for name, value, allowed in (
        ("status", status, ROW_STATUSES),
        ("verdict", verdict, VERDICTS),
        ("flag", flag, FLAGS),
    ):
        if value and value not in allowed:
            if strict:
                raise InvalidInput(
                    f"{name} must be one of {', '.join(allowed)}.",
                    code=f"bad_{name}",
                    details={"field": name},
                )
            value = None
        values[name] = value or None
    return RowFilter(**values)


def as_stored(job: Job, where: RowFilter) -> RowFilter:
    """The filter on the rows as stored: a cancelled job's never-worked rows are
    kept as pending, and are what its "cancelled" tab shows (its "pending" tab
    none), as its counts say (jobs.counts)."""
    if job.status != "cancelled" or where.status not in ("pending", "cancelled"):
        return where
    swapped = "pending" if where.status == "cancelled" else "cancelled"
    return replace(where, status=swapped)


def status_counts(job_id: str) -> dict[str, int]:
    """The job's rows by status, from the counts its row keeps (jobs.counts): no
    count of its rows, however many it has."""
    job = db.session.get(Job, job_id)
    return {} if job is None else jobs.counts(job).by_status()


def _rows_in_pages(job_id: str) -> int:
    return db.session.scalar(
        select(
            func.coalesce(
                func.sum(EnrichmentPage.last_row - EnrichmentPage.first_row + 1), 0
            )
        ).where(EnrichmentPage.job_id == job_id)
    )


def results_after(
    job: Job,
    *,
    status: str | None = None,
    after: int = 0,
    limit: int = 50,
    where: RowFilter | None = None,
) -> list[EnrichmentRow]:
    """Rows after a row number (keyset pagination), optionally of one status (or
    of a RowFilter); rows still in pages come as unsaved pending rows, in row
    order with the rest."""
    where = as_stored(job, where or RowFilter(status=status))
    status = where.status
    stmt = select(EnrichmentRow).where(
        EnrichmentRow.job_id == job.id, EnrichmentRow.row_number > after
    )
    if status or where.by_email:
        stmt = stmt.where(*_matching(where))
    else:
        # Row numbers are dense 1..N across rows and pages, so the next `limit`
        # are within this bound, which keeps the scan short whatever the
        # planner's statistics say.
        stmt = stmt.where(EnrichmentRow.row_number <= after + limit)
    rows = list(
        db.session.scalars(stmt.order_by(EnrichmentRow.row_number).limit(limit))
    )
    if status in (None, "pending") and not where.by_email:
        merged = heapq.merge(rows, _page_rows(job.id, after), key=_ROW_NUMBER)
        rows = list(islice(merged, limit))
    return with_fields(job, rows)


_ROW_NUMBER = attrgetter("row_number")


def _page_rows(job_id: str, after: int, pages: int = 50) -> Iterator[EnrichmentRow]:
    """The rows after a row number still in pages, as unsaved pending rows, read
    a few pages at a time as they are asked for."""
    while chunk := db.session.execute(
        select(EnrichmentPage.first_row, EnrichmentPage.last_row, EnrichmentPage.data)
        .where(EnrichmentPage.job_id == job_id, EnrichmentPage.last_row > after)
        .order_by(EnrichmentPage.last_row)
        .limit(pages)
    ).all():
        for first_row, _, data in chunk:
            for number, fields in enumerate(data, first_row):
                if number > after:
                    yield EnrichmentRow(
                        job_id=job_id, row_number=number, data=fields, status="pending"
                    )
        after = chunk[-1][1]


def results_page(
    job: Job,
    *,
    page: int,
    per_page: int,
    status: str | None = None,
    where: RowFilter | None = None,
) -> tuple[list[EnrichmentRow], int]:
    """Page N of the rows and the total; unfiltered pages seek by row number."""
    where = as_stored(job, where or RowFilter(status=status))
    status = where.status
    skip = (page - 1) * per_page
    if status is None and not where.by_email:
        # Row numbers are dense 1..N, N the job's total (committed with the rows),
        # so page N starts at a known row number.
        return results_after(job, after=skip, limit=per_page), job.progress_total
    base = select(EnrichmentRow).where(
        EnrichmentRow.job_id == job.id, *_matching(where)
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    if status != "pending" or where.by_email:
        stmt = base.order_by(EnrichmentRow.row_number).offset(skip).limit(per_page)
        return with_fields(job, list(db.session.scalars(stmt))), total
    # Pending rows are mostly in pages: skip through both in row order.
    in_rows = db.session.scalars(
        base.order_by(EnrichmentRow.row_number).execution_options(yield_per=1000)
    )
    merged = heapq.merge(in_rows, _page_rows(job.id, 0), key=_ROW_NUMBER)
    rows = list(islice(merged, skip, skip + per_page))
    return with_fields(job, rows), total + _rows_in_pages(job.id)


def row_conditions(where: RowFilter) -> tuple[ColumnElement[bool], ...]:
    """The SQL conditions on EnrichmentRow of a results filter (what it shows)."""
    return _matching(where)


def _matching(where: RowFilter) -> tuple[ColumnElement[bool], ...]:
    """The conditions of a filter; a verdict or a flag means a processed row."""
    conditions = list(_of_status(where.status)) if where.status else []
    if where.by_email and where.status in (None, "pending"):
        conditions.append(text(PROCESSED))
    if where.verdict:
        conditions.append(EnrichmentRow.email_verdict == where.verdict)
    if where.flag:
        conditions.append(_has_flag(where.flag))
    return tuple(conditions)


def _has_flag(flag: str) -> ColumnElement[bool]:
    """Rows whose email flags hold `flag`: JSONB containment on PostgreSQL, the
    quoted token in the JSON text elsewhere (flags are a list of known words)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return EnrichmentRow.email_flags.contains([flag])
    return cast(EnrichmentRow.email_flags, Text).like(f'%"{flag}"%')


def _of_status(status: str) -> tuple[ColumnElement[bool], ...]:
    """The filter on a status; for a processed one it repeats the status index's
    predicate word for word, so the planner can use that partial index."""
    if status == "pending":
        return (EnrichmentRow.status == "pending",)
    return (EnrichmentRow.status == status, text(PROCESSED))
