"""People search tasks: a step re-scheduled with backoff, and a safety net."""

from huey import crontab

from prospecting.services import searches
from prospecting.tasks import app_task
from prospecting.tasks import batch_task
from prospecting.tasks import enqueue_batches


@batch_task(searches.STEP, retries=3, retry_delay=5, retry_backoff=2)
def advance_people_search(batch_id: int) -> None:
    """Submit or poll one search; re-schedule itself while the provider is working."""
    outcome = searches.advance(batch_id)
    if outcome.retry_in is not None:
        advance_people_search.schedule((batch_id,), delay=outcome.retry_in)


@app_task(periodic=crontab(minute="*"))
def resume_stranded_searches() -> None:
    """Every minute, send again the steps of open searches whose message was lost."""
    enqueue_batches(searches.stranded_batches())
