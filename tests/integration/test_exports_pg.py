"""Exports on PostgreSQL: the CSV that COPY writes is the CSV the writer writes."""

import csv
import io
from datetime import datetime

from sqlalchemy import insert

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models.base import utcnow
from prospecting.services import enrichment
from prospecting.services import exports
from prospecting.services import jobs
from prospecting.services.enrichment import RowFilter
from prospecting.services.enrichment.exports import EXPORT_COLUMNS
from prospecting.services.exports import query
from prospecting.services.exports.cells import guarded
from tests import factories

HEADERS = ["Name", "Email", "Note"]
FIELDS = [
    ["Ada", "ada@x.test", 'says "hi", twice'],
    ["=HYPERLINK(1)", "+12747482542", "line\nbreak"],
    ["-12.5", "@at", ""],
    ["short row"],
    ["Zoë", "zoe@x.test", "  padded  "],
]


def _job(workspace_id: int, fields=FIELDS):
    job = jobs.create(
        "enrichment",
        {"headers": HEADERS, "filename": "x.csv"},
        workspace_id=workspace_id,
        total=len(fields),
    )
    now = utcnow()
    rows = []
    for n, data in enumerate(fields, 1):
        processed = n % 2 == 1
        rows.append(
            {
                "job_id": job.id,
                "row_number": n,
                "data": data,
                "status": "success" if processed else "failed",
                "email_valid": True if n == 1 else (False if n == 3 else None),
                "email_verdict": "valid" if processed else None,
                "email_flags": ["catch_all", "role"] if n == 1 else [],
                "company_name": "=cmd|' /C calc'!A0" if n == 5 else None,
                "error_message": None if processed else "Invalid email: x",
                "processed_at": now if processed else None,
            }
        )
    db.session.execute(insert(EnrichmentRow), rows)
    db.session.commit()
    return job


def _both(job, **kwargs) -> tuple[str, str]:
    """The export as COPY writes it and as the CSV writer writes the same rows."""
    header, rows = enrichment.export_table(job, **kwargs)
    assert isinstance(rows, exports.Copyable)
    copied = "".join(exports.stream(header, rows, exports.Options()))
    header, rows = enrichment.export_table(job, **kwargs)
    written = "".join(exports.stream(header, iter(rows), exports.Options()))
    return copied, written


def test_copy_export_is_byte_for_byte_the_written_export(pg_app):
    user = factories.make_user(email="exp@x.test", workspace="Exports")
    job = _job(user.memberships[0].workspace.id)
    copied, written = _both(job)
    assert copied == written
    assert "'=HYPERLINK(1)" in copied and '"+12747482542"' in copied
    picked, picked_written = _both(job, columns="Note,email_flags,status")
    assert picked == picked_written
    failed, failed_written = _both(job, only_failed=True)
    assert failed == failed_written
    filtered, filtered_written = _both(job, where=RowFilter(status="success"))
    assert filtered == filtered_written


def test_rows_still_in_pages_or_holding_a_nul_are_written_by_the_writer(pg_app):
    user = factories.make_user(email="exp2@x.test", workspace="Exports 2")
    workspace_id = user.memberships[0].workspace.id
    with_nul = _job(workspace_id, [["nul\x00here", "a@x.test", ""]])
    header, rows = enrichment.export_table(with_nul)
    assert rows.copy() is None
    assert "nul\x00here" in "".join(exports.stream(header, rows, exports.Options()))
    paged = _job(workspace_id)
    db.session.add(
        EnrichmentPage(
            job_id=paged.id, first_row=6, last_row=6, data=[["Page", "p@x.test", ""]]
        )
    )
    db.session.commit()
    header, rows = enrichment.export_table(paged)
    assert rows.copy() is None
    assert '"Page","p@x.test"' in "".join(
        exports.stream(header, rows, exports.Options())
    )


# Cells a spreadsheet would run, and cells that only look like it; quotes, commas
# and line breaks where a field starts and ends; unicode; empty against missing.
TRICKY = [
    ["=SUM(A1)", "+cmd", "@at"],
    ["+1 (415) 555-0101", "-12.5", "-"],
    ['ends with a quote"', "+", 'ends with ",'],
    ["x", '"', 'ends with a quote and a break"\r\n'],
    ["=after the break", '"=quoted', "a\r\nb"],
    ["\ttab", "trailing\n", '""'],
    ["Zoë 😀", "中文", "|pipe"],
    ["%pct", "only", ""],
    ["short"],
]


def _reference(job, fields, columns=None) -> str:
    """The spreadsheet CSV of the rows, cell by cell: the CSV writer's quoting
    of each guarded value (a missing value empty), a BOM and "\r\n" rows."""
    names = [*HEADERS, *EXPORT_COLUMNS]
    picked = [names.index(c) for c in columns.split(",")] if columns else None
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([names[i] for i in picked] if picked else names)
    for n, data in enumerate(fields, 1):
        row = db.session.get(EnrichmentRow, (job.id, n))
        enriched = {c: getattr(row, c) for c in EXPORT_COLUMNS}
        enriched["email_valid"] = {True: "true", False: "false"}.get(row.email_valid)
        enriched["email_flags"] = ";".join(row.email_flags or [])
        enriched["processed_at"] = (
            row.processed_at.strftime("%Y-%m-%d %H:%M:%S.%f")
            if row.processed_at
            else None
        )
        cells = (data + [""] * len(HEADERS))[: len(HEADERS)] + list(enriched.values())
        cells = [cells[i] for i in picked] if picked else cells
        writer.writerow([guarded(c or "") for c in cells])
    return "\ufeff" + buffer.getvalue()


def test_copy_export_keeps_tricky_values_byte_for_byte(pg_app, monkeypatch):
    user = factories.make_user(email="exp3@x.test", workspace="Exports 3")
    job = _job(user.memberships[0].workspace.id, TRICKY)
    row = db.session.get(EnrichmentRow, (job.id, 4))
    row.company_name, row.location = '-"quoted" \n=1', "@home"
    # Microseconds with trailing zeros, and none: PostgreSQL's own text of a
    # timestamp drops them ('04.5901', '04'); the export keeps all six digits.
    row.processed_at = datetime(2026, 12, 7, 17, 32, 4, 590100)
    db.session.get(EnrichmentRow, (job.id, 1)).processed_at = datetime(
        2026, 12, 7, 17, 32, 4
    )
    db.session.commit()
    # Chunks of one and three rows: a chunk's first row, and chunks with and
    # without a line break inside a field. The picked columns end rows with
    # fields that end with '"' and a line break, or with '",'.
    for rows_a_chunk in (1, 3, 500):
        monkeypatch.setattr(query, "COPY_CHUNK_ROWS", rows_a_chunk)
        for columns in (None, "Name,Note", "Note,Email,location"):
            expected = _reference(job, TRICKY, columns)
            copied, written = _both(job, columns=columns)
            assert copied == expected, (rows_a_chunk, columns)
            assert written == expected, (rows_a_chunk, columns)
    copied, _ = _both(job)
    assert '"2026-12-07 17:32:04.590100"' in copied
    assert '"2026-12-07 17:32:04.000000"' in copied
    assert "'=after the break" in copied and "'=SUM(A1)" in copied
    assert '"+1 (415) 555-0101"' in copied and '"\'-"' in copied
