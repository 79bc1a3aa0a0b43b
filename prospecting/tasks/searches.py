"""Periodic tasks of the people search."""

from huey import crontab

from prospecting.services import searches
from prospecting.tasks import app_task
from prospecting.tasks import enqueue_batches


@app_task(periodic=crontab(minute="*"))
def resume_stranded_searches() -> None:
    """Every minute, send again the steps of open searches whose message was lost."""
    enqueue_batches(searches.stranded_batches())
