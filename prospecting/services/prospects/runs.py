"""Creating, reading and re-running prospect search jobs."""

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.services import jobs
from prospecting.services.prospects.account import active_account
from prospecting.services.prospects.account import search_api
from prospecting.services.prospects.criteria import API_LABELS
from prospecting.services.prospects.criteria import clean_request
from prospecting.services.prospects.criteria import provider_params

KIND = "prospect_search"
PAGE = "prospects.page"


def create_job(
    workspace_id: int,
    user_id: int | None,
    data: dict,
    *,
    location_titles: dict[str, str] | None = None,
) -> Job:
    """Create a queued search job and its first page batch (committed, not enqueued)."""
    account = active_account(workspace_id)
    source = data.get("search_source") if isinstance(data, dict) else None
    params = clean_request(data, default=source or search_api(account))
    criteria = params["criteria"]
    params.update(
        provider_params=provider_params(params["api"], criteria),
        account_id=account.account_id,
        location_titles={
            i: (location_titles or {}).get(i, i) for i in criteria["location"]
        },
    )
    what = criteria["keywords"] or criteria["title"] or "people"
    job = jobs.create(
        KIND,
        params,
        [jobs.NewBatch(PAGE, seq=1)],
        workspace_id=workspace_id,
        user_id=user_id,
        title=f"{what} · {API_LABELS[params['api']]} · {params['target']:,}",
        total=params["target"],
    )
    db.session.commit()
    return job


def get_job(workspace_id: int, job_id: str) -> Job:
    """A prospect search job of the workspace, or NotFound."""
    return jobs.get(workspace_id, job_id, kind=KIND)


def rerun_exactly(job: Job, user_id: int | None) -> Job:
    """A new search with the same criteria, source, target and cap (commits)."""
    params = job.params
    data = {
        "search_source": params["api"],
        "target_count": params["target"],
        "search_criteria": params["criteria"],
    }
    new = create_job(
        job.workspace_id,
        user_id,
        data,
        location_titles=params.get("location_titles"),
    )
    if "cost_cap" in params:
        new.params = {**new.params, "cost_cap": params["cost_cap"]}
        db.session.commit()
    return new
