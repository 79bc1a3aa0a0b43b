"""The provider call log and the provider result cache."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from prospecting.extensions import db
from prospecting.models.base import JSONType
from prospecting.models.base import utcnow


class ProviderCall(db.Model):
    __tablename__ = "provider_calls"
    __table_args__ = (
        Index("ix_provider_calls_provider_created", "provider", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    endpoint: Mapped[str] = mapped_column(String(120))
    method: Mapped[str] = mapped_column(String(10))
    status_code: Mapped[int | None]
    latency_ms: Mapped[int]
    attempts: Mapped[int] = mapped_column(default=1)
    error: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # What the call cost in credits (PROVIDER_PRICES); 0 for unpriced or failed calls.
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 6), default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderCache(db.Model):
    __tablename__ = "provider_cache"
    __table_args__ = (UniqueConstraint("provider", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(320))
    found: Mapped[bool]
    value: Mapped[dict | None] = mapped_column(JSONType)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
