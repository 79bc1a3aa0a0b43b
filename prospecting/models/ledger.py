"""The cost ledger's own rows: cache hits (zero-cost entries) and workspace budgets."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from prospecting.extensions import db
from prospecting.models.base import utcnow


class CacheHit(db.Model):
    """A provider answer served from the cache: recorded against its job, cost 0."""

    __tablename__ = "cache_hits"
    __table_args__ = (
        Index("ix_cache_hits_provider_created", "provider", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    endpoint: Mapped[str] = mapped_column(String(120))
    job_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkspaceBudget(db.Model):
    """A workspace's daily spending cap, overriding the configured default."""

    __tablename__ = "workspace_budgets"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    daily_cap: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
