"""Provider result cache: the same input is never paid for twice within its TTL."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from prospecting.extensions import db
from prospecting.models import ProviderCache
from prospecting.models.base import utcnow

MISSING = object()


def get(provider: str, key: str):
    """The cached value (None for a cached miss), or MISSING when absent or expired."""
    row = db.session.execute(
        select(ProviderCache.found, ProviderCache.value).where(
            ProviderCache.provider == provider,
            ProviderCache.key == key[:320],
            ProviderCache.expires_at > utcnow(),
        )
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

    Committing here keeps no write lock open across the next provider call (on
    SQLite a held lock would block the call log and every other writer).
    """
    cfg = current_app.config
    days = (
        cfg["CACHE_HIT_TTL_DAYS"] if value is not None else cfg["CACHE_MISS_TTL_DAYS"]
    )
    now = utcnow()
    values = {
        "provider": provider,
        "key": key[:320],
        "found": value is not None,
        "value": value,
        "expires_at": now + timedelta(days=days),
        "created_at": now,
    }
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ProviderCache).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["provider", "key"],
        set_={
            k: stmt.excluded[k] for k in ("found", "value", "expires_at", "created_at")
        },
    )
    db.session.execute(stmt)
    db.session.commit()
