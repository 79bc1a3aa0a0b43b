"""The CSV enrichment job kind: its planning and rows batches, re-run and retry."""

from prospecting.providers import companies
from prospecting.providers import emails
from prospecting.services import jobs
from prospecting.services.enrichment.planner import ROWS
from prospecting.services.enrichment.planner import plan
from prospecting.services.enrichment.reruns import rerun_exactly
from prospecting.services.enrichment.reruns import rerun_failed
from prospecting.services.enrichment.uploads import KIND
from prospecting.services.enrichment.uploads import PLAN
from prospecting.services.enrichment.worker import process_rows

jobs.register(
    jobs.JobKind(
        name=KIND,
        label="CSV enrichment",
        unit="rows",
        batches=(
            jobs.BatchKind(PLAN, plan, jobs.Policy()),
            # Provider failures of one row fail that row (enrich_row); a rate
            # limit, refused credentials or a cap stop the batch.
            jobs.BatchKind(ROWS, process_rows, jobs.Policy()),
        ),
        page="enrichment.show",
        headline="enrichment/_headline.html",
        providers=(emails.PROVIDER, companies.PROVIDER),
        audit_fields={"file_sha256": "sha256"},
        rerun=rerun_exactly,
        retry=lambda job: rerun_failed(job.workspace_id, job.id),
    )
)
