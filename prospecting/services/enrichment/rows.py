"""A job's rows: its pages taken into rows, and the mapped fields of a row."""

import re

import orjson
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.services import csvfiles


def _take_pages(job_id: str, first_row: int, last_row: int) -> int:
    """Turn the pages holding rows first_row..last_row into pending rows and
    commit; returns how many rows (`take_rows`)."""
    return len(take_rows(job_id, first_row, last_row))


def take_rows(job_id: str, first_row: int, last_row: int) -> list[tuple[int, list]]:
    """Turn the pages holding rows first_row..last_row into pending rows and
    commit; returns the rows taken as (row number, fields), in order. The pages
    are deleted in the same transaction and only the deleter writes their rows,
    so a row is written once however many take it."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        # One statement: the server splits the pages into rows (each row's
        # fields are the text of its element of the page, as written), and
        # only the pages come back.
        pages = [
            (start, orjson.loads(data))
            for start, data in conn.exec_driver_sql(
                _TAKE_PAGES_PG, {"job": job_id, "first": first_row, "last": last_row}
            )
        ]
    else:
        pages = db.session.execute(
            delete(EnrichmentPage)
            .where(
                EnrichmentPage.job_id == job_id,
                EnrichmentPage.last_row.between(first_row, last_row),
            )
            .returning(EnrichmentPage.first_row, EnrichmentPage.data)
        ).all()
        if pages:
            db.session.execute(
                insert(EnrichmentRow),
                [{"job_id": job_id, "row_number": start + i, "data": fields}
                 for start, data in pages for i, fields in enumerate(data)],
            )  # fmt: skip
    db.session.commit()
    pages = sorted(pages, key=lambda page: page[0])
    return [
        (start + i, fields) for start, data in pages for i, fields in enumerate(data)
    ]


_TAKE_PAGES_PG = (
    "WITH taken AS ("
    " DELETE FROM enrichment_pages WHERE job_id = %(job)s"
    " AND last_row BETWEEN %(first)s AND %(last)s RETURNING first_row, data),"
    " added AS ("
    " INSERT INTO enrichment_rows (job_id, row_number, data)"
    " SELECT %(job)s, taken.first_row + e.n - 1, e.value::text FROM taken,"
    " json_array_elements(taken.data::json) WITH ORDINALITY AS e(value, n))"
    " SELECT first_row, data FROM taken"
)


def _take_all_pages(job_id: str) -> None:
    """Turn every page of a job into pending rows, a few hundred pages at a time."""
    while ends := db.session.scalars(
        select(EnrichmentPage.last_row)
        .where(EnrichmentPage.job_id == job_id)
        .order_by(EnrichmentPage.last_row)
        .limit(500)
    ).all():
        _take_pages(job_id, 1, ends[-1])


def with_fields(job: Job, rows: list[EnrichmentRow]) -> list[EnrichmentRow]:
    """Fill the mapped name, email, company, phone and website of rows not yet
    processed from their original fields, for display (nothing is written)."""
    headers, mapping = job.params.get("headers", []), job.params.get("mapping", {})
    for row in rows:
        if row.email is None:
            record = csvfiles.as_record(headers, row.data)
            for field, value in mapped_fields(record, mapping).items():
                set_committed_value(row, field, value)
    return rows


MAPPED = ("name", "email", "company", "phone", "website")
_WIDTHS = {"name": 255, "email": 320, "company": 255, "phone": 64, "website": 255}


def mapped_fields(record: dict[str, str], mapping: dict) -> dict[str, str]:
    """A row's name, email, company, phone and website by the job's mapping, cut
    to their column widths, without NUL characters (PostgreSQL text cannot hold
    them; the row's original fields keep them, escaped in JSON)."""
    fields = csvfiles.apply_mapping(record, mapping)
    return {
        field: fields[field].replace("\x00", "")[: _WIDTHS[field]] for field in MAPPED
    }


def readable_name(name: str | None) -> str:
    """A name that arrived in capitals ("PRIYA MEHTA", "O'NEIL-SMITH") in a readable
    case ("Priya Mehta", "O'Neil-Smith"); any other name as it is. For display:
    the row keeps what the file said."""
    if not name or not name.isupper():
        return name or ""
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), name)
