"""LinkedIn prospect search: the connected provider account and the prospects found."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from prospecting.extensions import db
from prospecting.models.base import JSONType
from prospecting.models.base import utcnow

ACCOUNT_STATUSES = ("active", "disconnected")


class LinkedInAccount(db.Model):
    """A workspace's Unipile-style account: one per workspace, API key encrypted."""

    __tablename__ = "linkedin_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), unique=True)
    dsn: Mapped[str] = mapped_column(String(255))
    # A Fernet token from prospecting.crypto; the raw key is never stored or shown.
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    account_id: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Unipile's premiumFeatures of the account (sales_navigator, recruiter,
    # premium) read when it is tested; None until then. Picks the default api.
    premium_features: Mapped[list | None] = mapped_column(JSONType)
    last_error: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def __repr__(self) -> str:
        return f"<LinkedInAccount {self.account_id} {self.status}>"


class Prospect(db.Model):
    """One person found by a prospect search job; stored once per job."""

    __tablename__ = "prospects"
    __table_args__ = (UniqueConstraint("job_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    batch: Mapped[int]
    provider_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str | None] = mapped_column(String(255))
    company: Mapped[str | None] = mapped_column(String(255))
    location: Mapped[str | None] = mapped_column(String(255))
    connection_degree: Mapped[int | None]
    linkedin_url: Mapped[str | None] = mapped_column(String(500))
    raw: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Prospect {self.job_id}/{self.provider_id} {self.name}>"
