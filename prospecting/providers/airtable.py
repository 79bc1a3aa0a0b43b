"""Airtable through pyairtable, with the app's throttle, 429 lockout and call log.

pyairtable retries nothing here (`retry_strategy=None`): the app owns retries. Every
request first takes a slot of a window of 5 requests per base (AIRTABLE_RATE_LIMIT),
shared by all workers through RATELIMIT_STORAGE_URL (Redis, else in-process), and
holds it until a second and a margin after its answer; after a 429 the base is
marked locked for AIRTABLE_LOCKOUT_SECONDS in the same storage, so no worker calls
it until then (a waiting worker checks before every try). Limits: 5 requests/s per
base, 10 records a request, 30 s after a 429
(https://airtable.com/developers/web/api/rate-limits).
"""

import math
import random
import threading
import time
import uuid

import requests
from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from pyairtable import Api

from prospecting import metering
from prospecting.providers import http
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderNotConfigured
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable

PROVIDER = "airtable"
LABEL = "Airtable"
MAX_RECORDS = 10
# Airtable counts a request when it arrives; we only know it arrived by the time its
# answer came back. So a request holds its place in the per-base window from its
# grant until 1 s + WINDOW_MARGIN after its answer: a sixth request is sent only
# after the answer to the one five before it plus that second, whatever the network
# or a busy machine did to the timing in between (a 429 costs a 30 s lockout).
WINDOW_MARGIN = 0.05
WINDOW_SECONDS = 1.0
POLL_SECONDS = 0.02  # while all the window's requests are still in flight

_storages: dict[str, object] = {}
_storages_lock = threading.Lock()
_local_windows: dict[str, dict[str, float]] = {}
_local_lock = threading.Lock()
_paced = threading.local()  # .inside: this thread holds a slot for its request

# The window as a sorted set of requests scored by when their answer came (by a
# far bound while in flight): drop those answered more than `span` ago, grant if
# fewer than `limit` are left, else the wait (in flight: a short poll).
_GRANT_LUA = """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local span = tonumber(ARGV[3])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - span)
if redis.call('zcard', KEYS[1]) >= limit then
    local oldest = tonumber(redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')[2])
    if oldest > now then
        return ARGV[6]
    end
    return tostring(oldest + span - now)
end
redis.call('zadd', KEYS[1], ARGV[5], ARGV[4])
redis.call('expire', KEYS[1], math.ceil(tonumber(ARGV[5]) - now + span) + 1)
return '0'
"""


class AirtableRecordError(ProviderBadResponse):
    """Airtable refused the records of a write (422): bad values, multiple matches."""


def _storage():
    url = current_app.config["RATELIMIT_STORAGE_URL"]
    with _storages_lock:
        if url not in _storages:
            _storages[url] = storage_from_string(url)
        return _storages[url]


def _lockout_key(base_id: str) -> str:
    return f"airtable-lockout/{base_id}"


def locked_for(base_id: str) -> float:
    """Seconds left of the wait Airtable imposed on a base after a 429 (0 if none)."""
    storage, key = _storage(), _lockout_key(base_id)
    if not storage.get(key):
        return 0.0
    return max(0.0, storage.get_expiry(key) - time.time())


def lock(base_id: str, seconds: float | None = None) -> float:
    """Mark a base as locked for every worker; returns the wait left in seconds.

    A lockout already running is not restarted: a 429 answered to a request sent
    just before another worker's 429 arrived costs no second 30 s."""
    wait = seconds or current_app.config["AIRTABLE_LOCKOUT_SECONDS"]
    # incr sets the expiry only when it creates the key (limits' memory and Redis).
    _storage().incr(_lockout_key(base_id), math.ceil(wait))
    return max(locked_for(base_id), 0.0) or float(math.ceil(wait))


def _window_key(base_id: str) -> str:
    return f"airtable-window/{base_id}"


def _redis(storage):
    client = getattr(storage, "storage", None)
    return client if client is not None and hasattr(client, "zadd") else None


def _grant_wait(base_id: str, limit: int, span: float, ticket: str) -> float:
    """Take a slot of the base's window for `ticket` if one is free (0.0), else
    the wait before trying again."""
    now = time.time()
    in_flight = now + _in_flight_bound()
    client = _redis(_storage())
    if client is not None:
        wait = client.eval(
            _GRANT_LUA,
            1,
            _window_key(base_id),
            repr(now),
            limit,
            repr(span),
            ticket,
            repr(in_flight),
            repr(POLL_SECONDS),
        )
        return float(wait.decode() if isinstance(wait, bytes) else wait)
    with _local_lock:
        window = _local_windows.setdefault(base_id, {})
        for key in [k for k, at in window.items() if at <= now - span]:
            del window[key]
        if len(window) >= limit:
            oldest = min(window.values())
            return POLL_SECONDS if oldest > now else oldest + span - now
        window[ticket] = in_flight
        return 0.0


def _answered(base_id: str, ticket: str) -> None:
    """The request of `ticket` got its answer: its second in the window starts."""
    now = time.time()
    client = _redis(_storage())
    if client is not None:
        client.zadd(_window_key(base_id), {ticket: now}, xx=True)
        return
    with _local_lock:
        window = _local_windows.get(base_id, {})
        if ticket in window:
            window[ticket] = now


def _in_flight_bound() -> float:
    cfg = current_app.config
    return float(cfg["PROVIDER_CONNECT_TIMEOUT"] + cfg["PROVIDER_READ_TIMEOUT"])


def _rate() -> int:
    item = parse(current_app.config["AIRTABLE_RATE_LIMIT"])
    return max(1, round(item.amount / item.get_expiry()))


def acquire(base_id: str) -> str:
    """Take a slot of the base's shared window, waiting up to
    AIRTABLE_MAX_LIMITER_WAIT, else rate limited; the ticket to pass to
    `_answered` once the answer is in.

    The lockout after a 429 is checked before every try, so a worker that started
    waiting before another one's 429 never sends into the lockout."""
    cfg = current_app.config
    deadline = time.monotonic() + cfg["AIRTABLE_MAX_LIMITER_WAIT"]
    span = WINDOW_SECONDS + WINDOW_MARGIN
    ticket = uuid.uuid4().hex
    while True:
        remaining = locked_for(base_id)
        if remaining > 0:
            raise ProviderRateLimited(
                f"Airtable asked us to wait after a 429; {remaining:.0f} s left.",
                retry_after=remaining,
            )
        wait = _grant_wait(base_id, _rate(), span, ticket)
        if wait <= 0:
            return ticket
        if time.monotonic() + wait > deadline:
            raise ProviderRateLimited(
                "Airtable: our 5 requests/s budget for this base is used up.",
                retry_after=wait,
                status=None,
            )
        time.sleep(wait + random.uniform(0, 0.003))


class _Api(Api):
    """pyairtable's Api whose every request is throttled per base and logged.

    A list whose URL would pass MAX_URL_LENGTH is sent as POST …/listRecords with
    its options in the body, as Airtable advises for long formulas (its own limit
    is 16,000 characters, https://support.airtable.com/docs/enforcement-of-url-length-limit-for-web-api-requests);
    4,000 keeps a sync's reads of 100 merge values clear of servers and proxies
    refusing longer lines (gunicorn's default is 4,094 bytes).
    """

    MAX_URL_LENGTH = 4000

    def __init__(self, token: str, base_id: str):
        cfg = current_app.config
        refusal = http.sandbox_in_production(LABEL, cfg["AIRTABLE_URL"])
        if refusal:
            raise ProviderNotConfigured(refusal)
        super().__init__(
            token,
            endpoint_url=cfg["AIRTABLE_URL"],
            retry_strategy=None,
            timeout=(cfg["PROVIDER_CONNECT_TIMEOUT"], cfg["PROVIDER_READ_TIMEOUT"]),
        )
        self.base_id = base_id

    def request(self, method: str, url: str, *args, **kwargs):
        if getattr(_paced, "inside", False):
            # pyairtable re-sends a list whose URL is over Airtable's 16,000
            # characters as POST …/listRecords from inside this request: that send
            # is the one the outer call's slot was taken for.
            return super().request(method, url, *args, **kwargs)
        ticket = acquire(self.base_id)
        _paced.inside = True
        started, status, error = time.perf_counter(), None, None
        try:
            result = super().request(method, url, *args, **kwargs)
            status = 200
            return result
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            error = f"HTTP {status}"
            raise _mapped(exc, self.base_id) from exc
        except requests.Timeout as exc:
            error = "timeout"
            raise ProviderUnavailable(f"{LABEL} timed out.") from exc
        except requests.RequestException as exc:
            error = type(exc).__name__
            raise ProviderUnavailable(
                f"{LABEL} could not be reached ({error})."
            ) from exc
        finally:
            _paced.inside = False
            _answered(self.base_id, ticket)
            latency = int((time.perf_counter() - started) * 1000)
            endpoint = (
                "schema"
                if "/meta/" in url
                else "records"
                if method.upper() == "GET"
                else "records.write"
            )
            metering.record_call(
                PROVIDER, endpoint, method.upper(), status, latency, 1, error
            )


_apis = threading.local()


def _api(token: str, base_id: str) -> "_Api":
    """This thread's client of a base: its connections are kept alive between
    requests (a TLS handshake to Airtable would otherwise add to every request's
    time in the window)."""
    cache = getattr(_apis, "by_key", None)
    if cache is None:
        cache = _apis.by_key = {}
    cfg = current_app.config
    key = (token, base_id, cfg["AIRTABLE_URL"])
    api = cache.get(key)
    if api is None:
        if len(cache) > 8:
            for old in cache.values():
                old.session.close()
            cache.clear()
        api = cache[key] = _Api(token, base_id)
    return api


def _mapped(exc: requests.HTTPError, base_id: str) -> Exception:
    response = exc.response
    status = response.status_code if response is not None else 0
    message = _error_message(response)
    if status == 429:
        wait = lock(base_id)
        return ProviderRateLimited(
            f"Airtable is rate limiting this base (HTTP 429); waiting {wait:.0f} s.",
            retry_after=wait,
        )
    if status == 401:
        return ProviderAuthError(
            f"Airtable refused the token (HTTP 401): check the personal access "
            f"token. {message}".strip(),
            status=status,
        )
    if status in (403, 404):
        return ProviderAuthError(
            f"Airtable base or table not found, or the token cannot reach it "
            f"(HTTP {status}): check the base id, the table names and the token's "
            f"access to the base. {message}".strip(),
            status=status,
        )
    if status >= 500:
        return ProviderUnavailable(
            f"Airtable is unavailable (HTTP {status}).", status=status
        )
    return AirtableRecordError(
        f"Airtable rejected the records (HTTP {status}): {message}".strip(),
        status=status,
    )


def _error_message(response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "")
    return str(error or "")


def upsert(
    token: str,
    base_id: str,
    table: str,
    records: list[dict],
    *,
    merge_fields: list[str],
    typecast: bool = True,
) -> dict:
    """Upsert at most 10 records in one request; the answer lists records in order."""
    if len(records) > MAX_RECORDS:
        raise ValueError(f"at most {MAX_RECORDS} records per request")
    api = _api(token, base_id)
    return api.table(base_id, table).batch_upsert(
        records, key_fields=merge_fields, typecast=typecast
    )


def update(
    token: str, base_id: str, table: str, records: list[dict], *, typecast=True
) -> dict:
    """Update at most 10 records by their `id` in one request (no upsert)."""
    if len(records) > MAX_RECORDS:
        raise ValueError(f"at most {MAX_RECORDS} records per request")
    api = _api(token, base_id)
    updated = api.table(base_id, table).batch_update(records, typecast=typecast)
    return {"records": updated}


def first_record(token: str, base_id: str, table: str) -> dict | None:
    """One record of a table (a one-record list: a free check of the settings)."""
    api = _Api(token, base_id)
    try:
        return api.table(base_id, table).first()
    finally:
        api.session.close()


def list_records(token: str, base_id: str, table: str) -> list[dict]:
    """Every record of a table (paged by pyairtable)."""
    api = _api(token, base_id)
    return api.table(base_id, table).all()


def find_records(
    token: str,
    base_id: str,
    table: str,
    formula: str,
    *,
    max_records: int | None = 100,
) -> list[dict]:
    """The records `formula` (filterByFormula) matches (at most `max_records`,
    None: all): one list request a page of 100, each paced like every other
    request of the base."""
    api = _api(token, base_id)
    options = {"formula": formula}
    if max_records is not None:
        options["max_records"] = max_records
    return api.table(base_id, table).all(**options)


def formula_text(value) -> str:
    """A value as a formula's string literal (quotes and backslashes escaped)."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def base_schema(token: str, base_id: str) -> list[dict]:
    """The base's tables with their fields ({id, name, type, options}), read from
    GET /v0/meta/bases/{base}/tables (needs the token's schema.bases:read scope)."""
    api = _api(token, base_id)
    answer = api.request("GET", str(api.base(base_id).urls.tables))
    tables = answer.get("tables") if isinstance(answer, dict) else None
    if not isinstance(tables, list):
        raise ProviderBadResponse("Airtable's base schema has no list of tables.")
    return tables


def delete(token: str, base_id: str, table: str, record_ids: list[str]) -> list[str]:
    """Delete at most 10 records by id in one request; the ids Airtable deleted."""
    if len(record_ids) > MAX_RECORDS:
        raise ValueError(f"at most {MAX_RECORDS} records per request")
    api = _api(token, base_id)
    answer = api.table(base_id, table).batch_delete(list(record_ids))
    return [r.get("id") for r in answer if r.get("deleted")]
