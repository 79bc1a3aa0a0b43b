"""The lists area's job kind (a bulk action over many contacts) and its
job-end hooks: a bulk list change announced once, an import that names a list
filling it, and the "Went bad" list kept for a re-verification that found some."""

from prospecting.models import Job
from prospecting.services import jobs
from prospecting.services.finder import freshness
from prospecting.services.lists import bulk
from prospecting.services.lists.imports import import_ended
from prospecting.services.lists.lists import ensure_went_bad

jobs.register(
    jobs.JobKind(
        name=bulk.KIND,
        label="Bulk action",
        unit="contacts",
        batches=(jobs.BatchKind(bulk.CHUNK_KIND, bulk.work, jobs.Policy()),),
        page="lists.job",
        headline="lists/_headline.html",
    )
)


def went_bad_ended(job: Job) -> None:
    """A re-verification that found bad addresses makes sure the workspace has
    its "Went bad" list."""
    if job.kind == freshness.KIND and job.failed_count:
        ensure_went_bad(job.workspace_id)


jobs.on_end(bulk.job_ended)
jobs.on_end(import_ended)
jobs.on_end(went_bad_ended)
