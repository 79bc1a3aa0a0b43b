"""Periodic tasks of the finder area."""

from huey import crontab

from prospecting.services import jobs
from prospecting.services.finder import freshness
from prospecting.tasks import app_task
from prospecting.tasks import enqueue_batches


@app_task(periodic=crontab(minute="17", hour="3"))
def periodic_reverification() -> None:
    """Re-verify, once a day, the contacts whose verification went stale."""
    for job in freshness.due_jobs():
        enqueue_batches(jobs.open_batches(job.id))
