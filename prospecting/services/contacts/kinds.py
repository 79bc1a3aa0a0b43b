"""The contacts area's job kinds: the contact fetch by CIN, "Add to contacts" and
the Airtable sync."""

from prospecting.services import jobs
from prospecting.services.contacts.airtable_settings import AirtableNotConfigured
from prospecting.services.contacts.airtable_sync import COMPANIES
from prospecting.services.contacts.airtable_sync import CONTACTS
from prospecting.services.contacts.airtable_sync import KIND
from prospecting.services.contacts.airtable_sync import PLAN
from prospecting.services.contacts.airtable_sync import give_up_chunk
from prospecting.services.contacts.airtable_sync import plan
from prospecting.services.contacts.airtable_sync import sync_chunk
from prospecting.services.contacts.fetch import FETCH
from prospecting.services.contacts.fetch import KIND_FETCH
from prospecting.services.contacts.fetch import rerun_fetch
from prospecting.services.contacts.fetch import run_fetch
from prospecting.services.contacts.imports import CHUNK
from prospecting.services.contacts.imports import KIND as KIND_IMPORT
from prospecting.services.contacts.imports import rerun_import
from prospecting.services.contacts.imports import run_chunk

# A longer rate limit (Attestr's daily quota) fails the job instead of waiting.
MAX_FETCH_RETRY_WAIT = 600.0


jobs.register(
    jobs.JobKind(
        name=KIND_FETCH,
        label="Contact fetch",
        unit="contacts",
        batches=(
            jobs.BatchKind(
                FETCH,
                run_fetch,
                jobs.Policy(
                    rate_limit_max_wait=MAX_FETCH_RETRY_WAIT,
                    backoff=jobs.Backoff(base=2.0, cap=300.0),
                ),
            ),
        ),
        page="contacts.fetch_job",
        headline="contacts/_fetch_headline.html",
        providers=("attestr",),
        rerun=rerun_fetch,
    )
)


_CHUNK_POLICY = jobs.Policy(
    backoff=jobs.Backoff(base=2.0, cap=300.0),
    errors=jobs.RETRY,
    fatal=(AirtableNotConfigured,),
    give_up=give_up_chunk,
)

jobs.register(
    jobs.JobKind(
        name=KIND,
        label="Airtable sync",
        unit="records",
        batches=(
            jobs.BatchKind(PLAN, plan, jobs.Policy()),
            jobs.BatchKind(COMPANIES, sync_chunk, _CHUNK_POLICY),
            jobs.BatchKind(CONTACTS, sync_chunk, _CHUNK_POLICY),
        ),
        page="contacts.sync_job",
        providers=("airtable",),
    )
)


jobs.register(
    jobs.JobKind(
        name=KIND_IMPORT,
        label="Add to contacts",
        unit="rows",
        batches=(
            jobs.BatchKind(
                CHUNK, run_chunk, jobs.Policy(backoff=jobs.Backoff(base=2.0, cap=60.0))
            ),
        ),
        page="contacts.import_job",
        headline="contacts/_import_headline.html",
        rerun=rerun_import,
    )
)
