"""Background jobs and the leased batches they are cut into."""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from prospecting.extensions import db
from prospecting.models.base import JSONType
from prospecting.models.base import utcnow

JOB_STATUSES = ("queued", "running", "paused", "completed", "failed", "cancelled")
TERMINAL_JOB_STATUSES = ("completed", "failed", "cancelled")
BATCH_STATUSES = ("pending", "running", "paused", "done", "failed", "cancelled")


def new_job_id() -> str:
    return str(uuid.uuid4())


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_job_id)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    progress_current: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    success_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    # The job's books as counters, kept in the transactions that write its call
    # log and cache hits (metering.books), so its pages never sum those tables.
    cost: Mapped[Decimal] = mapped_column(Numeric(14, 6), default=0, server_default="0")
    call_count: Mapped[int] = mapped_column(default=0, server_default="0")
    cache_hit_count: Mapped[int] = mapped_column(default=0, server_default="0")
    error_message: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_JOB_STATUSES

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == "completed" else 0
        return min(100, int(100 * self.progress_current / self.progress_total))

    @property
    def rate(self) -> float | None:
        """Items per second since the job started, or since it was last resumed
        (params["resumed"]: when, at which count), so a pause is not averaged in."""
        since, base = self.started_at, 0
        resumed = (self.params or {}).get("resumed") or {}
        if resumed.get("at"):
            at = datetime.fromisoformat(resumed["at"])
            if since is not None and at >= since:  # a resume of this run
                since, base = at, resumed.get("from") or 0
        worked = (self.progress_current or 0) - base
        if not since or worked <= 0:
            return None
        end = self.completed_at or utcnow()
        seconds = (end - since).total_seconds()
        return worked / seconds if seconds > 0 else None

    @property
    def eta_seconds(self) -> int | None:
        rate = self.rate
        if rate is None or self.is_terminal or not self.progress_total:
            return None
        return int(max(0, self.progress_total - self.progress_current) / rate)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"


class JobBatch(db.Model):
    __tablename__ = "job_batches"
    __table_args__ = (
        UniqueConstraint("job_id", "seq"),
        Index("ix_job_batches_status_lease", "status", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    owner: Mapped[str | None] = mapped_column(String(36))
    # The worker process (host:pid) holding the lease, when it heartbeats: its
    # silence frees the batch before the lease runs out.
    worker: Mapped[str | None] = mapped_column(String(255))
    lease_until: Mapped[datetime | None]
    not_before: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    success_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<JobBatch {self.job_id}#{self.seq} {self.kind} {self.status}>"
