"""The prospect search job kind: its page batches, how their failures are met
(a refused key disconnects the account), its page and its re-run."""

from prospecting.providers.errors import ProviderAuthError
from prospecting.services import jobs
from prospecting.services.prospects.account import disconnect
from prospecting.services.prospects.pages import fetch_page
from prospecting.services.prospects.runs import KIND
from prospecting.services.prospects.runs import PAGE
from prospecting.services.prospects.runs import rerun_exactly


def _disconnect_on_401(run: jobs.Run, exc: ProviderAuthError) -> None:
    if exc.status == 401:
        disconnect(run.job.workspace_id, exc.message)


jobs.register(
    jobs.JobKind(
        name=KIND,
        label="Prospect search",
        unit="prospects",
        batches=(
            jobs.BatchKind(
                PAGE,
                fetch_page,
                jobs.Policy(
                    attempts="PROSPECT_PAGE_ATTEMPTS",
                    backoff=jobs.Backoff(
                        base="PROSPECT_BACKOFF_SECONDS",
                        cap="PROSPECT_MAX_BACKOFF_SECONDS",
                    ),
                    rate_limit="backoff",
                    on_auth=_disconnect_on_401,
                ),
            ),
        ),
        page="prospects.show",
        headline="prospects/_headline.html",
        providers=("unipile",),
        rerun=rerun_exactly,
        # The seed's statuses: queued, processing, completed, failed.
        api_statuses={
            "running": "processing",
            "paused": "processing",
            "cancelled": "failed",
        },
    )
)
