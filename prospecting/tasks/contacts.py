"""Periodic tasks of the contacts area."""

from huey import crontab

from prospecting.services import airtable_sync
from prospecting.services import jobs
from prospecting.tasks import app_task
from prospecting.tasks import enqueue_batches


@app_task(periodic=crontab(minute="*"))
def periodic_airtable_sync() -> None:
    """Start the Airtable sync of workspaces whose sync interval has elapsed."""
    for job in airtable_sync.due_periodic_syncs():
        enqueue_batches(jobs.open_batches(job.id))
