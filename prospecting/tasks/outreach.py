"""Tasks of creator outreach: the minute publisher and the dispatch batches."""

from huey import crontab

from prospecting.services import outreach
from prospecting.tasks import app_task
from prospecting.tasks import batch_task
from prospecting.tasks import enqueue_batches


@app_task(periodic=crontab(minute="*"))
def publish_outreach() -> None:
    """Turn due schedules into messages and enqueue their dispatch batches."""
    enqueue_batches(outreach.publish())


@batch_task(outreach.DISPATCH, retries=3, retry_delay=5, retry_backoff=2)
def dispatch_outreach_batch(batch_id: int) -> None:
    """Send one batch of messages through the sender, within caps."""
    outcome = outreach.dispatch_batch(batch_id)
    if outcome.retry_in is not None:
        dispatch_outreach_batch.schedule((batch_id,), delay=outcome.retry_in)
