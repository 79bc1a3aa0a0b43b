"""The finder area's job kinds: the bulk email finder (a one-off lookup from the
API is a job of the same kind without batches) and the freshness re-verification."""

from prospecting.services import jobs
from prospecting.services.finder import bulk
from prospecting.services.finder import freshness
from prospecting.services.finder.lookup import KIND

jobs.register(
    jobs.JobKind(
        name=KIND,
        label="Email finder",
        unit="people",
        batches=(
            jobs.BatchKind(
                bulk.ROWS, bulk.work, jobs.Policy(backoff=jobs.Backoff(2.0, 300.0))
            ),
        ),
        page="finder.job",
        headline="finder/_headline.html",
        providers=("emails", "hunter", "pdl", "companies"),
    )
)

jobs.register(
    jobs.JobKind(
        name=freshness.KIND,
        label="Re-verification",
        unit="contacts",
        batches=(
            jobs.BatchKind(
                freshness.ROWS,
                freshness.work,
                jobs.Policy(backoff=jobs.Backoff(2.0, 300.0)),
            ),
        ),
        page="finder.job",
        headline="finder/_headline.html",
        providers=("emails", "hunter"),
    )
)
