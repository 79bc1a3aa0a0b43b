"""Latency, rate limits and injected faults shared by every sandbox provider."""

import hashlib
import json
import random
import threading
import time
from collections import deque

import orjson
from flask import Response
from flask import current_app
from flask import request

_lock = threading.Lock()
_windows: dict[str, deque] = {}
_overrides: dict = {}


def settings() -> dict:
    """Config, then runtime overrides (/sandbox/_config), then the X-Sandbox header."""
    merged = {**current_app.config["SANDBOX"], **_overrides}
    header = request.headers.get("X-Sandbox")
    if header:
        try:
            merged.update(json.loads(header))
        except ValueError:
            pass
    return merged


def set_overrides(values: dict) -> dict:
    """Replace the runtime overrides (used by tests and benchmarks)."""
    with _lock:
        _overrides.clear()
        _overrides.update(values)
        _windows.clear()
    return dict(_overrides)


def overrides() -> dict:
    return dict(_overrides)


def seed(*parts: str) -> int:
    """A stable integer from the request's inputs: same input, same answer."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _rate_limited(name: str, per_second: float) -> bool:
    now = time.monotonic()
    with _lock:
        window = _windows.setdefault(name, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= per_second:
            return True
        window.append(now)
        return False


def inject(
    name: str, *, error_body=None, rate_body=None, cfg: dict | None = None
) -> Response | None:
    """Apply latency and maybe return a fault response for provider `name`
    (`cfg`: the request's settings() when the view has read them already)."""
    if cfg is None:
        cfg = settings()
    if cfg.get("latency_ms"):
        time.sleep(cfg["latency_ms"] / 1000)
    retry_after = str(cfg.get("retry_after", 1))
    rate_body = rate_body or {"error": "Too many requests"}
    if cfg.get("rate_limit") and _rate_limited(name, cfg["rate_limit"]):
        return json_response(rate_body, 429, {"Retry-After": retry_after})
    roll = random.random()
    for key in ("rate_limit_rate", "error_rate", "timeout_rate", "malformed_rate"):
        rate = float(cfg.get(key) or 0)
        if roll < rate:
            return _fault(key, cfg, error_body, rate_body, retry_after)
        roll -= rate
    return None


def _fault(key, cfg, error_body, rate_body, retry_after) -> Response:
    if key == "rate_limit_rate":
        return json_response(rate_body, 429, {"Retry-After": retry_after})
    if key == "error_rate":
        return json_response(error_body or {"error": "Internal error"}, 503)
    if key == "timeout_rate":
        time.sleep(float(cfg.get("timeout_seconds", 15)))
        return json_response(error_body or {"error": "Gateway timeout"}, 504)
    return Response('{"truncated": ', status=200, mimetype="application/json")


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON answer, serialised by orjson (a quarter of jsonify's CPU; the
    sandbox answers every provider call of a benchmark)."""
    return Response(orjson.dumps(body), status, headers, mimetype="application/json")
