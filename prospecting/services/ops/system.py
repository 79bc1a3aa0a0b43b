"""Whether the database and the queue answer, and how deep the queue is."""

import threading
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import text

from prospecting.extensions import db
from prospecting.extensions import huey


@dataclass
class QueueDepth:
    name: str
    storage: str
    pending: int | None = None
    scheduled: int | None = None
    error: str | None = None


def queue_depth() -> QueueDepth:
    """Pending and scheduled messages of the Huey queue, or why they are unknown."""
    depth = QueueDepth(
        name=huey.name, storage=current_app.config.get("HUEY_STORAGE", "?")
    )
    try:
        depth.pending = huey.pending_count()
        depth.scheduled = huey.scheduled_count()
    except Exception as exc:
        depth.error = f"The queue is unreachable ({type(exc).__name__})."
    return depth


@dataclass
class SystemStatus:
    database_ok: bool
    queue_ok: bool

    @property
    def ok(self) -> bool:
        return self.database_ok and self.queue_ok


def database_reachable() -> bool:
    """True when a fresh connection answers SELECT 1."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def queue_reachable() -> bool:
    """True when the queue storage answers."""
    try:
        huey.pending_count()
    except Exception:
        return False
    return True


_status_cache: dict[tuple, tuple[float, SystemStatus]] = {}
_status_lock = threading.Lock()


def system_status(*, max_age: float | None = None) -> SystemStatus:
    """Database and queue reachability, cached per process for a few seconds."""
    app = current_app._get_current_object()
    if max_age is None:
        max_age = app.config["OPS_STATUS_CACHE_SECONDS"]
    # A re-pointed queue or database (tests, re-init) gets a fresh check.
    key = (id(app), id(huey.storage), str(db.engine.url))
    now = time.monotonic()
    with _status_lock:
        cached = _status_cache.get(key)
    if cached and now - cached[0] < max_age:
        return cached[1]
    status = SystemStatus(database_ok=database_reachable(), queue_ok=queue_reachable())
    with _status_lock:
        _status_cache.clear()
        _status_cache[key] = (now, status)
    return status
