"""Periodic tasks of the contacts area."""

from huey import crontab

from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.tasks import app_task
from prospecting.tasks import enqueue_batches


@app_task(periodic=crontab(minute="*"))
def periodic_airtable_sync() -> None:
    """Start the Airtable sync of workspaces whose sync interval has elapsed."""
    for job in contacts.due_periodic_syncs():
        enqueue_batches(jobs.open_batches(job.id))
