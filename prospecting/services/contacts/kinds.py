"""The contacts area's job kind: the contact fetch by CIN."""

from prospecting.services import jobs
from prospecting.services.contacts.fetch import FETCH
from prospecting.services.contacts.fetch import KIND_FETCH
from prospecting.services.contacts.fetch import rerun_fetch
from prospecting.services.contacts.fetch import run_fetch

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
