"""Periodic tasks of creator outreach."""

from huey import crontab

from prospecting.services import outreach
from prospecting.tasks import app_task
from prospecting.tasks import enqueue_batches


@app_task(periodic=crontab(minute="*"))
def publish_outreach() -> None:
    """Turn due schedules into messages and enqueue their dispatch batches."""
    enqueue_batches(outreach.publish())
