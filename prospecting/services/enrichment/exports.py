"""A job's export: its original columns and the enriched ones, of the rows a filter
shows (or the failures with their reasons), through the one export mechanism."""

import heapq
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from orjson import loads
from sqlalchemy import Text
from sqlalchemy import cast
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.services import exports
from prospecting.services.enrichment.results import RowFilter
from prospecting.services.enrichment.results import _matching
from prospecting.services.enrichment.results import as_stored

EXPORT_COLUMNS = (
    "status", "email_valid", "email_verdict", "email_flags", "email_normalized",
    "phone_e164", "company_domain", "company_name", "company_size", "company_industry",
    "location", "error_message", "processed_at",
)  # fmt: skip
ENRICHED = tuple(
    exports.column(name, getattr(EnrichmentRow, name)) for name in EXPORT_COLUMNS
)
FAILED_COLUMNS = "error_message"


def columns_of(job: Job) -> list[str]:
    """Every column a job's export can hold: the file's, then the enriched ones."""
    return [*job.params.get("headers", []), *EXPORT_COLUMNS]


def export_table(
    job: Job,
    *,
    where: RowFilter | None = None,
    only_failed: bool = False,
    columns: str | None = None,
) -> tuple[list[str], Iterator[Any]]:
    """The header and text rows of a job's export: the rows `where` shows (all by
    default), or the failed ones with their reason; `columns` picks among
    columns_of(job) (an original column by its header)."""
    headers = list(job.params.get("headers", []))
    if only_failed:
        where, columns = RowFilter(status="failed"), None
    where = as_stored(job, where or RowFilter())
    originals = [exports.Column(h, EnrichmentRow.data) for h in headers]
    enriched = (
        [c for c in ENRICHED if c.name == FAILED_COLUMNS] if only_failed else ENRICHED
    )
    every = [*originals, *enriched]
    chosen = exports.pick(every, columns)
    # Each row is read as (data, *every enriched column as text) and laid out as
    # the file's fields then the enriched ones; the chosen ones are taken from that.
    # The file's fields as their JSON text, parsed in _laid_out (cheaper than the
    # column type's own processing).
    data = type_coerce(EnrichmentRow.data, Text)
    base = select(data, *(c.expr for c in enriched)).where(
        EnrichmentRow.job_id == job.id, *_matching(where)
    )
    key = EnrichmentRow.row_number
    in_pages = where.status in (None, "pending") and not where.by_email
    if in_pages:
        rows = exports.keyset_rows(base, key, keep_key=True)
        rows = _merged(rows, _page_rows(job.id, enriched))
    else:
        rows = exports.keyset_rows(base, key)
    positions = [every.index(c) for c in chosen]
    laid_out = _laid_out(rows, len(headers), positions)
    conditions = (EnrichmentRow.job_id == job.id, *_matching(where))
    # The file's fields from its JSON parsed once a row (a subquery the planner
    # keeps as it is, in row order), then the enriched cells.
    inner = (
        select(
            cast(_DATA_TEXT, JSONB).label("fields"),
            *(c.expr.label(f"cell{n}") for n, c in enumerate(enriched)),
        )
        .where(*conditions)
        .order_by(key)
        .offset(0)
        .subquery()
    )
    cells = [
        *(inner.c.fields[i].astext for i in range(len(headers))),
        *(inner.c[f"cell{n}"] for n in range(len(enriched))),
    ]
    copyable = select(*(cells[p] for p in positions))

    def copy() -> Iterator[str] | None:
        # COPY when every row is in the table (none still in pages) and no field
        # holds a NUL, which PostgreSQL text cannot carry out of the JSON.
        if db.session.get_bind().dialect.name != "postgresql":
            return None
        if in_pages and _has_pages(job.id):
            return None
        if db.session.scalar(select(exists().where(*conditions, _HOLDS_NUL))):
            return None
        return exports.copy_csv(copyable)

    return [c.name for c in chosen], exports.Copyable(laid_out, copy)


_DATA_TEXT = type_coerce(EnrichmentRow.data, Text)
_HOLDS_NUL = func.strpos(_DATA_TEXT, "\\u0000") > 0


def _has_pages(job_id: str) -> bool:
    return bool(
        db.session.scalar(select(exists().where(EnrichmentPage.job_id == job_id)))
    )


def _laid_out(rows, width: int, positions: list[int]) -> Iterator[Any]:
    """(data, *enriched) rows as the file's `width` fields then the enriched
    values, keeping the cells at `positions`."""
    pad = [""] * width
    every = positions == list(range(len(positions)))
    pick = itemgetter(*positions) if len(positions) > 1 else None
    for row in rows:
        data = row[0]
        cells = (loads(data) if data.__class__ is str else data or []) + pad
        cells = [*cells[:width], *row[1:]]
        if every:
            yield cells
        elif pick is not None:
            yield pick(cells)
        else:
            yield (cells[positions[0]],)


def _merged(stored, pages) -> Iterator[tuple]:
    """Rows taken by workers and rows still in pages, in row order (each carries
    its row number last, dropped here)."""
    numbered = heapq.merge(stored, pages, key=itemgetter(-1))
    return (row[:-1] for row in numbered)


def _page_rows(job_id: str, enriched) -> Iterator[tuple]:
    """The rows still in a job's pages as (data, pending status or empty, ...,
    row number), read 50 pages at a time."""
    blanks = tuple("pending" if c.name == "status" else None for c in enriched)
    after = 0
    while chunk := db.session.execute(
        select(EnrichmentPage.first_row, EnrichmentPage.last_row, EnrichmentPage.data)
        .where(EnrichmentPage.job_id == job_id, EnrichmentPage.last_row > after)
        .order_by(EnrichmentPage.last_row)
        .limit(50)
    ).all():
        for first_row, _, data in chunk:
            for number, fields in enumerate(data, first_row):
                yield (fields, *blanks, number)
        after = chunk[-1][1]


def export_lines(
    job: Job, *, only_failed: bool = False, where: RowFilter | None = None
) -> Iterator[str]:
    """Spreadsheet CSV of the original plus enriched columns of the rows a filter
    shows (or the failures with reasons)."""
    header, rows = export_table(job, where=where, only_failed=only_failed)
    return exports.stream(header, rows, exports.Options())
