"""Worker heartbeats: each worker process upserts its row every few seconds, and
the age of the last beat says whether it is alive, stale or gone."""

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from flask import current_app
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from prospecting.extensions import db
from prospecting.models import WorkerHeartbeat
from prospecting.models.base import utcnow


def worker_identity() -> tuple[str, str, int]:
    """This process's worker id (host:pid), host name and pid."""
    host = socket.gethostname()
    pid = os.getpid()
    return f"{host}:{pid}", host, pid


def beat(
    worker_id: str,
    *,
    hostname: str,
    pid: int,
    threads: int,
    queue: str,
    started_at: datetime,
) -> None:
    """Upsert a worker's heartbeat row (its own transaction)."""
    now = utcnow()
    values = {
        "hostname": hostname,
        "pid": pid,
        "threads": threads,
        "queue": queue,
        "started_at": started_at,
        "last_seen_at": now,
        "stopped_at": None,
    }
    try:
        with db.engine.begin() as conn:
            done = conn.execute(
                update(WorkerHeartbeat)
                .where(WorkerHeartbeat.worker_id == worker_id)
                .values(**values)
            )
            if not done.rowcount:
                conn.execute(
                    insert(WorkerHeartbeat).values(worker_id=worker_id, **values)
                )
    except IntegrityError:  # a concurrent first beat inserted the row
        with db.engine.begin() as conn:
            conn.execute(
                update(WorkerHeartbeat)
                .where(WorkerHeartbeat.worker_id == worker_id)
                .values(**values)
            )


def mark_stopped(worker_id: str) -> None:
    """Record a graceful stop, so the worker shows as gone at once."""
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            update(WorkerHeartbeat)
            .where(WorkerHeartbeat.worker_id == worker_id)
            .values(stopped_at=now, last_seen_at=now)
        )


def worker_state(
    last_seen_at: datetime,
    *,
    now: datetime,
    alive: float,
    stale: float,
    stopped: bool = False,
) -> str:
    """alive, stale or gone, by the age of the last heartbeat."""
    if stopped:
        return "gone"
    age = (now - last_seen_at).total_seconds()
    if age < alive:
        return "alive"
    if age < stale:
        return "stale"
    return "gone"


@dataclass
class WorkerStatus:
    worker: WorkerHeartbeat
    state: str
    age_seconds: int


def workers(*, now: datetime | None = None) -> list[WorkerStatus]:
    """Workers seen within OPS_WORKER_FORGET_HOURS, newest heartbeat first."""
    cfg = current_app.config
    now = now or utcnow()
    since = now - timedelta(hours=cfg["OPS_WORKER_FORGET_HOURS"])
    rows = db.session.scalars(
        select(WorkerHeartbeat)
        .where(WorkerHeartbeat.last_seen_at >= since)
        .order_by(WorkerHeartbeat.last_seen_at.desc())
    )
    return [
        WorkerStatus(
            worker=row,
            state=worker_state(
                row.last_seen_at,
                now=now,
                alive=cfg["OPS_WORKER_ALIVE_SECONDS"],
                stale=cfg["OPS_WORKER_STALE_SECONDS"],
                stopped=row.stopped_at is not None,
            ),
            age_seconds=max(0, int((now - row.last_seen_at).total_seconds())),
        )
        for row in rows
    ]
