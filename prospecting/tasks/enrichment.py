"""Tasks of the CSV enrichment pipeline."""

from prospecting.services import enrichment
from prospecting.tasks import batch_task
from prospecting.tasks import enqueue_batches


@batch_task(enrichment.PLAN, retries=3, retry_delay=5, retry_backoff=2)
def plan_enrichment(batch_id: int) -> None:
    """Stream an uploaded file into rows and batches."""
    enrichment.plan(batch_id, dispatch=enqueue_batches)


@batch_task(enrichment.ROWS, retries=3, retry_delay=5, retry_backoff=2)
def process_enrichment_batch(batch_id: int) -> None:
    """Verify and enrich one batch of rows; a rate limit reschedules it."""
    outcome = enrichment.process_batch(batch_id)
    if outcome.retry_in is not None:
        process_enrichment_batch.schedule((batch_id,), delay=outcome.retry_in)
