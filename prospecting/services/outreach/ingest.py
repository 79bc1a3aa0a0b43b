"""Crawler ingestion: samples (with their creators, products and contents),
creators and outreach tasks, each an idempotent upsert (see `upserts`)."""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import Creator
from prospecting.models import OutreachTask
from prospecting.models import Product
from prospecting.models import Sample
from prospecting.models import SampleContent
from prospecting.models.base import utcnow
from prospecting.services.outreach.schedules import plan_schedules
from prospecting.services.outreach.schedules import stop_reminders
from prospecting.services.outreach.schemas import CreatorsIngest
from prospecting.services.outreach.schemas import SamplesIngest
from prospecting.services.outreach.schemas import TasksIngest
from prospecting.services.outreach.upserts import log_changes
from prospecting.services.outreach.upserts import sync


@dataclass
class IngestResult:
    rows: int
    products: int = 0
    created: int = 0
    updated: int = 0
    schedules: int = 0


def _platform(options: dict) -> str:
    value = options.get("platform") or current_app.config["OUTREACH_DEFAULT_PLATFORM"]
    return str(value).strip().lower()[:40]


def ingest_samples(
    workspace_id: int, body: SamplesIngest, *, now: datetime | None = None
) -> IngestResult:
    """Upsert the rows' creators, products (grouped by product), samples, contents."""
    now = now or utcnow()
    platform = _platform(body.options)
    by_product: dict[str, list] = {}
    for row in body.rows:
        by_product.setdefault(row.platform_product_id, []).append(row)
    creators = sync(
        Creator,
        ("workspace_id", "platform", "platform_creator_id"),
        (
            {
                "workspace_id": workspace_id,
                "platform": platform,
                "platform_creator_id": row.creator_key,
                "display_name": row.platform_creator_display_name,
                "username": row.platform_creator_username,
            }
            for row in body.rows
        ),
        entity="creator",
        now=now,
    )
    products = sync(
        Product,
        ("workspace_id", "platform", "platform_product_id"),
        (
            _product_values(workspace_id, platform, pid, rows)
            for pid, rows in by_product.items()
        ),
        entity="product",
        now=now,
    )
    return _ingest_sample_rows(
        workspace_id, platform, body, by_product, creators, products, now
    )


def _product_values(workspace_id: int, platform: str, pid: str, rows: list) -> dict:
    values = {
        "workspace_id": workspace_id,
        "platform": platform,
        "platform_product_id": pid,
    }
    for row in rows:  # the last row that reports a field wins
        for column, value in (
            ("name", row.product_name),
            ("region", row.region),
            ("stock", row.stock),
            ("available_sample_count", row.available_sample_count),
            ("is_showcase", row.is_showcase),
        ):
            if value is not None:
                values[column] = value
    return values


def _ingest_sample_rows(
    workspace_id, platform, body, by_product, creators, products, now
) -> IngestResult:
    sample_rows, content_rows = [], []
    for pid, rows in by_product.items():
        product_id = products.ids[(workspace_id, platform, pid)]
        for row in rows:
            creator_id = creators.ids[(workspace_id, platform, row.creator_key)]
            sample_rows.append(
                (row, _sample_values(workspace_id, product_id, creator_id, row))
            )
    samples = sync(
        Sample,
        ("workspace_id", "product_id", "creator_id"),
        (values for _, values in sample_rows),
        entity="sample",
        now=now,
    )
    for row, values in sample_rows:
        if row.type is None:
            continue
        key = (workspace_id, values["product_id"], values["creator_id"])
        content_rows.append(_content_values(workspace_id, samples.ids[key], row))
    contents = sync(
        SampleContent,
        ("sample_id", "type", "type_number"),
        content_rows,
        entity="content",
        now=now,
    )
    moved = samples.changed_ids(column="status")
    if moved:
        db.session.execute(
            update(Sample)
            .where(Sample.id.in_(moved))
            .values(status_changed_at=now)
            .execution_options(synchronize_session=False)
        )
    scheduled = plan_schedules(workspace_id, moved, now=now)
    posted = {c.entity_id for c in contents.changes if c.action == "inserted"}
    stop_reminders(_sample_ids_of_contents(posted))
    log_changes(
        workspace_id,
        creators.changes + products.changes + samples.changes + contents.changes,
        source=body.source,
        operator_id=body.operator_id,
        now=now,
        options=body.options,
    )
    db.session.commit()
    inserted = sum(1 for c in samples.changes if c.action == "inserted")
    return IngestResult(
        rows=len(body.rows),
        products=len(by_product),
        created=inserted,
        updated=len(samples.changes) - inserted,
        schedules=scheduled,
    )


def _sample_values(workspace_id: int, product_id: int, creator_id: int, row) -> dict:
    return {
        "workspace_id": workspace_id,
        "product_id": product_id,
        "creator_id": creator_id,
        "status": row.status,
        "region": row.region,
        "campaign_id": row.platform_campaign_id,
        "campaign_name": row.platform_campaign_name,
        "request_time_remaining": row.request_time_remaining,
        "post_rate": row.post_rate,
        "actions": row.actions,
        "action_details": row.action_details,
        "logistics_snapshot": row.logistics_snapshot,
    }


def _content_values(workspace_id: int, sample_id: int, row) -> dict:
    return {
        "workspace_id": workspace_id,
        "sample_id": sample_id,
        "type": row.type,
        "type_number": row.type_number or 0,
        "promotion_name": row.promotion_name,
        "promotion_time": row.promotion_time,
        "view_count": row.promotion_view_count,
        "like_count": row.promotion_like_count,
        "comment_count": row.promotion_comment_count,
        "order_count": row.promotion_order_count,
        "order_total_amount": row.promotion_order_total_amount,
        "summary": row.content_summary,
    }


def _sample_ids_of_contents(content_ids: set[int]) -> set[int]:
    if not content_ids:
        return set()
    return set(
        db.session.scalars(
            select(SampleContent.sample_id).where(SampleContent.id.in_(content_ids))
        )
    )


def ingest_creators(
    workspace_id: int, body: CreatorsIngest, *, now: datetime | None = None
) -> IngestResult:
    """Upsert creators by platform + creator id; unknown fields are kept in `extra`."""
    now = now or utcnow()
    platform = _platform(body.options)
    synced = sync(
        Creator,
        ("workspace_id", "platform", "platform_creator_id"),
        (
            {
                "workspace_id": workspace_id,
                "platform": platform,
                "platform_creator_id": row.platform_creator_id,
                "display_name": row.platform_creator_display_name,
                "username": row.platform_creator_username,
                "creator_url": row.creator_url,
                "email": row.email,
                "whatsapp": row.whatsapp,
                "connect": row.connect,
                "reply": row.reply,
                "send": row.send,
                "extra": row.model_extra or None,
            }
            for row in body.rows
        ),
        entity="creator",
        now=now,
    )
    log_changes(
        workspace_id,
        synced.changes,
        source=body.source,
        operator_id=body.operator_id,
        now=now,
        options=body.options,
    )
    db.session.commit()
    inserted = sum(1 for c in synced.changes if c.action == "inserted")
    return IngestResult(
        rows=len(body.rows), created=inserted, updated=len(synced.changes) - inserted
    )


def ingest_task(
    workspace_id: int, body: TasksIngest, raw_task: dict, *, now: datetime | None = None
) -> tuple[OutreachTask, str]:
    """Upsert an outreach task by task id, keeping every field sent in `payload`."""
    now = now or utcnow()
    task = body.task
    synced = sync(
        OutreachTask,
        ("workspace_id", "task_id"),
        [
            {
                "workspace_id": workspace_id,
                "task_id": task.task_id,
                "platform": task.platform,
                "task_name": task.task_name,
                "task_type": task.task_type,
                "status": task.status,
                "campaign_id": task.campaign_id,
                "campaign_name": task.campaign_name,
                "product_id": task.product_id,
                "product_name": task.product_name,
                "region": task.region,
                "brand": task.brand,
                "account_email": task.account_email,
                "payload": raw_task,
                "source": body.source,
                "operator_id": body.operator_id,
            }
        ],
        entity="task",
        now=now,
    )
    log_changes(
        workspace_id,
        synced.changes,
        source=body.source,
        operator_id=body.operator_id,
        now=now,
        options=body.options,
    )
    db.session.commit()
    row = db.session.get(OutreachTask, synced.ids[(workspace_id, task.task_id)])
    action = synced.changes[0].action if synced.changes else "unchanged"
    return row, action
