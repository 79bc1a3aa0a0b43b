"""Huey tasks: the decorator states queue behaviour, the body calls one service.

Every batch of every kind runs through one task, `run_batch`: the batch runner
claims it, works it with its kind's work function and policy, and settles it; the
task schedules what the outcome asks for (a retry after a delay, the next page).
Areas keep their periodic tasks in modules of this package.
"""

import functools

from flask import has_app_context
from huey import crontab

from prospecting.extensions import huey
from prospecting.services import jobs
from prospecting.services.jobs import runner


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


def enqueue_batches(batches: list[tuple[int, str]]) -> None:
    """Send one message per batch, after the rows are committed."""
    for batch_id, _kind in batches:
        run_batch(batch_id)


@app_task(periodic=crontab(minute="*"))
def reap_batches() -> None:
    """Re-enqueue batches whose worker died, whose lease expired or that were
    lost; finish done jobs."""
    reaped = jobs.reap(include_pending=huey.pending_count() == 0)
    enqueue_batches(reaped.requeue)


from prospecting.tasks import contacts  # noqa: E402,F401
from prospecting.tasks import ops  # noqa: E402,F401
from prospecting.tasks import outreach  # noqa: E402,F401
from prospecting.tasks import searches  # noqa: E402,F401
