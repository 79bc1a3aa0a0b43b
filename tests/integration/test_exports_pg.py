"""Exports on PostgreSQL: the CSV that COPY writes is the CSV the writer writes."""

from sqlalchemy import insert

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models.base import utcnow
from prospecting.services import enrichment
from prospecting.services import exports
from prospecting.services import jobs
from prospecting.services.enrichment import RowFilter
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
