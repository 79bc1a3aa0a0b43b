"""Crawler ingestion: idempotent upserts of creators, products, samples and tasks.

Every write goes through `_sync`, which compares the rows with what is stored and
writes only what changed, so posting the same payload twice changes nothing (not even
`updated_at`) and each real change leaves one crawl log row. Fields a crawler leaves
out (null) never erase what an earlier crawl found.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func
from sqlalchemy import insert as plain_insert
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from prospecting.extensions import db
from prospecting.models import CrawlLog
from prospecting.models import Creator
from prospecting.models import MessageSchedule
from prospecting.models import OutreachRule
from prospecting.models import OutreachTask
from prospecting.models import Product
from prospecting.models import Sample
from prospecting.models import SampleContent
from prospecting.models.base import utcnow
from prospecting.services.outreach_schemas import CreatorsIngest
from prospecting.services.outreach_schemas import SamplesIngest
from prospecting.services.outreach_schemas import TasksIngest

KEY_CHUNK = 400


@dataclass
class Change:
    entity: str
    entity_id: int
    action: str  # inserted | updated
    changes: dict


@dataclass
class Synced:
    ids: dict[tuple, int]
    changes: list[Change] = field(default_factory=list)

    def changed_ids(self, *, column: str | None = None) -> set[int]:
        """Ids inserted, or updated (in `column` when given)."""
        return {
            c.entity_id
            for c in self.changes
            if c.action == "inserted" or column is None or column in c.changes
        }


@dataclass
class IngestResult:
    rows: int
    products: int = 0
    created: int = 0
    updated: int = 0
    schedules: int = 0


def _upsert_insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _plain(value):
    """A JSON-safe copy of a column value for the crawl log."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _same(stored, incoming) -> bool:
    if isinstance(stored, Decimal | float) or isinstance(incoming, Decimal):
        try:
            return Decimal(str(stored)).quantize(Decimal("0.01")) == Decimal(
                str(incoming)
            ).quantize(Decimal("0.01"))
        except (ArithmeticError, ValueError):
            return False
    if isinstance(stored, dict | list) or isinstance(incoming, dict | list):
        return json.dumps(stored, sort_keys=True, default=str) == json.dumps(
            incoming, sort_keys=True, default=str
        )
    return stored == incoming


def _sync(
    model, keys: tuple[str, ...], rows: Iterable[dict], *, entity: str, now: datetime
) -> Synced:
    """Upsert rows on their natural key; returns key → id and what changed.

    Later rows with the same key merge into earlier ones (non-null fields win), as
    PostgreSQL refuses to update one row twice in a single INSERT … ON CONFLICT.
    """
    merged: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        values = {k: v for k, v in row.items() if v is not None}
        merged[key] = {**merged.get(key, {}), **values}
    if not merged:
        return Synced(ids={})
    existing = _load(model, keys, list(merged))
    result = Synced(ids={})
    inserts = []
    for key, row in merged.items():
        current = existing.get(key)
        if current is None:
            inserts.append(row)
            continue
        result.ids[key] = current.id
        diff = {
            c: v
            for c, v in row.items()
            if c not in keys and not _same(getattr(current, c), v)
        }
        if diff:
            db.session.execute(
                update(model)
                .where(model.id == current.id)
                .values(**diff, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            result.changes.append(
                Change(
                    entity,
                    current.id,
                    "updated",
                    {
                        c: [_plain(getattr(current, c)), _plain(v)]
                        for c, v in diff.items()
                    },
                )
            )
    if inserts:
        _insert(model, keys, inserts, now)
        created = _load(model, keys, [tuple(r[k] for k in keys) for r in inserts])
        for row in inserts:
            key = tuple(row[k] for k in keys)
            obj = created[key]
            result.ids[key] = obj.id
            values = {c: _plain(v) for c, v in row.items() if c not in keys}
            result.changes.append(Change(entity, obj.id, "inserted", values))
    return result


def _insert(model, keys, rows: list[dict], now: datetime) -> None:
    columns = sorted(set().union(*rows) - set(keys))
    full = [
        {
            **{c: row.get(c) for c in columns},
            **{k: row[k] for k in keys},
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    table = model.__table__
    stmt = _upsert_insert()(model).values(full)
    # Another crawler may have inserted the row since we looked: merge, never fail.
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={
            **{c: func.coalesce(stmt.excluded[c], table.c[c]) for c in columns},
            "updated_at": now,
        },
    )
    db.session.execute(stmt)


def _load(model, keys: tuple[str, ...], wanted: list[tuple]) -> dict[tuple, object]:
    cols = [getattr(model, k) for k in keys]
    found = {}
    for start in range(0, len(wanted), KEY_CHUNK):
        chunk = wanted[start : start + KEY_CHUNK]
        stmt = (
            select(model)
            .where(tuple_(*cols).in_(chunk))
            .execution_options(populate_existing=True)
        )
        for obj in db.session.scalars(stmt):
            found[tuple(getattr(obj, k) for k in keys)] = obj
    return found


def _log(workspace_id: int, changes: list[Change], *, source, operator_id, now) -> None:
    if not changes:
        return
    db.session.execute(
        plain_insert(CrawlLog),
        [
            {
                "workspace_id": workspace_id,
                "entity": c.entity,
                "entity_id": c.entity_id,
                "action": c.action,
                "changes": c.changes,
                "source": source,
                "operator_id": operator_id,
                "created_at": now,
            }
            for c in changes
        ],
    )


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
    creators = _sync(
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
    products = _sync(
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
    samples = _sync(
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
    contents = _sync(
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
    _log(
        workspace_id,
        creators.changes + products.changes + samples.changes + contents.changes,
        source=body.source,
        operator_id=body.operator_id,
        now=now,
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


def plan_schedules(workspace_id: int, sample_ids: set[int], *, now: datetime) -> int:
    """Schedule the rule's message and reminders for samples whose status changed.

    Pending messages planned for an earlier status are cancelled. The caller commits.
    """
    if not sample_ids:
        return 0
    rules = {
        r.sample_status: r
        for r in db.session.scalars(
            select(OutreachRule).where(
                OutreachRule.workspace_id == workspace_id, OutreachRule.active
            )
        )
    }
    rows = db.session.execute(
        select(Sample.id, Sample.creator_id, Sample.status).where(
            Sample.id.in_(sample_ids)
        )
    ).all()
    planned = []
    for sample_id, creator_id, status in rows:
        _cancel_pending(sample_id, keep_status=status)
        rule = rules.get(status)
        if rule is None:
            continue
        trigger = f"{status}@{now.isoformat(timespec='seconds')}"[:80]
        for seq, due in enumerate(reminder_times(rule, now)):
            planned.append(
                {
                    "workspace_id": workspace_id,
                    "rule_id": rule.id,
                    "sample_id": sample_id,
                    "creator_id": creator_id,
                    "trigger": trigger,
                    "seq": seq,
                    "due_at": due,
                    "status": "pending",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if planned:
        stmt = _upsert_insert()(MessageSchedule).values(planned)
        db.session.execute(
            stmt.on_conflict_do_nothing(
                index_elements=["sample_id", "rule_id", "trigger", "seq"]
            )
        )
    return len(planned)


def reminder_times(rule: OutreachRule, start: datetime) -> list[datetime]:
    """When the rule's first message and each reminder fall due."""
    times = [start]
    if rule.reminder_every_hours > 0:
        times += [
            start + timedelta(hours=rule.reminder_every_hours * n)
            for n in range(1, rule.reminder_max + 1)
        ]
    return times


def _cancel_pending(sample_id: int, *, keep_status: str) -> None:
    stale_rules = select(OutreachRule.id).where(
        OutreachRule.sample_status != keep_status
    )
    db.session.execute(
        update(MessageSchedule)
        .where(
            MessageSchedule.sample_id == sample_id,
            MessageSchedule.status == "pending",
            MessageSchedule.rule_id.in_(stale_rules),
        )
        .values(
            status="cancelled",
            reason=f"The sample moved to status {keep_status}.",
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def stop_reminders(sample_ids: set[int]) -> int:
    """Skip the pending reminders of samples whose creator has posted content."""
    if not sample_ids:
        return 0
    result = db.session.execute(
        update(MessageSchedule)
        .where(
            MessageSchedule.sample_id.in_(sample_ids),
            MessageSchedule.status == "pending",
            MessageSchedule.seq > 0,
        )
        .values(
            status="skipped",
            reason="The creator posted content for this sample.",
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def ingest_creators(
    workspace_id: int, body: CreatorsIngest, *, now: datetime | None = None
) -> IngestResult:
    """Upsert creators by platform + creator id; unknown fields are kept in `extra`."""
    now = now or utcnow()
    platform = _platform(body.options)
    synced = _sync(
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
    _log(
        workspace_id,
        synced.changes,
        source=body.source,
        operator_id=body.operator_id,
        now=now,
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
    synced = _sync(
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
    _log(
        workspace_id,
        synced.changes,
        source=body.source,
        operator_id=body.operator_id,
        now=now,
    )
    db.session.commit()
    row = db.session.get(OutreachTask, synced.ids[(workspace_id, task.task_id)])
    action = synced.changes[0].action if synced.changes else "unchanged"
    return row, action
