"""The books of provider calls: which job a call belongs to, the call log, cache
hits and cache entries.

Inside a batch (`job_context(..., batch=True)`, which the batch runner opens) the
lines are kept in memory and written in the session's own transaction when the
work commits, so a worker thread uses one database connection, never a second one
while its session holds the first. Outside a batch (a web request, a CLI command)
each line is written at once on an autocommit connection of its own.
"""

import contextlib
import contextvars
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from decimal import Decimal

import orjson
from sqlalchemy import bindparam
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from prospecting.connections import autocommit
from prospecting.extensions import db
from prospecting.metering.prices import ZERO
from prospecting.metering.prices import charge
from prospecting.models import CacheHit
from prospecting.models import Job
from prospecting.models import ProviderCache
from prospecting.models import ProviderCall
from prospecting.models.base import utcnow

logger = logging.getLogger(__name__)


@dataclass
class Books:
    """Bookkeeping of a block of work: the caps it read (once each) and, for a
    batch (`writes`), the lines it made and has not written yet."""

    writes: bool = False
    calls: list[dict] = field(default_factory=list)
    hits: list[dict] = field(default_factory=list)
    cache: dict[tuple[str, str], dict] = field(default_factory=dict)
    # A cap changed while a batch runs applies from the job's next batch.
    caps: dict[str, object] = field(default_factory=dict)
    # Cache entries read ahead for the batch's inputs: (provider, key) -> the
    # cached value, None for a cached miss, MISSING for no entry.
    known: dict[tuple[str, str], object] = field(default_factory=dict)
    # What the commit under way carries: dropped from the books once it commits.
    in_flight: tuple[int, int, dict] | None = None
    # Items the transaction under way wrote, by job: [success, failed]. Added to
    # the job row as it commits, dropped with a rollback (the rows are too).
    items: dict[str, list[int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.calls or self.hits or self.cache or self.items)

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
        _insert_calls(connection, calls)
    if hits:
        _insert_hits(connection, hits)
    if cache:
        _upsert_cache(connection, cache_rows(cache))
    # The jobs' counters last: a job row every worker thread writes is locked
    # for the end of the commit only.
    if counters := _counters(calls, hits, book.items):
        connection.execute(_ADD_TO_JOB, counters)


@event.listens_for(Session, "after_commit")
def _books_written(session: Session) -> None:
    book = _writing_books()
    if book is None or book.in_flight is None:
        if book is not None:
            book.items.clear()
        return
    book.items.clear()
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
        book.items.clear()


# The call log and cache hits, and the job counters they add to

_INSERT_CALL = insert(ProviderCall)
_INSERT_CACHE_HIT = insert(CacheHit)
_JOBS = Job.__table__
_ADD_TO_JOB = (
    update(_JOBS)
    .where(_JOBS.c.id == bindparam("add_job_id"))
    .values(
        cost=_JOBS.c.cost + bindparam("add_cost"),
        call_count=_JOBS.c.call_count + bindparam("add_calls"),
        cache_hit_count=_JOBS.c.cache_hit_count + bindparam("add_hits"),
        success_count=_JOBS.c.success_count + bindparam("add_success"),
        failed_count=_JOBS.c.failed_count + bindparam("add_failed"),
        progress_current=_JOBS.c.progress_current + bindparam("add_done"),
    )
)


# On PostgreSQL a commit's call log lines, cache hits (two a cached row) and
# cache entries go as one JSON parameter a statement (json_to_recordset): one
# string orjson dumps, instead of a parameter set a line that the driver dumps
# value by value. A value JSON cannot carry keeps the executemany.
_INSERT_CALLS_PG = (
    "INSERT INTO provider_calls (provider, endpoint, method, status_code, "
    "latency_ms, attempts, error, job_id, cost, created_at) "
    "SELECT provider, endpoint, method, status_code, latency_ms, attempts, error, "
    "job_id, cost, created_at FROM json_to_recordset(%s::json) AS c(provider text, "
    "endpoint text, method text, status_code integer, latency_ms integer, "
    "attempts integer, error text, job_id text, cost numeric, created_at timestamp)"
)
_INSERT_HITS_PG = (
    "INSERT INTO cache_hits (provider, endpoint, job_id, created_at) "
    "SELECT provider, endpoint, job_id, created_at FROM json_to_recordset(%s::json) "
    "AS h(provider text, endpoint text, job_id text, created_at timestamp)"
)
# A value None is a JSON null, as the ORM writes it (JSONType, none_as_null
# False); in rows order, so two commits lock shared keys in the same order.
_UPSERT_CACHE_PG = (
    "INSERT INTO provider_cache (provider, key, found, value, expires_at, created_at) "
    "SELECT provider, key, found, COALESCE(value, 'null'::jsonb), expires_at, "
    "created_at FROM json_to_recordset(%s::json) AS e(provider text, key text, "
    "found boolean, value jsonb, expires_at timestamp, created_at timestamp) "
    "ON CONFLICT (provider, key) DO UPDATE SET found = excluded.found, "
    "value = excluded.value, expires_at = excluded.expires_at, "
    "created_at = excluded.created_at"
)


def _as_json(rows: list[dict], default=None) -> str | None:
    try:
        return orjson.dumps(rows, default=default).decode()
    except TypeError:
        return None


def _decimal_text(value):
    """A call's cost as the numeric's text (a float would round it)."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError


def _insert_calls(connection, calls: list[dict]) -> None:
    if connection.dialect.name == "postgresql" and (
        doc := _as_json(calls, _decimal_text)
    ):
        connection.exec_driver_sql(_INSERT_CALLS_PG, (doc,))
        return
    connection.execute(_INSERT_CALL, calls)


def _insert_hits(connection, hits: list[dict]) -> None:
    if connection.dialect.name == "postgresql" and (doc := _as_json(hits)):
        connection.exec_driver_sql(_INSERT_HITS_PG, (doc,))
        return
    connection.execute(_INSERT_CACHE_HIT, hits)


def _upsert_cache(connection, rows: list[dict]) -> None:
    if connection.dialect.name == "postgresql" and (doc := _as_json(rows)):
        connection.exec_driver_sql(_UPSERT_CACHE_PG, (doc,))
        return
    connection.execute(_cache_upsert(connection.dialect.name), rows)


def count_items(job_id: str, *, success: int, failed: int) -> bool:
    """Add items the running batch wrote to its job's counts as the transaction
    under way commits (dropped if it rolls back); False outside a batch, where
    the caller writes them itself."""
    book = _writing_books()
    if book is None:
        return False
    counts = book.items.setdefault(job_id, [0, 0])
    counts[0] += success
    counts[1] += failed
    return True


def _counters(calls, hits, items: dict | None = None) -> list[dict]:
    """What the lines and items add to each job's counters, in job id order (the
    order in which two commits lock the same jobs)."""
    jobs: dict[str, dict] = {}
    for job_id, (success, failed) in (items or {}).items():
        add = jobs.setdefault(job_id, _no_counts(job_id))
        add.update(add_success=success, add_failed=failed, add_done=success + failed)
    for line in calls:
        if line["job_id"] is not None:
            add = jobs.setdefault(line["job_id"], _no_counts(line["job_id"]))
            add["add_cost"] += line["cost"]
            add["add_calls"] += 1
    for line in hits:
        if line["job_id"] is not None:
            jobs.setdefault(line["job_id"], _no_counts(line["job_id"]))["add_hits"] += 1
    return [jobs[job_id] for job_id in sorted(jobs)]


def _no_counts(job_id: str) -> dict:
    return {
        "add_job_id": job_id,
        "add_cost": ZERO,
        "add_calls": 0,
        "add_hits": 0,
        "add_success": 0,
        "add_failed": 0,
        "add_done": 0,
    }


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
    # breaks) the caller's unit of work; a job's line commits with its counters.
    lines = ([line], []) if kind == "calls" else ([], [line])
    counters = _counters(*lines)
    try:
        with db.engine.begin() if counters else autocommit() as conn:
            conn.execute(statement, line)
            if counters:
                conn.execute(_ADD_TO_JOB, counters)
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
    an entry this batch wrote and has not committed yet counts, and one read ahead
    (`cache_read_ahead`) is not asked for again."""
    key = key[:320]
    book = _writing_books()
    if book is not None:
        if (entry := book.cache.get((provider, key))) is not None:
            return entry["value"] if entry["found"] else None
        if (provider, key) in book.known:
            return book.known[(provider, key)]
    row = (
        reader()
        .execute(
            _LOOKUP,
            {"lookup_provider": provider, "lookup_key": key, "lookup_now": utcnow()},
        )
        .first()
    )
    if row is None:
        return MISSING
    return row.value if row.found else None


@functools.cache
def _read_ahead(dialect: str, providers: int):
    """The read-ahead query of `providers` providers' keys. On PostgreSQL each
    provider's keys go as one JSON array (one string for the driver to send,
    and the same statement text for any number of keys, parsed and prepared
    once); the (provider, key) index still serves each `= ANY`."""
    if dialect == "postgresql":
        return (
            "SELECT provider, key, found, value FROM provider_cache "
            "WHERE expires_at > %(now)s AND ("
            + " OR ".join(
                f"(provider = %(p{i})s AND key = ANY(ARRAY("
                f"SELECT json_array_elements_text(%(k{i})s::json))))"
                for i in range(providers)
            )
            + ")"
        )
    return select(
        _CACHE.c.provider, _CACHE.c.key, _CACHE.c.found, _CACHE.c.value
    ).where(
        _CACHE.c.provider == bindparam("ahead_provider"),
        _CACHE.c.key.in_(bindparam("ahead_keys", expanding=True)),
        _CACHE.c.expires_at > bindparam("ahead_now"),
    )


def cache_read_ahead(provider: str, keys) -> None:
    """Read the cache entries of a batch's inputs in one query, so its items ask
    the database nothing more for them (inside a batch; a no-op elsewhere)."""
    cache_read_ahead_all({provider: keys})


def cache_read_ahead_all(wanted: dict) -> None:
    """`cache_read_ahead` of several providers' keys ({provider: keys}), in one
    query on PostgreSQL."""
    book = _writing_books()
    if book is None:
        return
    wanted = {
        p: keys for p, ks in wanted.items() if (keys := {k[:320] for k in ks if k})
    }
    if not wanted:
        return
    conn = db.session.connection()
    now = utcnow()
    if conn.dialect.name == "postgresql":
        params = {"now": now}
        for i, (provider, keys) in enumerate(wanted.items()):
            params[f"p{i}"] = provider
            params[f"k{i}"] = orjson.dumps(sorted(keys)).decode()
        rows = conn.exec_driver_sql(_read_ahead("postgresql", len(wanted)), params)
    else:
        query = _read_ahead(conn.dialect.name, 1)
        rows = [
            row
            for provider, keys in wanted.items()
            for row in conn.execute(
                query,
                {
                    "ahead_provider": provider,
                    "ahead_keys": sorted(keys),
                    "ahead_now": now,
                },
            )  # fmt: skip
        ]
    found = {
        (p, key): (value if was_found else None) for p, key, was_found, value in rows
    }
    known = book.known
    for provider, keys in wanted.items():
        for key in keys:
            known[(provider, key)] = found.get((provider, key), MISSING)


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
        book.known[(provider, entry["key"])] = value
        return
    with autocommit() as conn:
        conn.execute(_cache_upsert(conn.dialect.name), entry)


def cache_rows(cache: dict) -> list[dict]:
    """The cache entries to upsert, in (provider, key) order: two workers writing
    overlapping keys (a company domain many rows share) then lock them in the same
    order, so their commits wait for each other instead of deadlocking."""
    return [cache[k] for k in sorted(cache)]


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


def current_books() -> Books | None:
    """The books of the block of work under way, if any."""
    return _books.get()


def reader():
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
