"""Metering: which job a provider call belongs to, what it costs, the cost caps, and
the bookkeeping (call log, cache hits, cache entries) every call leaves behind.

It sits below the provider clients and above the models: providers import it to
attribute, price and cap their calls; services read costs through services.ledger.

Inside a batch (`job_context(..., books=True)`, which the batch runner opens) the
bookkeeping is kept in memory and written in the session's own transaction when
the work commits, so a worker thread uses one database connection, never a second
one while its session holds the first. Outside a batch (a web request, a CLI
command) each line is written at once on an autocommit connection of its own.
"""

import contextlib
import contextvars
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation

from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from prospecting.connections import autocommit
from prospecting.extensions import db
from prospecting.models import CacheHit
from prospecting.models import Job
from prospecting.models import ProviderCache
from prospecting.models import ProviderCall
from prospecting.models import WorkspaceBudget
from prospecting.models.base import utcnow
from prospecting.providers.errors import ProviderCostCapReached

logger = logging.getLogger(__name__)

ZERO = Decimal("0")


# Prices


def price(provider: str, endpoint: str) -> Decimal:
    """The configured price of one call, in credits (0 when not priced)."""
    prices = current_app.config["PROVIDER_PRICES"].get(provider) or {}
    return decimal(prices.get(endpoint, 0))


def charge(provider: str, endpoint: str, status: int | None) -> Decimal:
    """What an answered call costs: only 2xx answers are charged."""
    if status is None or not 200 <= status < 300:
        return ZERO
    return price(provider, endpoint)


def decimal(value) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return ZERO


def unit() -> str:
    return current_app.config["COST_UNIT"]


def fmt(amount) -> str:
    """An amount for people: up to 4 decimals, trailing zeros dropped."""
    value = decimal(amount).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    text = f"{value:f}".rstrip("0").rstrip(".")
    return f"{text or '0'} {unit()}"


# The job a call belongs to, and the books of the batch that makes it


@dataclass
class Books:
    """Bookkeeping of a block of work: the caps it read (once each) and, for a
    batch (`writes`), the lines it made and has not written yet."""

    writes: bool = False
    calls: list[dict] = field(default_factory=list)
    hits: list[dict] = field(default_factory=list)
    cache: dict[tuple[str, str], dict] = field(default_factory=dict)
    # A cap changed while a batch runs applies from the job's next batch.
    caps: dict[str, "Caps | None"] = field(default_factory=dict)
    # What the commit under way carries: dropped from the books once it commits.
    in_flight: tuple[int, int, dict] | None = None

    def __bool__(self) -> bool:
        return bool(self.calls or self.hits or self.cache)

    def unwritten_cost(self, job_id: str | None = None) -> Decimal:
        return sum(
            (c["cost"] for c in self.calls if job_id is None or c["job_id"] == job_id),
            ZERO,
        )


_job: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "metering_job", default=None
)
_books: contextvars.ContextVar[Books | None] = contextvars.ContextVar(
    "metering_books", default=None
)


@contextlib.contextmanager
def job_context(job_id: str | None, *, batch: bool = False) -> Iterator[Books]:
    """Attribute every provider call made inside the block to a job, and read its
    caps once for the block.

    With `batch` (the batch runner's block) the bookkeeping rides on the session:
    it is written with the work's commits, and whatever is left when the block
    ends (work that ended on a rollback) is committed then.
    """
    book = Books(writes=batch)
    job_token, books_token = _job.set(job_id), _books.set(book)
    try:
        yield book
    finally:
        try:
            if book.writes and book:
                db.session.commit()
        finally:
            _books.reset(books_token)
            _job.reset(job_token)


def current_job() -> str | None:
    """The job the current provider calls are attributed to, if any."""
    return _job.get()


def _writing_books() -> Books | None:
    """The books of the running batch, whose writes ride on the session."""
    book = _books.get()
    return book if book is not None and book.writes else None


@event.listens_for(Session, "before_commit")
def _write_books(session: Session) -> None:
    # The bookkeeping of the running batch commits with the batch's own writes:
    # one connection per worker thread, one transaction per commit. The lines
    # leave the books only once that commit succeeded.
    book = _writing_books()
    if not book:
        return
    calls, hits, cache = list(book.calls), list(book.hits), dict(book.cache)
    book.in_flight = (len(calls), len(hits), cache)
    connection = session.connection()
    if calls:
        connection.execute(_INSERT_CALL, calls)
    if hits:
        connection.execute(_INSERT_CACHE_HIT, hits)
    if cache:
        connection.execute(_cache_upsert(connection.dialect.name), list(cache.values()))


@event.listens_for(Session, "after_commit")
def _books_written(session: Session) -> None:
    book = _writing_books()
    if book is None or book.in_flight is None:
        return
    calls, hits, cache = book.in_flight
    book.in_flight = None
    del book.calls[:calls]
    del book.hits[:hits]
    for key, entry in cache.items():
        if book.cache.get(key) is entry:
            del book.cache[key]


@event.listens_for(Session, "after_rollback")
def _books_not_written(session: Session) -> None:
    book = _writing_books()
    if book is not None:
        book.in_flight = None


# The call log and cache hits

_INSERT_CALL = insert(ProviderCall)
_INSERT_CACHE_HIT = insert(CacheHit)


def record_call(
    provider: str,
    endpoint: str,
    method: str,
    status: int | None,
    latency_ms: int,
    attempts: int,
    error: str | None,
) -> None:
    """Log one provider request with its cost, against the current job."""
    line = {
        "provider": provider,
        "endpoint": endpoint,
        "method": method,
        "status_code": status,
        "latency_ms": latency_ms,
        "attempts": attempts,
        "error": (error or None) and error[:255],
        "job_id": _job.get(),
        "cost": charge(provider, endpoint, status),
        "created_at": utcnow(),
    }
    _write(_INSERT_CALL, line, "calls", "the provider call log")


def record_cache_hit(provider: str, endpoint: str, job_id: str | None = None) -> None:
    """Count a cached answer as a zero-cost entry of the current job."""
    line = {
        "provider": provider,
        "endpoint": endpoint,
        "job_id": job_id if job_id is not None else _job.get(),
        "created_at": utcnow(),
    }
    _write(_INSERT_CACHE_HIT, line, "hits", "a cache hit")


def _write(statement, line: dict, kind: str, what: str) -> None:
    book = _writing_books()
    if book is not None:
        getattr(book, kind).append(line)
        return
    # Its own connection, committed at once, so the line never rides on (or
    # breaks) the caller's unit of work.
    try:
        with autocommit() as conn:
            conn.execute(statement, line)
    except Exception:  # the books must never fail the work they describe
        logger.exception("could not record %s", what)


# The provider result cache (values live in services.cache; writes come here so
# that they ride on the batch like the rest of its books)

_CACHE = ProviderCache.__table__
_LOOKUP = select(_CACHE.c.found, _CACHE.c.value).where(
    _CACHE.c.provider == bindparam("lookup_provider"),
    _CACHE.c.key == bindparam("lookup_key"),
    _CACHE.c.expires_at > bindparam("lookup_now"),
)
MISSING = object()


def cache_lookup(provider: str, key: str):
    """The cached value (None for a cached miss), or MISSING when absent or expired;
    an entry this batch wrote and has not committed yet counts."""
    key = key[:320]
    book = _writing_books()
    if book is not None and (entry := book.cache.get((provider, key))) is not None:
        return entry["value"] if entry["found"] else None
    row = (
        _read()
        .execute(
            _LOOKUP,
            {"lookup_provider": provider, "lookup_key": key, "lookup_now": utcnow()},
        )
        .first()
    )
    if row is None:
        return MISSING
    return row.value if row.found else None


def cache_store(provider: str, key: str, value: dict | None, ttl: timedelta) -> None:
    """Store a hit (value) or a miss (None) for `ttl`."""
    now = utcnow()
    entry = {
        "provider": provider,
        "key": key[:320],
        "found": value is not None,
        "value": value,
        "expires_at": now + ttl,
        "created_at": now,
    }
    book = _writing_books()
    if book is not None:
        book.cache[(provider, entry["key"])] = entry
        return
    with autocommit() as conn:
        conn.execute(_cache_upsert(conn.dialect.name), entry)


@functools.cache
def _cache_upsert(dialect: str):
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert_(ProviderCache)
    return stmt.on_conflict_do_update(
        index_elements=["provider", "key"],
        set_={
            k: stmt.excluded[k] for k in ("found", "value", "expires_at", "created_at")
        },
    )


def _read():
    """Where a metering read runs: the session's connection inside a batch (one
    connection per thread; no autoflush of the caller's pending objects), else an
    autocommit connection of its own."""
    if _writing_books() is not None:
        return db.session.connection()
    return _Autocommit()


class _Autocommit:
    """execute()/scalar() on a short-lived autocommit connection."""

    def execute(self, *args, **kwargs):
        with autocommit() as conn:
            result = conn.execute(*args, **kwargs)
            return _Buffered(result.all())

    def scalar(self, *args, **kwargs):
        with autocommit() as conn:
            return conn.scalar(*args, **kwargs)


class _Buffered:
    def __init__(self, rows):
        self.rows = rows

    def first(self):
        return self.rows[0] if self.rows else None

    def all(self):
        return self.rows


# Caps

# A job's workspace and params with the workspace's own daily cap, in one query.
_JOB_CAPS = (
    select(Job.workspace_id, Job.params, WorkspaceBudget.daily_cap)
    .outerjoin(WorkspaceBudget, WorkspaceBudget.workspace_id == Job.workspace_id)
    .where(Job.id == bindparam("job_id"))
)


@dataclass(frozen=True)
class Caps:
    workspace_id: int
    job: Decimal  # 0 = no cap
    daily: Decimal  # 0 = no cap


def job_cap(params: dict | None) -> Decimal:
    """A job's cap from its params, else the configured default (0 = no cap)."""
    value = (params or {}).get("cost_cap")
    if value is None:
        value = current_app.config["COST_CAP_PER_JOB"]
    return decimal(value)


def own_or_default_daily_cap(own) -> Decimal:
    if own is not None:
        return decimal(own)
    return decimal(current_app.config["COST_CAP_DAILY"])


def _caps_of(job_id: str) -> Caps | None:
    book = _books.get()
    if book is not None and job_id in book.caps:
        return book.caps[job_id]
    row = _read().execute(_JOB_CAPS, {"job_id": job_id}).first()
    caps = None
    if row is not None:
        caps = Caps(
            workspace_id=row.workspace_id,
            job=job_cap(row.params),
            daily=own_or_default_daily_cap(row.daily_cap),
        )
    if book is not None:
        book.caps[job_id] = caps
    return caps


def today_start() -> datetime:
    return datetime.combine(utcnow().date(), time.min)


def spent_today_stmt(workspace_id: int):
    return (
        select(func.coalesce(func.sum(ProviderCall.cost), 0))
        .select_from(ProviderCall)
        .join(Job, Job.id == ProviderCall.job_id)
        .where(Job.workspace_id == workspace_id)
        .where(ProviderCall.created_at >= today_start())
    )


def check_cap(job_id: str, provider: str, endpoint: str) -> None:
    """Raise ProviderCostCapReached when this call would pass the job's or day's cap.

    What was spent is summed only when a cap is set; calls this batch made and
    has not written yet count.
    """
    cost = price(provider, endpoint)
    if cost <= 0:
        return
    caps = _caps_of(job_id)
    if caps is None or (caps.job <= 0 and caps.daily <= 0):
        return
    book = _books.get()
    reader = _read()
    if caps.job > 0:
        spent = decimal(
            reader.scalar(
                select(func.coalesce(func.sum(ProviderCall.cost), 0)).where(
                    ProviderCall.job_id == job_id
                )
            )
        )
        if book is not None:
            spent += book.unwritten_cost(job_id)
        if spent + cost > caps.job:
            raise ProviderCostCapReached(
                f"Paused: the job's cost cap of {fmt(caps.job)} is reached "
                f"(spent {fmt(spent)}). Raise the cap to resume.",
                scope="job",
                cap=caps.job,
                spent=spent,
            )
    if caps.daily > 0:
        spent = decimal(reader.scalar(spent_today_stmt(caps.workspace_id)))
        if book is not None:
            spent += book.unwritten_cost()
        if spent + cost > caps.daily:
            raise ProviderCostCapReached(
                f"Paused: the workspace's daily cost cap of {fmt(caps.daily)} "
                f"is reached (spent {fmt(spent)} today). Raise it to resume, "
                "or resume tomorrow.",
                scope="daily",
                cap=caps.daily,
                spent=spent,
            )
