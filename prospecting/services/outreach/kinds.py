"""The outreach dispatch job kind."""

from prospecting.services import jobs
from prospecting.services.outreach.dispatch import DISPATCH
from prospecting.services.outreach.dispatch import KIND
from prospecting.services.outreach.dispatch import dispatch_batch

jobs.register(
    jobs.JobKind(
        name=KIND,
        label="Outreach dispatch",
        unit="messages",
        # Each message meets its own errors (deferred, retried, failed); only a
        # cost cap stops the batch.
        batches=(jobs.BatchKind(DISPATCH, dispatch_batch, jobs.Policy()),),
        page="outreach.messages",
        providers=("sender",),
    )
)
