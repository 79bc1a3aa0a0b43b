"""Idempotent upserts of crawled rows on their natural keys, and the crawl log.

Every ingestion write goes through `sync`, which compares the rows with what is
stored and writes only what changed, so posting the same payload twice changes
nothing (not even `updated_at`) and each real change leaves one crawl log row.
Fields a crawler leaves out (null) never erase what an earlier crawl found.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import insert as plain_insert
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from prospecting.extensions import db
from prospecting.models import CrawlLog

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


def upsert_insert():
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


def sync(
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
    stmt = upsert_insert()(model).values(full)
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


def log_changes(
    workspace_id: int,
    changes: list[Change],
    *,
    source,
    operator_id,
    now,
    options: dict | None = None,
) -> None:
    """One crawl log per change, each keeping the request's `options` for audit."""
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
                "options": options or None,
                "created_at": now,
            }
            for c in changes
        ],
    )
