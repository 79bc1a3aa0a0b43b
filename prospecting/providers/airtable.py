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
from limits.strategies import MovingWindowRateLimiter
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
# Waiting a little past the window's end keeps our 5/s under Airtable's own count,
# which starts when each request arrives rather than when we took the slot: a 429
# costs a 30 s lockout, so a slightly slower steady rate is the better trade.
WINDOW_MARGIN = 0.25

_storages: dict[str, object] = {}
_storages_lock = threading.Lock()


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
    """Mark a base as locked for every worker; returns the wait in seconds."""
    wait = seconds or current_app.config["AIRTABLE_LOCKOUT_SECONDS"]
    storage, key = _storage(), _lockout_key(base_id)
    storage.clear(key)
    storage.incr(key, math.ceil(wait))
    return float(math.ceil(wait))


def acquire(base_id: str) -> None:
    """Take a slot of the base's shared limiter, waiting briefly; else rate limited."""
    cfg = current_app.config
    remaining = locked_for(base_id)
    if remaining > 0:
        raise ProviderRateLimited(
            f"Airtable asked us to wait after a 429; {remaining:.0f} s left.",
            retry_after=remaining,
        )
    strategy = MovingWindowRateLimiter(_storage())
    item = parse(cfg["AIRTABLE_RATE_LIMIT"])
    deadline = time.monotonic() + cfg["PROVIDER_MAX_LIMITER_WAIT"]
    while not strategy.hit(item, PROVIDER, base_id):
        reset_at, _ = strategy.get_window_stats(item, PROVIDER, base_id)
        wait = max(0.005, reset_at - time.time()) + WINDOW_MARGIN
        if time.monotonic() + wait > deadline:
            raise ProviderRateLimited(
                "Airtable: our 5 requests/s budget for this base is used up.",
                retry_after=wait,
                status=None,
            )
        time.sleep(wait + random.uniform(0, 0.02))


class _Api(Api):
    """pyairtable's Api whose every request is throttled per base and logged."""

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
            endpoint = "records" if method.upper() == "GET" else "records.write"
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
    if status in (401, 403):
        return ProviderAuthError(
            f"Airtable refused the token (HTTP {status}): check the personal access "
            f"token and its access to the base. {message}".strip(),
            status=status,
        )
    if status == 404:
        return ProviderAuthError(
            "Airtable base or table not found: check the base id and table names.",
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


def first_record(token: str, base_id: str, table: str) -> dict | None:
    """One record of a table (a one-record list: a free check of the settings)."""
    api = _Api(token, base_id)
    try:
        return api.table(base_id, table).first()
    finally:
        api.session.close()


def list_records(token: str, base_id: str, table: str) -> list[dict]:
    """Every record of a table (paged by pyairtable)."""
    api = _Api(token, base_id)
    try:
        return api.table(base_id, table).all()
    finally:
        api.session.close()
