"""Uploaded CSV files and the rows of enrichment jobs, with the pages of rows
read from a file and not yet taken by a worker."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from prospecting.extensions import db
from prospecting.models.base import JSONText
from prospecting.models.base import JSONType
from prospecting.models.base import utcnow

ROW_STATUSES = ("pending", "success", "failed", "cancelled")
# The status index leaves out the rows an import writes, so COPY need not fill it.
PROCESSED = "status <> 'pending'"


class Upload(db.Model):
    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnrichmentPage(db.Model):
    """The rows of one import batch as the file gave them, until a worker takes them.

    The import writes one page per batch (one COPY line per 20 rows rather than
    20 index entries), and the worker that first takes the batch turns the page
    into its EnrichmentRows and deletes it, in one transaction: a data row is
    always in exactly one of the two tables. Readers merge both by row number
    (`enrichment.results_after`). Keyed by the last row number, so the pages
    holding rows after N are those with last_row > N; no foreign key, as for
    rows (jobs.purge deletes them).
    """

    __tablename__ = "enrichment_pages"

    job_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    last_row: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    first_row: Mapped[int]
    # The rows' fields: a JSON array of arrays, kept as text.
    data: Mapped[list] = mapped_column(JSONText)


class EnrichmentRow(db.Model):
    """One data row of an enrichment job, written (pending) when a worker takes
    its batch's page (EnrichmentPage).

    The largest table by far, so it is kept lean: keyed by (job, row number) with
    no surrogate id, no per-row foreign key check (rows are deleted with their job
    by jobs.purge), the original fields as one JSON array kept as text, in the
    order of the job's headers (extra fields after them), and only processed rows
    in the status index. The mapped name, email, company, phone and website are
    copied from the fields when the row is processed; until then they are NULL and
    `enrichment.with_fields()` fills them for display.
    """

    __tablename__ = "enrichment_rows"
    __table_args__ = (
        Index(
            "ix_enrichment_rows_job_status_row",
            "job_id",
            "status",
            "row_number",
            postgresql_where=text(PROCESSED),
            sqlite_where=text(PROCESSED),
        ),
    )

    job_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    row_number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[list] = mapped_column(JSONText)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    company: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    website: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(
        String(12), default="pending", server_default="pending"
    )
    email_normalized: Mapped[str | None] = mapped_column(String(320))
    email_valid: Mapped[bool | None]
    email_verdict: Mapped[str | None] = mapped_column(String(12))
    email_flags: Mapped[list | None] = mapped_column(JSONType)
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    company_domain: Mapped[str | None] = mapped_column(String(255))
    company_name: Mapped[str | None] = mapped_column(String(255))
    company_size: Mapped[str | None] = mapped_column(String(40))
    company_industry: Mapped[str | None] = mapped_column(String(120))
    location: Mapped[str | None] = mapped_column(String(255))
    error_message: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]
    # Per value, who gave it: {field: {provider, at, cost, raw, tried}}.
    provenance: Mapped[dict | None] = mapped_column(JSONText)


class EnrichmentSettings(db.Model):
    """A workspace's provider order per field (the waterfall) and how long a
    verification stays fresh."""

    __tablename__ = "enrichment_settings"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    # {"email_finding": [...], "email_verification": [...], "company": [...]}
    provider_order: Mapped[dict] = mapped_column(JSONType, default=dict)
    freshness_days: Mapped[int] = mapped_column(default=90, server_default="90")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
