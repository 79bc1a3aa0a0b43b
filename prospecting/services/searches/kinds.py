"""The people search job kind: its one step, how the step's failures are met,
its page and its re-run."""

from prospecting.extensions import db
from prospecting.models import PeopleSearch
from prospecting.models.searches import SEARCH_STATUS_OF_JOB
from prospecting.providers import reachstream
from prospecting.services import jobs
from prospecting.services.searches.runs import KIND
from prospecting.services.searches.runs import STEP
from prospecting.services.searches.runs import rerun_exactly
from prospecting.services.searches.steps import LABEL
from prospecting.services.searches.steps import advance


def _batch_unknown(run: jobs.Run, exc) -> str:
    ref = db.session.get(PeopleSearch, run.job_id).reachstream_batch_id
    return f"{LABEL} no longer knows batch {ref}; run the search again."


def _gave_up(run: jobs.Run, exc) -> jobs.Result:
    return jobs.Failed(
        f"Provider unavailable: {exc.message} Gave up after {run.attempts} "
        "attempts; run the search again later."
    )


jobs.register(
    jobs.JobKind(
        name=KIND,
        label="People search",
        unit="profiles",
        batches=(
            jobs.BatchKind(
                STEP,
                advance,
                # Errors count from the last answered poll; a poll that answers
                # "not ready" is progress, not a try.
                jobs.Policy(
                    attempts="REACHSTREAM_MAX_ERRORS",
                    backoff=jobs.Backoff(
                        base="REACHSTREAM_POLL_INITIAL", cap="REACHSTREAM_POLL_MAX"
                    ),
                    errors=jobs.RETRY,
                    not_found=_batch_unknown,
                    fatal=(reachstream.ProviderOutOfCredits,),
                    give_up=_gave_up,
                ),
            ),
        ),
        page="searches.show",
        headline="searches/_headline.html",
        providers=("reachstream",),
        rerun=rerun_exactly,
        api_statuses=SEARCH_STATUS_OF_JOB,
    )
)
