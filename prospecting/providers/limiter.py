"""The shared rate limiter of provider calls: a moving window of N calls a period,
kept in Redis for every worker process (or in process memory without Redis).

A call reserves the earliest moment the window lets it go (now, or when the
call N grants back leaves the window) in one round trip, then sleeps until
then: no polling while the window is full, one Redis call a grant. A call whose
moment is further away than the caller will wait reserves nothing and learns
how long to wait instead.

While the window is full, grants are also spaced by period / N: without that,
the burst that filled an empty window comes back whole at every period (N calls
at one moment, once a second), and the few milliseconds by which our clock and
the provider's disagree put a call or two of each burst into the provider's
previous window, which answers 429. A window with room grants at once (spacing
calls that the limit does not hold back would only slow them: 8 % at 200 a
second).
"""

import threading
import time
from collections import deque
from dataclasses import dataclass

import redis

# KEYS[1]: the granted moments (ms, newest first, at most `limit`).
# ARGV: limit, period (ms), longest wait (ms). Returns {granted 0/1, wait ms}
# as strings (Redis turns Lua numbers into integers).
_RESERVE = """
local limit, period, most = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local at = now
if redis.call('LLEN', KEYS[1]) >= limit then
  local oldest = tonumber(redis.call('LINDEX', KEYS[1], limit - 1))
  if oldest + period > now then
    local newest = tonumber(redis.call('LINDEX', KEYS[1], 0))
    at = math.max(oldest + period, newest + period / limit)
  end
end
local wait = at - now
if wait > most then
  return {'0', string.format('%.3f', wait)}
end
redis.call('LPUSH', KEYS[1], string.format('%.3f', at))
redis.call('LTRIM', KEYS[1], 0, limit - 1)
redis.call('PEXPIRE', KEYS[1], math.ceil(wait + period) + 1000)
return {'1', string.format('%.3f', wait)}
"""


@dataclass(frozen=True)
class Grant:
    granted: bool
    wait: float  # seconds until the reserved moment, or until one would be free


class RedisWindow:
    """The window of one provider's rule, shared through Redis."""

    def __init__(self, client: redis.Redis, key: str, limit: int, period: float):
        self.key, self.limit, self.period_ms = key, limit, period * 1000
        self.script = client.register_script(_RESERVE)

    def reserve(self, most: float) -> Grant:
        granted, wait = self.script(
            keys=[self.key], args=[self.limit, self.period_ms, most * 1000]
        )
        return Grant(granted == b"1", float(wait) / 1000)


class LocalWindow:
    """The same window in process memory (tests, a single process without Redis)."""

    def __init__(self, limit: int, period: float):
        self.limit, self.period = limit, period
        self.granted: deque[float] = deque(maxlen=limit)
        self.lock = threading.Lock()

    def reserve(self, most: float) -> Grant:
        with self.lock:
            now = time.monotonic()
            at = now
            if len(self.granted) >= self.limit and self.granted[0] + self.period > now:
                at = max(
                    self.granted[0] + self.period,
                    self.granted[-1] + self.period / self.limit,
                )
            if at - now > most:
                return Grant(False, at - now)
            self.granted.append(at)
            return Grant(True, at - now)


_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def window(storage_url: str, provider: str, limit: int, period: float):
    """The window of a provider's rule on the limiter storage (redis:// or
    rediss:// URLs share it between processes; memory:// keeps it in this one);
    None for another kind of storage."""
    scheme = storage_url.split(":", 1)[0]
    if scheme == "memory":
        return LocalWindow(limit, period)
    if scheme not in ("redis", "rediss", "unix"):
        return None
    with _clients_lock:
        client = _clients.get(storage_url)
        if client is None:
            client = _clients[storage_url] = redis.Redis.from_url(storage_url)
    key = f"prospecting:limiter:{provider}:{limit}/{period:g}s"
    return RedisWindow(client, key, limit, period)
