"""Metering: which job a provider call belongs to, what it costs, the cost caps,
and the books (call log, cache hits, cache entries) every call leaves behind.

It sits below the provider clients and above the models: providers import it to
attribute, price and cap their calls; services read costs through services.ledger.
"""

from prospecting.metering.books import MISSING
from prospecting.metering.books import Books
from prospecting.metering.books import cache_lookup
from prospecting.metering.books import cache_read_ahead
from prospecting.metering.books import cache_read_ahead_all
from prospecting.metering.books import cache_store
from prospecting.metering.books import count_items
from prospecting.metering.books import current_books
from prospecting.metering.books import current_job
from prospecting.metering.books import job_context
from prospecting.metering.books import record_cache_hit
from prospecting.metering.books import record_call
from prospecting.metering.caps import Caps
from prospecting.metering.caps import check_cap
from prospecting.metering.caps import job_cap
from prospecting.metering.caps import month_start
from prospecting.metering.caps import own_or_default_daily_cap
from prospecting.metering.caps import spent_since_stmt
from prospecting.metering.caps import spent_today_stmt
from prospecting.metering.caps import today_start
from prospecting.metering.prices import ZERO
from prospecting.metering.prices import charge
from prospecting.metering.prices import decimal
from prospecting.metering.prices import fmt
from prospecting.metering.prices import price
from prospecting.metering.prices import unit

__all__ = [
    "MISSING",
    "ZERO",
    "Books",
    "Caps",
    "cache_lookup",
    "cache_read_ahead",
    "cache_read_ahead_all",
    "cache_store",
    "charge",
    "check_cap",
    "count_items",
    "current_books",
    "current_job",
    "decimal",
    "fmt",
    "job_cap",
    "month_start",
    "job_context",
    "own_or_default_daily_cap",
    "spent_since_stmt",
    "price",
    "record_cache_hit",
    "record_call",
    "spent_today_stmt",
    "today_start",
    "unit",
]
