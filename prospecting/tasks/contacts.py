"""Tasks of the contacts area: contact fetch by CIN and the Airtable sync."""

from huey import crontab

from prospecting.services import airtable_sync
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.tasks import app_task
from prospecting.tasks import batch_task
from prospecting.tasks import enqueue_batches


@batch_task(contacts.FETCH, retries=3, retry_delay=5, retry_backoff=2)
def fetch_company_contacts(batch_id: int) -> None:
    """Fetch a company's contacts by CIN into the contact book."""
    outcome = contacts.run_fetch(batch_id)
    if outcome.retry_in is not None:
        fetch_company_contacts.schedule((batch_id,), delay=outcome.retry_in)


@batch_task(airtable_sync.PLAN, retries=3, retry_delay=5, retry_backoff=2)
def plan_airtable_sync(batch_id: int) -> None:
    """Cut the pending companies and contacts into chunks and enqueue them."""
    airtable_sync.plan(batch_id, dispatch=enqueue_batches)


@batch_task(airtable_sync.COMPANIES, retries=3, retry_delay=5, retry_backoff=2)
def sync_airtable_companies(batch_id: int) -> None:
    """Upsert one chunk of companies; a 429 reschedules it after the lockout."""
    outcome = airtable_sync.sync_chunk(batch_id)
    if outcome.retry_in is not None:
        sync_airtable_companies.schedule((batch_id,), delay=outcome.retry_in)


@batch_task(airtable_sync.CONTACTS, retries=3, retry_delay=5, retry_backoff=2)
def sync_airtable_contacts(batch_id: int) -> None:
    """Upsert one chunk of contacts; a 429 reschedules it after the lockout."""
    outcome = airtable_sync.sync_chunk(batch_id)
    if outcome.retry_in is not None:
        sync_airtable_contacts.schedule((batch_id,), delay=outcome.retry_in)


@app_task(periodic=crontab(minute="*"))
def periodic_airtable_sync() -> None:
    """Start the Airtable sync of workspaces whose sync interval has elapsed."""
    for job in airtable_sync.due_periodic_syncs():
        enqueue_batches(jobs.open_batches(job.id))
