"""The webhook delivery job kind, and the engine's job-end hook that emits
job.completed, job.failed and job.paused."""

from prospecting.services import jobs
from prospecting.services.webhooks.delivery import send
from prospecting.services.webhooks.events import KIND
from prospecting.services.webhooks.events import SEND
from prospecting.services.webhooks.events import job_event

jobs.register(
    jobs.JobKind(
        name=KIND,
        label="Webhook deliveries",
        unit="deliveries",
        # send() meets every receiver error itself (an attempt logged, a retry
        # scheduled); only a crash reaches the policy.
        batches=(jobs.BatchKind(SEND, send, jobs.Policy()),),
        page="webhooks.index",
    )
)
jobs.on_end(job_event)
