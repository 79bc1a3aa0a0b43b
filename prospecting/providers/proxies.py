"""The rotating proxy pool (the seed's ip_rotator) behind http.request.

Round robin over the healthy proxies of PROVIDER_PROXIES; a proxy we cannot connect
to cools down for PROXY_COOLDOWN_SECONDS and the request moves on to the next one.
Rotation and cooldown live in process memory, shared by the threads of one process
(each worker process rotates on its own); the counters are also added up in the
`proxy_health` table so the proxies page shows every process's traffic.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import requests
from flask import current_app
from flask import has_app_context
from sqlalchemy import insert
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from prospecting.extensions import db
from prospecting.models.base import utcnow
from prospecting.models.searches import ProxyHealth
from prospecting.providers.errors import ProviderUnavailable

logger = logging.getLogger(__name__)

# Failures that mean "this proxy is unreachable or refused to relay", not "the target
# answered badly": only these cool a proxy down and move the request to the next one.
PROXY_FAILURES = (requests.exceptions.ProxyError, requests.exceptions.ConnectTimeout)

_pools: dict[tuple, "ProxyPool"] = {}
_pools_lock = threading.Lock()


class NoHealthyProxy(ProviderUnavailable):
    """Every proxy of the pool is cooling down (or failed for this request)."""

    def __init__(self, message: str, *, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class ProxyState:
    url: str
    requests: int = 0
    failures: int = 0
    cooling_until: float = 0.0  # time.monotonic()
    last_error: str = ""

    @property
    def label(self) -> str:
        return mask(self.url)

    def cooling_for(self, now: float) -> float:
        return max(0.0, self.cooling_until - now)


class ProxyPool:
    """Round robin over healthy proxies; a failed one cools down for `cooldown` s."""

    def __init__(self, urls: list[str], *, cooldown: float):
        self.cooldown = cooldown
        self._states = [ProxyState(url) for url in urls]
        self._cursor = 0
        self._lock = threading.Lock()

    def choose(self, *, exclude=()) -> str:
        """The next healthy proxy not in `exclude`, counted as one request."""
        with self._lock:
            now = time.monotonic()
            n = len(self._states)
            for step in range(n):
                index = (self._cursor + step) % n
                state = self._states[index]
                if state.url in exclude or state.cooling_for(now):
                    continue
                self._cursor = index + 1
                state.requests += 1
                return state.url
            waits = [s.cooling_for(now) for s in self._states if s.cooling_for(now)]
        back = f"; the next is back in {min(waits):.0f} s" if waits else ""
        raise NoHealthyProxy(
            f"No healthy proxy: all {n} proxies failed to connect or are cooling "
            f"down{back}.",
            retry_after=min(waits) if waits else self.cooldown,
        )

    def failed(self, url: str, error: str) -> None:
        """Cool a proxy down after a connection failure."""
        with self._lock:
            state = self._state(url)
            state.failures += 1
            state.cooling_until = time.monotonic() + self.cooldown
            state.last_error = error[:255]
        logger.warning(
            "proxy %s failed (%s); cooling for %ss", mask(url), error, self.cooldown
        )

    def snapshot(self) -> list[dict]:
        """Counters of every proxy of this process's pool."""
        now = time.monotonic()
        with self._lock:
            return [
                {
                    "proxy": s.label,
                    "requests": s.requests,
                    "failures": s.failures,
                    "cooling_for": round(s.cooling_for(now), 1),
                    "last_error": s.last_error,
                }
                for s in self._states
            ]

    def _state(self, url: str) -> ProxyState:
        return next(s for s in self._states if s.url == url)


def pool_for(provider: str) -> ProxyPool | None:
    """The shared pool when `provider` opted in and proxies exist, else None."""
    cfg = current_app.config
    urls = cfg.get("PROVIDER_PROXIES") or []
    if not urls or provider not in (cfg.get("PROXY_PROVIDERS") or ()):
        return None
    return configured_pool()


def configured_pool() -> ProxyPool | None:
    """This process's pool for the configured proxies (None when there are none)."""
    cfg = current_app.config
    urls = list(cfg.get("PROVIDER_PROXIES") or [])
    if not urls:
        return None
    key = (tuple(urls), float(cfg["PROXY_COOLDOWN_SECONDS"]))
    with _pools_lock:
        if key not in _pools:
            _pools[key] = ProxyPool(urls, cooldown=key[1])
        return _pools[key]


def send_through(
    pool: ProxyPool, send: Callable[[str], requests.Response]
) -> requests.Response:
    """Call `send(proxy)` on the next healthy proxy; on a connect failure, the next."""
    tried: list[str] = []
    while True:
        proxy = pool.choose(exclude=tried)
        try:
            response = send(proxy)
        except PROXY_FAILURES as exc:
            error = _describe(exc)
            pool.failed(proxy, error)
            _persist(proxy, failed=True, error=error, cooldown=pool.cooldown)
            tried.append(proxy)
            continue
        _persist(proxy, failed=False, error=None, cooldown=pool.cooldown)
        return response


def mask(url: str) -> str:
    """A proxy URL without its password, safe to show and store."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, "", ""))


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timeout"
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Tunnel connection failed" in text:
        return "tunnel refused"
    return "could not connect to the proxy"


def _persist(url: str, *, failed: bool, error: str | None, cooldown: float) -> None:
    # Its own short transaction, like the call log: the counters must never break
    # (or ride on) the caller's unit of work.
    if not has_app_context():
        return
    now = utcnow()
    values = {
        "requests": ProxyHealth.requests + 1,
        "last_used_at": now,
        "updated_at": now,
    }
    if failed:
        values.update(
            failures=ProxyHealth.failures + 1,
            cooling_until=now + timedelta(seconds=cooldown),
            last_error=error,
        )
    label = mask(url)[:500]
    try:
        with db.engine.begin() as conn:
            done = conn.execute(
                update(ProxyHealth).where(ProxyHealth.proxy == label).values(**values)
            )
            if done.rowcount:
                return
        with db.engine.begin() as conn:
            conn.execute(
                insert(ProxyHealth).values(
                    proxy=label,
                    requests=1,
                    failures=1 if failed else 0,
                    cooling_until=values.get("cooling_until"),
                    last_error=error,
                    last_used_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:  # another process inserted the row first
        _persist(url, failed=failed, error=error, cooldown=cooldown)
    except Exception:
        logger.exception("could not record proxy health")
