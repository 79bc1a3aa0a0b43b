"""A job's results: counts by status and pages of its rows, in row order."""

import heapq
from collections.abc import Iterator
from itertools import islice
from operator import attrgetter

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.sql.elements import ColumnElement

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models.enrichment import PROCESSED
from prospecting.services import jobs
from prospecting.services.enrichment.rows import with_fields


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
    job: Job, *, status: str | None = None, after: int = 0, limit: int = 50
) -> list[EnrichmentRow]:
    """Rows after a row number (keyset pagination), optionally of one status;
    rows still in pages come as unsaved pending rows, in row order with the rest."""
    stmt = select(EnrichmentRow).where(
        EnrichmentRow.job_id == job.id, EnrichmentRow.row_number > after
    )
    if status:
        stmt = stmt.where(*_of_status(status))
    else:
        # Row numbers are dense 1..N across rows and pages, so the next `limit`
        # are within this bound, which keeps the scan short whatever the
        # planner's statistics say.
        stmt = stmt.where(EnrichmentRow.row_number <= after + limit)
    rows = list(
        db.session.scalars(stmt.order_by(EnrichmentRow.row_number).limit(limit))
    )
    if status in (None, "pending"):
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
    job: Job, *, page: int, per_page: int, status: str | None = None
) -> tuple[list[EnrichmentRow], int]:
    """Page N of the rows and the total; unfiltered pages seek by row number."""
    skip = (page - 1) * per_page
    if status is None:
        # Row numbers are dense 1..N, N the job's total (committed with the rows),
        # so page N starts at a known row number.
        return results_after(job, after=skip, limit=per_page), job.progress_total
    base = select(EnrichmentRow).where(
        EnrichmentRow.job_id == job.id, *_of_status(status)
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    if status != "pending":
        stmt = base.order_by(EnrichmentRow.row_number).offset(skip).limit(per_page)
        return with_fields(job, list(db.session.scalars(stmt))), total
    # Pending rows are mostly in pages: skip through both in row order.
    in_rows = db.session.scalars(
        base.order_by(EnrichmentRow.row_number).execution_options(yield_per=1000)
    )
    merged = heapq.merge(in_rows, _page_rows(job.id, 0), key=_ROW_NUMBER)
    rows = list(islice(merged, skip, skip + per_page))
    return with_fields(job, rows), total + _rows_in_pages(job.id)


def _of_status(status: str) -> tuple[ColumnElement[bool], ...]:
    """The filter on a status; for a processed one it repeats the status index's
    predicate word for word, so the planner can use that partial index."""
    if status == "pending":
        return (EnrichmentRow.status == "pending",)
    return (EnrichmentRow.status == status, text(PROCESSED))
