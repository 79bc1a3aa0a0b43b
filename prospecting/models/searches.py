"""People searches at the async batch provider, profiles, saved filters, proxies."""

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from prospecting.extensions import db
from prospecting.models.base import JSONType
from prospecting.models.base import utcnow
from prospecting.models.jobs import Job

SEARCH_STATUSES = ("PENDING", "PROCESSING", "COMPLETED", "FAILED")
# The search's status, as the seed API names it, by its job's status: the job is
# the one record of where a search stands.
SEARCH_STATUS_OF_JOB = {
    "queued": "PENDING",
    "running": "PROCESSING",
    "paused": "PROCESSING",
    "completed": "COMPLETED",
    "failed": "FAILED",
    "cancelled": "FAILED",
}


class SavedSearch(db.Model):
    __tablename__ = "saved_searches"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    query_filter: Mapped[dict] = mapped_column(JSONType)
    fetch_count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_run_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<SavedSearch {self.name}>"


class PeopleSearch(db.Model):
    """A people search; it shares its UUID with the Job that carries its progress."""

    __tablename__ = "people_searches"
    __table_args__ = (
        Index("ix_people_searches_workspace_created", "workspace_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(
        String(36), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    saved_search_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="SET NULL"), index=True
    )
    query_filter: Mapped[dict] = mapped_column(JSONType)
    fetch_count: Mapped[int]
    reachstream_batch_id: Mapped[str | None] = mapped_column(String(120))
    poll_attempts: Mapped[int] = mapped_column(default=0)
    profile_count: Mapped[int] = mapped_column(default=0)
    new_count: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    job: Mapped[Job] = relationship()
    saved_search: Mapped[SavedSearch | None] = relationship()

    @property
    def status(self) -> str:
        """PENDING until the provider has the search, then PROCESSING until the job
        ends (COMPLETED, or FAILED when it failed or was cancelled)."""
        status = SEARCH_STATUS_OF_JOB.get(self.job.status, "PENDING")
        if status == "PROCESSING" and self.reachstream_batch_id is None:
            return "PENDING"
        return status

    @property
    def is_terminal(self) -> bool:
        return self.job.is_terminal

    @property
    def error_message(self) -> str | None:
        return self.job.error_message if self.job.status != "completed" else None

    @property
    def completed_at(self) -> datetime | None:
        return self.job.completed_at

    def __repr__(self) -> str:
        return f"<PeopleSearch {self.id} {self.status}>"


class PersonProfile(db.Model):
    __tablename__ = "person_profiles"
    __table_args__ = (
        UniqueConstraint("search_id", "provider_record_id"),
        Index("ix_person_profiles_search_name", "search_id", "full_name"),
        Index("ix_person_profiles_search_company", "search_id", "company_name"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True
    )
    search_id: Mapped[str] = mapped_column(
        ForeignKey("people_searches.id", ondelete="CASCADE")
    )
    provider_record_id: Mapped[str] = mapped_column(String(120))
    full_name: Mapped[str] = mapped_column(String(255), default="")
    job_title: Mapped[str] = mapped_column(String(255), default="")
    company_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    linkedin_url: Mapped[str] = mapped_column(String(500), default="")
    location: Mapped[str] = mapped_column(String(255), default="")
    raw_data: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<PersonProfile {self.full_name}>"


class ProxyHealth(db.Model):
    """Counters of one proxy of the pool, summed over every process that used it."""

    __tablename__ = "proxy_health"

    id: Mapped[int] = mapped_column(primary_key=True)
    proxy: Mapped[str] = mapped_column(String(500), unique=True)
    requests: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    cooling_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(255))
    last_used_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
