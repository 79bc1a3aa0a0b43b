"""Periodic tasks: the registered schedules, their next run, and a record of
each run's start and end."""

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.models import PeriodicRun
from prospecting.models.base import utcnow
from prospecting.services.errors import NotFound


@dataclass
class PeriodicTaskInfo:
    name: str
    label: str
    last: PeriodicRun | None
    next_run_at: datetime | None


def task_name(task_class) -> str:
    """The registry name of a task class (module.function)."""
    return huey._registry.task_to_string(task_class)


def periodic_task_classes() -> list[type]:
    """Every registered periodic task class."""
    return list(huey._registry._periodic_tasks)


def periodic_task_class(name: str) -> type:
    """The periodic task class of that name, or NotFound."""
    for task_class in periodic_task_classes():
        if task_name(task_class) == name:
            return task_class
    raise NotFound("No such periodic task.")


def next_run(task_class, now: datetime, *, horizon_days: int = 8) -> datetime | None:
    """The next minute at which the task's schedule fires, within the horizon."""
    task = task_class()
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(horizon_days * 24 * 60):
        if task.validate_datetime(minute):
            return minute
        minute += timedelta(minutes=1)
    return None


def periodic_tasks(*, now: datetime | None = None) -> list[PeriodicTaskInfo]:
    """Periodic tasks with their last recorded run and their next run."""
    now = now or utcnow()
    runs = {r.task_name: r for r in db.session.scalars(select(PeriodicRun))}
    items = []
    for task_class in periodic_task_classes():
        name = task_name(task_class)
        items.append(
            PeriodicTaskInfo(
                name=name,
                label=task_class.__name__,
                last=runs.get(name),
                next_run_at=next_run(task_class, now),
            )
        )
    return sorted(items, key=lambda i: i.name)


def record_periodic_start(name: str) -> None:
    """Record that a periodic task started (its own transaction)."""
    now = utcnow()
    values = {
        "last_run_at": now,
        "last_finished_at": None,
        "last_status": "running",
        "last_error": None,
    }
    try:
        with db.engine.begin() as conn:
            done = conn.execute(
                update(PeriodicRun)
                .where(PeriodicRun.task_name == name)
                .values(run_count=PeriodicRun.run_count + 1, **values)
            )
            if not done.rowcount:
                conn.execute(
                    insert(PeriodicRun).values(task_name=name, run_count=1, **values)
                )
    except IntegrityError:  # another worker's first run inserted the row
        record_periodic_start(name)


def record_periodic_end(name: str, *, error: str | None = None) -> None:
    """Record how a periodic task's run ended."""
    with db.engine.begin() as conn:
        conn.execute(
            update(PeriodicRun)
            .where(PeriodicRun.task_name == name)
            .values(
                last_finished_at=utcnow(),
                last_status="error" if error else "ok",
                last_error=error and error[-4000:],
            )
        )
