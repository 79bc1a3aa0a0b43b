"""Tasks of the LinkedIn prospect search: one task run per provider page."""

from prospecting.services import prospects
from prospecting.tasks import batch_task


@batch_task(prospects.PAGE, retries=3, retry_delay=5, retry_backoff=2)
def fetch_prospect_page(batch_id: int) -> None:
    """Fetch and store one page; schedule a retry after a 429, or the next page."""
    outcome = prospects.fetch_page(batch_id)
    if outcome.retry_in is not None:
        fetch_prospect_page.schedule((batch_id,), delay=outcome.retry_in)
    if outcome.next_batch_id is not None:
        fetch_prospect_page.schedule((outcome.next_batch_id,), delay=outcome.next_in)
