"""Airtable through pyairtable, with the app's throttle, 429 lockout and call log.

pyairtable retries nothing here (`retry_strategy=None`): the app owns retries. Every
request first takes a slot of a limiter of 5 requests/s per base, shared by all
workers through RATELIMIT_STORAGE_URL; after a 429 the base is marked locked for
AIRTABLE_LOCKOUT_SECONDS in the same storage, so no worker calls it until then.
"""

import math
import random
import threading
import time

import requests
from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from pyairtable import Api

from prospecting import metering
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable

PROVIDER = "airtable"
LABEL = "Airtable"
MAX_RECORDS = 10
# Airtable counts a request when it arrives, we count it when we grant its slot: the
# time between the two varies. Every grant therefore holds its place in the window
# for 1 s + WINDOW_MARGIN, so that jitter never puts a sixth request into one of
# Airtable's seconds (a 429 costs a 30 s lockout). 5 per 1.06 s is 0.94 of the limit.
WINDOW_MARGIN = 0.06
WINDOW_SECONDS = 1.0

_storages: dict[str, object] = {}
_storages_lock = threading.Lock()
_local_windows: dict[str, list[float]] = {}
_local_lock = threading.Lock()

# A moving window of `limit` grants in `span` seconds, atomically in Redis: the wait
# until the oldest of the last `limit` grants leaves the window ("0": granted).
_GRANT_LUA = """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local span = tonumber(ARGV[3])
local oldest = redis.call('lindex', KEYS[1], limit - 1)
if oldest and tonumber(oldest) > now - span then
    return tostring(tonumber(oldest) + span - now)
end
redis.call('lpush', KEYS[1], ARGV[1])
redis.call('ltrim', KEYS[1], 0, limit - 1)
redis.call('pexpire', KEYS[1], math.ceil(span * 1000))
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


def _grant_wait(base_id: str, limit: int, span: float) -> float:
    """Take a slot of the base's window if one is free (0.0), else the wait."""
    storage, now = _storage(), time.time()
    client = getattr(storage, "storage", None)
    if client is not None and hasattr(client, "eval"):
        key = f"airtable-window/{base_id}"
        wait = client.eval(_GRANT_LUA, 1, key, repr(now), limit, repr(span))
        return float(wait.decode() if isinstance(wait, bytes) else wait)
    with _local_lock:
        window = _local_windows.setdefault(base_id, [])
        if len(window) >= limit and window[-limit] > now - span:
            return window[-limit] + span - now
        window.append(now)
        del window[:-limit]
        return 0.0


def _rate() -> int:
    item = parse(current_app.config["AIRTABLE_RATE_LIMIT"])
    return max(1, round(item.amount / item.get_expiry()))


def acquire(base_id: str) -> None:
    """Take a slot of the base's shared limiter, waiting briefly; else rate limited.

    The lockout after a 429 is checked before every try, so a worker that started
    waiting before another one's 429 never sends into the lockout."""
    cfg = current_app.config
    deadline = time.monotonic() + cfg["PROVIDER_MAX_LIMITER_WAIT"]
    span = WINDOW_SECONDS + WINDOW_MARGIN
    while True:
        remaining = locked_for(base_id)
        if remaining > 0:
            raise ProviderRateLimited(
                f"Airtable asked us to wait after a 429; {remaining:.0f} s left.",
                retry_after=remaining,
            )
        wait = _grant_wait(base_id, _rate(), span)
        if wait <= 0:
            return
        if time.monotonic() + wait > deadline:
            raise ProviderRateLimited(
                "Airtable: our 5 requests/s budget for this base is used up.",
                retry_after=wait,
                status=None,
            )
        time.sleep(wait + random.uniform(0, 0.005))


class _Api(Api):
    """pyairtable's Api whose every request is throttled per base and logged."""

    def __init__(self, token: str, base_id: str):
        cfg = current_app.config
        super().__init__(
            token,
            endpoint_url=cfg["AIRTABLE_URL"],
            retry_strategy=None,
            timeout=(cfg["PROVIDER_CONNECT_TIMEOUT"], cfg["PROVIDER_READ_TIMEOUT"]),
        )
        self.base_id = base_id

    def request(self, method: str, url: str, *args, **kwargs):
        acquire(self.base_id)
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
    api = _Api(token, base_id)
    try:
        return api.table(base_id, table).batch_upsert(
            records, key_fields=merge_fields, typecast=typecast
        )
    finally:
        api.session.close()


def update(
    token: str, base_id: str, table: str, records: list[dict], *, typecast=True
) -> dict:
    """Update at most 10 records by their `id` in one request (no upsert)."""
    if len(records) > MAX_RECORDS:
        raise ValueError(f"at most {MAX_RECORDS} records per request")
    api = _Api(token, base_id)
    try:
        updated = api.table(base_id, table).batch_update(records, typecast=typecast)
        return {"records": updated}
    finally:
        api.session.close()


def list_records(token: str, base_id: str, table: str) -> list[dict]:
    """Every record of a table (paged by pyairtable)."""
    api = _Api(token, base_id)
    try:
        return api.table(base_id, table).all()
    finally:
        api.session.close()


def base_schema(token: str, base_id: str) -> list[dict]:
    """The base's tables with their fields ({id, name, type, options}), read from
    GET /v0/meta/bases/{base}/tables (needs the token's schema.bases:read scope)."""
    api = _Api(token, base_id)
    try:
        answer = api.request("GET", str(api.base(base_id).urls.tables))
    finally:
        api.session.close()
    tables = answer.get("tables") if isinstance(answer, dict) else None
    if not isinstance(tables, list):
        raise ProviderBadResponse("Airtable's base schema has no list of tables.")
    return tables
