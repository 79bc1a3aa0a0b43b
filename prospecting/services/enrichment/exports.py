"""A job's CSV export: its original columns and the enriched ones, or failures."""

from collections.abc import Iterator

from prospecting.extensions import db
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.services import csvfiles
from prospecting.services.enrichment.results import RowFilter
from prospecting.services.enrichment.results import results_after

EXPORT_COLUMNS = (
    "status", "email_valid", "email_verdict", "email_flags", "email_normalized",
    "phone_e164", "company_domain", "company_name", "company_size", "company_industry",
    "location", "error_message", "processed_at",
)  # fmt: skip


def export_lines(
    job: Job, *, only_failed: bool = False, where: RowFilter | None = None
) -> Iterator[str]:
    """CSV of the original plus enriched columns of the rows a filter shows (or
    the failures with reasons)."""
    where = RowFilter(status="failed") if only_failed else (where or RowFilter())
    headers = list(job.params.get("headers", []))
    width = len(headers)
    extra = ["error_message"] if only_failed else list(EXPORT_COLUMNS)

    def rows():
        after = 0
        while True:
            page = results_after(job, where=where, after=after, limit=1000)
            if not page:
                return
            for row in page:
                original = (row.data + [""] * width)[:width]
                yield original + [_export_value(row, c) for c in extra]
            after = page[-1].row_number
            db.session.expunge_all()

    return csvfiles.write_csv(headers + extra, rows())


def _export_value(row: EnrichmentRow, column: str):
    value = getattr(row, column)
    if isinstance(value, list):
        return ";".join(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
