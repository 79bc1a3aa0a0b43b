"""Huey tasks: the decorator states queue behaviour, the body calls one service."""

import functools
import logging

from flask import has_app_context
from huey import crontab
from huey.signals import SIGNAL_ERROR

from prospecting.extensions import huey
from prospecting.services import enrichment
from prospecting.services import jobs

logger = logging.getLogger(__name__)


def app_task(*, periodic=None, **opts):
    """huey.task (or periodic_task) whose body runs in a fresh app context."""

    def decorator(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            if has_app_context():
                return fn(*args, **kwargs)
            with huey.flask_app.app_context():
                return fn(*args, **kwargs)

        if periodic is not None:
            return huey.periodic_task(periodic, **opts)(run)
        return huey.task(**opts)(run)

    return decorator


def enqueue_batches(batches: list[tuple[int, str]]) -> None:
    """Send one message per batch, by batch kind, after the rows are committed."""
    for batch_id, kind in batches:
        BATCH_TASKS[kind](batch_id)


@app_task(retries=3, retry_delay=5, retry_backoff=2)
def plan_enrichment(batch_id: int) -> None:
    """Stream an uploaded file into rows and batches."""
    enrichment.plan(batch_id, dispatch=enqueue_batches)


@app_task(retries=3, retry_delay=5, retry_backoff=2)
def process_enrichment_batch(batch_id: int) -> None:
    """Verify and enrich one batch of rows; a rate limit reschedules it."""
    outcome = enrichment.process_batch(batch_id)
    if outcome.retry_in is not None:
        process_enrichment_batch.schedule((batch_id,), delay=outcome.retry_in)


BATCH_TASKS = {
    enrichment.PLAN: plan_enrichment,
    enrichment.ROWS: process_enrichment_batch,
}


@app_task(periodic=crontab(minute="*"))
def reap_batches() -> None:
    """Re-enqueue batches whose lease expired (or that were lost) and finish done jobs."""
    reaped = jobs.reap(include_pending=huey.pending_count() == 0)
    enqueue_batches(reaped.requeue)


@huey.signal(SIGNAL_ERROR)
def on_task_error(signal, task, exc=None):
    """After the last retry of a batch task, mark the batch failed with the error."""
    if task.retries or task.name not in {t.name for t in BATCH_TASKS.values()}:
        return
    batch_id = task.args[0]
    message = f"{type(exc).__name__}: {exc}"
    logger.error("batch %s failed for good: %s", batch_id, message)
    with huey.flask_app.app_context():
        jobs.fail_batch(batch_id, message)
