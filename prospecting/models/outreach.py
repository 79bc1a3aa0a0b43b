"""Creator outreach: crawled creators, products, samples, tasks, rules and messages."""

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
from sqlalchemy.orm import relationship

from prospecting.extensions import db
from prospecting.models.base import JSONType
from prospecting.models.base import utcnow

SCHEDULE_STATUSES = ("pending", "messaged", "skipped", "cancelled")
MESSAGE_STATUSES = ("pending", "queued", "sent", "failed")


class Creator(db.Model):
    __tablename__ = "outreach_creators"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "platform_creator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    platform: Mapped[str] = mapped_column(String(40))
    platform_creator_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(255))
    creator_url: Mapped[str | None] = mapped_column(String(1000))
    email: Mapped[str | None] = mapped_column(String(320))
    whatsapp: Mapped[str | None] = mapped_column(String(64))
    connect: Mapped[bool | None]
    reply: Mapped[bool | None]
    send: Mapped[bool | None]
    extra: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    samples: Mapped[list["Sample"]] = relationship(back_populates="creator")

    @property
    def name(self) -> str:
        return self.display_name or self.username or self.platform_creator_id

    def __repr__(self) -> str:
        return f"<Creator {self.platform}:{self.platform_creator_id}>"


class Product(db.Model):
    __tablename__ = "outreach_products"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "platform_product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    platform: Mapped[str] = mapped_column(String(40))
    platform_product_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(500))
    region: Mapped[str | None] = mapped_column(String(16))
    stock: Mapped[int | None]
    available_sample_count: Mapped[int | None]
    is_showcase: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Product {self.platform}:{self.platform_product_id}>"


class Sample(db.Model):
    """A creator's sample request of a product, with its crawled status."""

    __tablename__ = "outreach_samples"
    __table_args__ = (
        UniqueConstraint("workspace_id", "product_id", "creator_id"),
        Index("ix_outreach_samples_ws_status", "workspace_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("outreach_products.id"))
    creator_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_creators.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(16))
    campaign_id: Mapped[str | None] = mapped_column(String(128), index=True)
    campaign_name: Mapped[str | None] = mapped_column(String(500))
    request_time_remaining: Mapped[str | None] = mapped_column(String(64))
    post_rate: Mapped[str | None] = mapped_column(String(32))
    actions: Mapped[list | dict | None] = mapped_column(JSONType)
    action_details: Mapped[list | dict | None] = mapped_column(JSONType)
    logistics_snapshot: Mapped[list | dict | None] = mapped_column(JSONType)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship()
    creator: Mapped[Creator] = relationship(back_populates="samples")
    contents: Mapped[list["SampleContent"]] = relationship(
        back_populates="sample", order_by="SampleContent.id"
    )

    def __repr__(self) -> str:
        return f"<Sample {self.id} {self.status}>"


class SampleContent(db.Model):
    """A video or live the creator posted for a sample, with its promotion metrics."""

    __tablename__ = "outreach_sample_contents"
    __table_args__ = (UniqueConstraint("sample_id", "type", "type_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    sample_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_samples.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(10))  # video | live
    type_number: Mapped[int] = mapped_column(default=0)
    promotion_name: Mapped[str | None] = mapped_column(String(500))
    promotion_time: Mapped[str | None] = mapped_column(String(64))
    view_count: Mapped[int | None]
    like_count: Mapped[int | None]
    comment_count: Mapped[int | None]
    order_count: Mapped[int | None]
    order_total_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    summary: Mapped[list | dict | str | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    sample: Mapped[Sample] = relationship(back_populates="contents")


class CrawlLog(db.Model):
    """One change a crawler reported: an entity inserted or its fields updated."""

    __tablename__ = "outreach_crawl_logs"
    __table_args__ = (
        Index("ix_outreach_crawl_logs_entity", "entity", "entity_id"),
        Index("ix_outreach_crawl_logs_ws_created", "workspace_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    entity: Mapped[str] = mapped_column(String(20))  # creator|sample|content|task
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(10))  # inserted | updated
    changes: Mapped[dict] = mapped_column(JSONType, default=dict)
    source: Mapped[str | None] = mapped_column(String(120))
    operator_id: Mapped[str | None] = mapped_column(String(120))
    # The ingestion request's `options` as the crawler sent them, for audit.
    options: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutreachTask(db.Model):
    """An outreach task run by a crawler; every field it sent is kept in `payload`."""

    __tablename__ = "outreach_tasks"
    __table_args__ = (UniqueConstraint("workspace_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(128))
    platform: Mapped[str | None] = mapped_column(String(40))
    task_name: Mapped[str | None] = mapped_column(String(500))
    task_type: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(40))
    campaign_id: Mapped[str | None] = mapped_column(String(128))
    campaign_name: Mapped[str | None] = mapped_column(String(500))
    product_id: Mapped[str | None] = mapped_column(String(128))
    product_name: Mapped[str | None] = mapped_column(String(500))
    region: Mapped[str | None] = mapped_column(String(16))
    brand: Mapped[str | None] = mapped_column(String(255))
    account_email: Mapped[str | None] = mapped_column(String(320))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    source: Mapped[str | None] = mapped_column(String(120))
    operator_id: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutreachRule(db.Model):
    """A sample status → a message, then reminders every N hours up to M times."""

    __tablename__ = "outreach_rules"
    __table_args__ = (UniqueConstraint("workspace_id", "sample_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    sample_status: Mapped[str] = mapped_column(String(40))
    template: Mapped[str] = mapped_column(Text)
    reminder_template: Mapped[str | None] = mapped_column(Text)
    reminder_every_hours: Mapped[int] = mapped_column(default=0)
    reminder_max: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageSchedule(db.Model):
    """One planned message of a rule for a sample (seq 0 = first, then reminders)."""

    __tablename__ = "outreach_schedules"
    __table_args__ = (
        UniqueConstraint("sample_id", "rule_id", "trigger", "seq"),
        Index("ix_outreach_schedules_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_rules.id", ondelete="CASCADE")
    )
    sample_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_samples.id", ondelete="CASCADE")
    )
    creator_id: Mapped[int] = mapped_column(ForeignKey("outreach_creators.id"))
    trigger: Mapped[str] = mapped_column(String(80))  # status@changed-at
    seq: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    rule: Mapped[OutreachRule] = relationship()
    sample: Mapped[Sample] = relationship()
    creator: Mapped[Creator] = relationship()

    @property
    def is_reminder(self) -> bool:
        return self.seq > 0


class MessageLog(db.Model):
    """A message to a creator: pending → queued (in a batch) → sent | failed."""

    __tablename__ = "outreach_messages"
    __table_args__ = (
        Index("ix_outreach_messages_status_nb", "status", "not_before"),
        Index("ix_outreach_messages_sender_sent", "sender", "sent_at"),
        Index("ix_outreach_messages_creator_sent", "creator_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("outreach_creators.id"))
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("outreach_schedules.id", ondelete="SET NULL"), unique=True
    )
    source: Mapped[str] = mapped_column(String(20))  # schedule | chatbot
    type: Mapped[str] = mapped_column(String(20), default="text")
    content: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict | None] = mapped_column(JSONType)
    sender: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_batches.id", ondelete="SET NULL")
    )
    not_before: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str | None] = mapped_column(String(500))
    provider_ref: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    creator: Mapped[Creator] = relationship()

    def __repr__(self) -> str:
        return f"<MessageLog {self.id} {self.status}>"
