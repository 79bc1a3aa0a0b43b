"""Huey tasks: the decorator states queue behaviour, the body calls one service.

Each area keeps its tasks in a module of this package and registers the task that
runs each of its batch kinds, so the reaper and "retry" can re-send any batch.
"""

import functools
import logging

from flask import has_app_context
from huey import crontab
from huey.signals import SIGNAL_ERROR

from prospecting.extensions import huey
from prospecting.services import jobs

logger = logging.getLogger(__name__)

BATCH_TASKS = {}


def in_app_context(fn, *args, **kwargs):
    """Call fn inside the active app context, or a fresh one from the worker's app."""
    if has_app_context():
        return fn(*args, **kwargs)
    with huey.flask_app.app_context():
        return fn(*args, **kwargs)


def app_task(*, periodic=None, **opts):
    """huey.task (or periodic_task) whose body runs in a fresh app context."""

    def decorator(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            return in_app_context(fn, *args, **kwargs)

        if periodic is not None:
            return huey.periodic_task(periodic, **opts)(run)
        return huey.task(**opts)(run)

    return decorator


def batch_task(kind: str, **opts):
    """app_task taking a batch id, registered as the runner of batch `kind`."""

    def decorator(fn):
        task = app_task(**opts)(fn)
        BATCH_TASKS[kind] = task
        return task

    return decorator


def enqueue_batches(batches: list[tuple[int, str]]) -> None:
    """Send one message per batch, by batch kind, after the rows are committed."""
    for batch_id, kind in batches:
        BATCH_TASKS[kind](batch_id)


@app_task(periodic=crontab(minute="*"))
def reap_batches() -> None:
    """Re-enqueue batches whose lease expired (or were lost); finish done jobs."""
    reaped = jobs.reap(include_pending=huey.pending_count() == 0)
    enqueue_batches(reaped.requeue)


@huey.signal(SIGNAL_ERROR)
def on_task_error(signal, task, exc=None):
    """After the last retry of a batch task, mark the batch failed with the error."""
    batch_classes = tuple(t.task_class for t in BATCH_TASKS.values())
    if task.retries or not isinstance(task, batch_classes):
        return
    batch_id = task.args[0]
    message = f"{type(exc).__name__}: {exc}"
    logger.error("batch %s failed for good: %s", batch_id, message)
    in_app_context(jobs.fail_batch, batch_id, message)


from prospecting.tasks import contacts  # noqa: E402,F401
from prospecting.tasks import enrichment  # noqa: E402,F401
from prospecting.tasks import ops  # noqa: E402,F401
from prospecting.tasks import outreach  # noqa: E402,F401
from prospecting.tasks import prospects  # noqa: E402,F401
from prospecting.tasks import searches  # noqa: E402,F401
