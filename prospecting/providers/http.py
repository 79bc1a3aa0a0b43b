"""One HTTP session factory for every provider: timeouts, retries, limiter, call log.

Requests go out through urllib3 directly when requests would add nothing to
them (transport.py: the same retries, timeouts, headers, answers and errors),
else through the thread's requests session."""

import logging
import os
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from flask import current_app
from limits import parse
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting
from requests.utils import get_environ_proxies
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from prospecting import metering
from prospecting.providers import limiter
from prospecting.providers import proxies
from prospecting.providers import settings
from prospecting.providers import transport
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderError
from prospecting.providers.errors import ProviderNotConfigured
from prospecting.providers.errors import ProviderOutcomeUnknown
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable

logger = logging.getLogger(__name__)

TRANSIENT_STATUSES = (500, 502, 503, 504)
USER_AGENT = "Prospecting/1.0"

_local = threading.local()
_limiters: dict[str, object] = {}
_limiters_lock = threading.Lock()


class _ProviderSession(requests.Session):
    """A requests session that reads the environment's proxy settings once a
    host instead of on every request (requests looks them up, no_proxy matching
    included, for each call: a few percent of a worker's time)."""

    def __init__(self):
        super().__init__()
        self._environ_proxies: dict[tuple, dict] = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        if not self.trust_env:
            return super().merge_environment_settings(
                url, proxies, stream, verify, cert
            )
        no_proxy = proxies.get("no_proxy") if proxies is not None else None
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, no_proxy)
        found = self._environ_proxies.get(key)
        if found is None:
            found = get_environ_proxies(url, no_proxy=no_proxy)
            self._environ_proxies[key] = found
        if proxies is not None:
            for scheme, proxy in found.items():
                proxies.setdefault(scheme, proxy)
        if verify is True or verify is None:
            verify = (
                os.environ.get("REQUESTS_CA_BUNDLE")
                or os.environ.get("CURL_CA_BUNDLE")
                or verify
            )
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }


def _retry(cfg, *, connect_retries: int | None = None, billable: bool = False) -> Retry:
    # A worker never sleeps out a provider's Retry-After: a 429 comes straight back
    # and becomes a rescheduled task (ProviderRateLimited). 5xx get short backoff.
    # A billable request is retried only when it never left (connecting failed:
    # refused, DNS, connect timeout); a read error comes straight back and no
    # status is retried, since resending may pay twice.
    retries = cfg["PROVIDER_RETRIES"]
    return Retry(
        total=retries,
        connect=retries if connect_retries is None else connect_retries,
        read=False if billable else retries,
        status=0 if billable else retries,
        other=0 if billable else None,
        backoff_factor=cfg["PROVIDER_BACKOFF"],
        backoff_jitter=cfg["PROVIDER_BACKOFF"] / 2,
        status_forcelist=TRANSIENT_STATUSES,
        allowed_methods=None,  # any method: billable ones have read/status off
        respect_retry_after_header=False,
        raise_on_status=False,
    )


def _build_session(
    cfg, *, connect_retries: int | None = None, billable: bool = False
) -> requests.Session:
    retry = _retry(cfg, connect_retries=connect_retries, billable=billable)
    session = _ProviderSession()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def session(*, proxied: bool = False, billable: bool = False) -> requests.Session:
    """The calling thread's provider session (requests sessions are not thread-safe).

    The proxied session does not retry connecting: a proxy that cannot be reached
    is cooled down and the request moves on to the next proxy at once. The
    billable session retries only a connection that was never made.
    """
    name = ("proxied_" if proxied else "") + ("billable_" if billable else "")
    name += "session"
    s = getattr(_local, name, None)
    if s is None:
        s = _build_session(
            current_app.config,
            connect_retries=0 if proxied else None,
            billable=billable,
        )
        setattr(_local, name, s)
    return s


def _direct(billable: bool):
    """The calling thread's urllib3 pool for the direct path (transport.py), with
    the Retry of the session it stands in for."""
    name = "billable_direct" if billable else "direct"
    manager = getattr(_local, name, None)
    if manager is None:
        retry = _retry(current_app.config, billable=billable)
        manager = transport.pool(retry, USER_AGENT)
        setattr(_local, name, manager)
    return manager


def _proxied_hosts() -> dict:
    """Per thread: whether the environment sends a host through a proxy."""
    hosts = getattr(_local, "proxied_hosts", None)
    if hosts is None:
        hosts = _local.proxied_hosts = {}
    return hosts


def _limiter_for(provider: str):
    """The shared window of a provider's rule (limiter.py), or None without a rule."""
    cfg = current_app.config
    rule = cfg["PROVIDER_RATE_LIMITS"].get(provider)
    if not rule:
        return None
    storage = cfg["RATELIMIT_STORAGE_URL"]
    key = f"{storage}|{provider}|{rule}"
    with _limiters_lock:
        if key not in _limiters:
            item = parse(rule)
            amount, period = item.amount, float(item.get_expiry())
            window = limiter.window(storage, provider, amount, period)
            if window is None:
                logger.warning(
                    "%s: the limiter storage %r is neither Redis nor memory; "
                    "the provider's limit holds in each process only",
                    provider,
                    storage,
                )
                window = limiter.LocalWindow(amount, period)
            _limiters[key] = window
        return _limiters[key]


def acquire(provider: str) -> None:
    """Take a slot of the provider's shared window, sleeping until it comes (up to
    PROVIDER_MAX_LIMITER_WAIT), else ProviderRateLimited with the wait.

    One round trip to the limiter's storage a call: the window says when the
    slot is (limiter.py), nothing polls it while it is full.
    """
    window = _limiter_for(provider)
    if window is None:
        return
    grant = window.reserve(current_app.config["PROVIDER_MAX_LIMITER_WAIT"])
    if not grant.granted:
        raise ProviderRateLimited(
            f"{provider}: local rate limit reached",
            retry_after=max(grant.wait, 0.005),
            status=None,
        )
    if grant.wait > 0:
        time.sleep(grant.wait)


def retry_after_seconds(response: requests.Response, default: float = 30.0) -> float:
    """Seconds a 429 asks us to wait: Retry-After as seconds or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


def _send(
    provider: str, method: str, url: str, kwargs: dict, via=None, billable=False
) -> requests.Response:
    """Send directly, or through the proxy pool when the provider opted in to it;
    a caller's own session (`via`, e.g. netguard's pinned one) is used as it is."""
    if via is not None:
        return via.request(method, url, **kwargs)
    pool = None if "proxies" in kwargs else proxies.pool_for(provider)
    if pool is None:
        if transport.sendable(url, kwargs, _proxied_hosts()):
            return transport.send(_direct(billable), method, url, kwargs)
        return session(billable=billable).request(method, url, **kwargs)
    return proxies.send_through(
        pool,
        lambda proxy: session(proxied=True, billable=billable).request(
            method, url, proxies={"http": proxy, "https": proxy}, **kwargs
        ),
    )


def read_timeout(provider: str) -> float:
    """The provider's read timeout (PROVIDER_READ_TIMEOUTS, else the default)."""
    cfg = current_app.config
    per = cfg.get("PROVIDER_READ_TIMEOUTS") or {}
    return float(per.get(provider, cfg["PROVIDER_READ_TIMEOUT"]))


def sandbox_in_production(label: str, url: str | None) -> str | None:
    """The "not configured" message when production still points a provider at the
    sandbox, else None."""
    cfg = current_app.config
    if not cfg.get("PRODUCTION") or not settings.points_at_sandbox(cfg, url):
        return None
    return (
        f"{label} is not configured: its URL still points at the sandbox "
        f"({url}). Set the provider's URL and key."
    )


def request(
    provider: str,
    method: str,
    url: str,
    *,
    endpoint: str,
    label: str,
    passthrough: tuple[int, ...] = (),
    via: requests.Session | None = None,
    billable: bool = False,
    classify: "Callable[[requests.Response], str | None] | None" = None,
    **kwargs,
) -> requests.Response:
    """Send one provider request (limiter, retries, call log); map failures to errors.

    Returns the response for every status below 500 except 401/403/429, which raise.
    `label` names the provider in messages shown to users. Statuses listed in
    `passthrough` are returned as well, for clients that read the error body.
    `via` sends through the caller's session instead of the shared one.

    A `billable` request (one the provider may charge for, sent without an
    idempotency key) is retried only when it never reached the provider; after a
    read timeout, a dropped connection or a 5xx it raises ProviderOutcomeUnknown.
    `classify` may name what an answered call was for the call log (e.g.
    "waiting" for a poll's "not ready yet" 400, which is not an error).
    """
    cfg = current_app.config
    refusal = sandbox_in_production(label, url)
    if refusal:
        raise ProviderNotConfigured(refusal)
    job_id = metering.current_job()
    if job_id is not None:
        metering.check_cap(job_id, provider, endpoint)
    acquire(provider)
    kwargs.setdefault(
        "timeout", (cfg["PROVIDER_CONNECT_TIMEOUT"], read_timeout(provider))
    )
    started = time.perf_counter()
    status, attempts, error = None, 1, None
    try:
        response = _send(provider, method, url, kwargs, via, billable)
        status = response.status_code
        history = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        attempts = 1 + len(history)
        if classify is not None:
            error = classify(response)
    except proxies.NoHealthyProxy as exc:
        error = "no healthy proxy"
        raise proxies.NoHealthyProxy(
            f"{label} was not called. {exc.message}", retry_after=exc.retry_after
        ) from exc
    except requests.RequestException as exc:
        error, failure = _failure(exc, label, billable)
        raise failure from exc
    finally:
        latency = int((time.perf_counter() - started) * 1000)
        metering.record_call(
            provider, endpoint, method, status, latency, attempts, error
        )
    if response.status_code not in passthrough:
        _raise_for_status(response, label, billable=billable)
    return response


# What a billable call's user reads when it may have been charged.
MAY_BE_CHARGED = (
    "It may have been received and charged; sending it again may be charged again."
)


def _failure(
    exc: requests.RequestException, label: str, billable: bool
) -> tuple[str, ProviderError]:
    """The call log's error word and the provider error of a request that got no
    answer. Connecting failed ("could not connect", "timed out connecting"): the
    request never left. Anything later (a read timeout, a dropped connection) may
    have reached the provider: outcome unknown when the call is billable."""
    reason = _reason(exc)
    # NewConnectionError (refused, DNS) subclasses ConnectTimeoutError: ask first.
    if isinstance(reason, NewConnectionError):
        return "connection error", ProviderUnavailable(
            f"{label} could not connect ({_short(reason)})."
        )
    if isinstance(reason, ConnectTimeoutError):
        return "connect timeout", ProviderUnavailable(
            f"{label} timed out while connecting."
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls error", ProviderUnavailable(
            f"{label} could not set up a secure connection ({_short(reason)})."
        )
    if isinstance(reason, ReadTimeoutError) or isinstance(exc, requests.Timeout):
        word, what = "timeout", "timed out waiting for the answer"
    elif isinstance(exc, requests.ConnectionError):
        word, what = "connection dropped", "dropped the connection before answering"
    else:
        word, what = type(exc).__name__, f"request failed ({type(exc).__name__})"
    if billable:
        return word, ProviderOutcomeUnknown(
            f"Outcome unknown: {label} {what}. " + MAY_BE_CHARGED
        )
    return word, ProviderUnavailable(f"{label} {what}, after retries.")


def _reason(exc: BaseException):
    """The innermost urllib3 error behind a requests exception."""
    seen = exc
    for _ in range(5):
        inner = seen.args[0] if seen.args else None
        inner = getattr(inner, "reason", inner)
        if not isinstance(inner, BaseException) or inner is seen:
            return seen
        seen = inner
    return seen


def _short(exc) -> str:
    text = str(exc)
    for marker in (
        "Connection refused",
        "Name or service not known",
        "nodename nor servname",
        "Temporary failure in name resolution",
        "No route to host",
        "Network is unreachable",
        "certificate",
    ):
        if marker.lower() in text.lower():
            return marker.lower()
    return type(exc).__name__


def _raise_for_status(
    response: requests.Response, label: str, *, billable: bool = False
) -> None:
    status = response.status_code
    if status in (401, 403):
        raise ProviderAuthError(
            f"{label} refused the credentials (HTTP {status}): check the API key.",
            status=status,
        )
    if status == 429:
        raise ProviderRateLimited(
            f"{label} is rate limiting us (HTTP 429).",
            retry_after=retry_after_seconds(response),
        )
    if status >= 500 and billable:
        raise ProviderOutcomeUnknown(
            f"Outcome unknown: {label} answered HTTP {status}. {MAY_BE_CHARGED}",
            status=status,
        )
    if status >= 500:
        raise ProviderUnavailable(
            f"{label} is unavailable (HTTP {status}) after retries.", status=status
        )


def json_body(response: requests.Response, label: str):
    """The response's JSON, or ProviderBadResponse naming the provider."""
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderBadResponse(
            f"{label} sent a response that is not valid JSON.",
            status=response.status_code,
        ) from exc


__all__ = [
    "ProviderError",
    "acquire",
    "json_body",
    "read_timeout",
    "request",
    "retry_after_seconds",
    "session",
]
