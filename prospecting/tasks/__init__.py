"""Huey tasks: the decorator states queue behaviour, the body calls one service.

Each area keeps its tasks in a module of this package and registers the task that
runs each of its batch kinds, so the reaper and "retry" can re-send any batch.
"""

import functools
import logging
import sqlite3

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


def _queue_errors() -> tuple[type[Exception], ...]:
    errors: tuple[type[Exception], ...] = (sqlite3.OperationalError,)
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # the embedded default runs without redis installed
        return errors
    return (*errors, RedisConnectionError, RedisTimeoutError)


# What the queue's storage raises when it cannot be reached.
QUEUE_ERRORS = _queue_errors()
NOT_SENT_NOTICE = (
    "The job is saved, but the queue cannot be reached right now: it starts by "
    "itself once the queue is back. Do not start it again."
)


def enqueue_batches(batches: list[tuple[int, str]]) -> bool:
    """Send one message per batch, by batch kind, after the rows are committed.

    The one rule for work that is already saved: when the queue cannot be
    reached, the batches not sent are marked (jobs.NOT_SENT) and the reaper
    sends them once it is back, so the job runs, once. Returns False then, for
    the caller to say so (NOT_SENT_NOTICE) rather than fail: a client told
    "error" would start the same paid work again.
    """
    batches = list(batches)
    for index, (batch_id, kind) in enumerate(batches):
        try:
            BATCH_TASKS[kind](batch_id)
        except QUEUE_ERRORS as exc:
            unsent = [b for b, _ in batches[index:]]
            logger.warning(
                "queue unreachable (%s): %d batch(es) left for the reaper",
                exc,
                len(unsent),
            )
            in_app_context(jobs.mark_not_sent, unsent)
            return False
    return True


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
