"""Provider result cache: the same input is never paid for twice within its TTL."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import ProviderCache
from prospecting.models.base import utcnow

MISSING = metering.MISSING


def get(provider: str, key: str):
    """The cached value (None for a cached miss), or MISSING when absent or expired."""
    return metering.cache_lookup(provider, key)


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
    """Store a hit (value) or a miss (None) with its TTL.

    Inside a batch it is written with the batch's next commit (and read back by
    the batch before then); elsewhere it commits at once on a connection of its
    own, so the caller's unit of work neither carries it nor holds a write lock
    across the next provider call.
    """
    cfg = current_app.config
    days = (
        cfg["CACHE_HIT_TTL_DAYS"] if value is not None else cfg["CACHE_MISS_TTL_DAYS"]
    )
    metering.cache_store(provider, key, value, timedelta(days=days))
