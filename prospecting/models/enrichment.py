"""Uploaded CSV files and the rows of enrichment jobs."""

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from prospecting.extensions import db
from prospecting.models.base import JSONType
from prospecting.models.base import utcnow

ROW_STATUSES = ("pending", "success", "failed", "cancelled")


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


class EnrichmentRow(db.Model):
    __tablename__ = "enrichment_rows"
    __table_args__ = (
        UniqueConstraint("job_id", "row_number"),
        Index("ix_enrichment_rows_job_batch", "job_id", "batch_seq", "status"),
        Index("ix_enrichment_rows_job_status_row", "job_id", "status", "row_number"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True
    )
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    row_number: Mapped[int]
    batch_seq: Mapped[int]
    data: Mapped[dict] = mapped_column(JSONType)
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    company: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    website: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
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
