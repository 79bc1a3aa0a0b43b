"""Provider result cache: the same input is never paid for twice within its TTL."""

import functools
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from prospecting.connections import autocommit
from prospecting.extensions import db
from prospecting.models import ProviderCache
from prospecting.models.base import utcnow

MISSING = object()


# Built once: a worker looks up the cache before every provider call.
_CACHE = ProviderCache.__table__
_LOOKUP = select(_CACHE.c.found, _CACHE.c.value).where(
    _CACHE.c.provider == bindparam("lookup_provider"),
    _CACHE.c.key == bindparam("lookup_key"),
    _CACHE.c.expires_at > bindparam("lookup_now"),
)


def get(provider: str, key: str):
    """The cached value (None for a cached miss), or MISSING when absent or expired."""
    row = db.session.execute(
        _LOOKUP,
        {"lookup_provider": provider, "lookup_key": key[:320], "lookup_now": utcnow()},
    ).first()
    if row is None:
        return MISSING
    return row.value if row.found else None


def count_cached(provider: str, keys) -> int:
    """How many of `keys` the cache answers now (a hit or a cached miss)."""
    keys = [k[:320] for k in keys]
    found = 0
    for start in range(0, len(keys), 500):
        found += db.session.scalar(
            select(func.count()).where(
                ProviderCache.provider == provider,
                ProviderCache.key.in_(keys[start : start + 500]),
                ProviderCache.expires_at > utcnow(),
            )
        )
    return found


def put(provider: str, key: str, value: dict | None) -> None:
    """Store a hit (value) or a miss (None) with its TTL, committed at once.

    It commits on a connection of its own, so the caller's unit of work neither
    carries it nor holds a write lock across the next provider call (on SQLite a
    held lock would block the call log and every other writer).
    """
    cfg = current_app.config
    days = (
        cfg["CACHE_HIT_TTL_DAYS"] if value is not None else cfg["CACHE_MISS_TTL_DAYS"]
    )
    now = utcnow()
    with autocommit() as conn:
        conn.execute(
            _upsert(conn.dialect.name),
            {
                "provider": provider,
                "key": key[:320],
                "found": value is not None,
                "value": value,
                "expires_at": now + timedelta(days=days),
                "created_at": now,
            },
        )


@functools.cache
def _upsert(dialect: str):
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(ProviderCache)
    return stmt.on_conflict_do_update(
        index_elements=["provider", "key"],
        set_={
            k: stmt.excluded[k] for k in ("found", "value", "expires_at", "created_at")
        },
    )
