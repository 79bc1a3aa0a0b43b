"""Huey tasks: the decorator states queue behaviour, the body calls one service.

Every batch of every kind runs through one task, `run_batch`: the batch runner
claims it, works it with its kind's work function and policy, and settles it; the
task schedules what the outcome asks for (a retry after a delay, the next page).
Areas keep their periodic tasks in modules of this package.
"""

import functools
import logging
import sqlite3

from flask import has_app_context
from huey import crontab

from prospecting.extensions import huey
from prospecting.services import jobs
from prospecting.services.jobs import runner

logger = logging.getLogger(__name__)


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


def batch_task(fn):
    """app_task taking a batch id that schedules what the returned Outcome asks:
    each (batch id, delay) is sent again after its delay."""
    task = None

    @functools.wraps(fn)
    def body(batch_id: int) -> None:
        outcome = fn(batch_id)
        for later_id, delay in outcome.later:
            if delay > 0:
                task.schedule((later_id,), delay=delay)
            else:
                task(later_id)

    task = app_task()(body)
    return task


@batch_task
def run_batch(batch_id: int) -> runner.Outcome:
    """Run one batch of any kind."""
    return runner.run(batch_id, dispatch=enqueue_batches)


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
    """Send one message per batch, after the rows are committed.

    The one rule for work that is already saved: when the queue cannot be
    reached, the batches not sent are marked (jobs.NOT_SENT) and the reaper
    sends them once it is back, so the job runs, once. Returns False then, for
    the caller to say so (NOT_SENT_NOTICE) rather than fail: a client told
    "error" would start the same paid work again.
    """
    batches = list(batches)
    for index, (batch_id, _kind) in enumerate(batches):
        try:
            run_batch(batch_id)
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


# How many queued messages the reaper reads to see whether a batch's is among them.
PEEK_MESSAGES = 100


def batch_message_queued() -> bool:
    """True when a batch's message may be waiting in the queue.

    Other messages do not count: the periodic tasks are queued together every
    minute, and a worker with fewer free threads than periodic tasks leaves some
    of them queued when the reaper asks, so "the queue is empty" could stay false
    for good and a batch whose message died with a killed worker (taken from the
    queue, never claimed) would never be sent again.
    """
    waiting = huey.pending_count()
    if waiting == 0:
        return False
    if waiting > PEEK_MESSAGES:
        return True
    return any(isinstance(task, run_batch.task_class) for task in huey.pending(waiting))


@app_task(periodic=crontab(minute="*"))
def reap_batches() -> None:
    """Re-enqueue batches whose worker died, whose lease expired or that were
    lost; finish done jobs."""
    reaped = jobs.reap(include_pending=not batch_message_queued())
    enqueue_batches(reaped.requeue)


from prospecting.tasks import contacts  # noqa: E402,F401
from prospecting.tasks import finder  # noqa: E402,F401
from prospecting.tasks import ops  # noqa: E402,F401
from prospecting.tasks import outreach  # noqa: E402,F401
from prospecting.tasks import searches  # noqa: E402,F401
