"""Starting, re-running and reading people searches (one job and one step each)."""

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import PeopleSearch
from prospecting.services import jobs
from prospecting.services.errors import NotFound
from prospecting.services.searches.filters import describe
from prospecting.services.searches.filters import normalise_filter
from prospecting.services.searches.filters import parse_fetch_count

KIND = "people_search"
STEP = "searches.people"


def start(
    workspace_id: int,
    user_id: int | None,
    raw_filter,
    fetch_count=None,
    *,
    saved_search_id: int | None = None,
) -> PeopleSearch:
    """Create the search, its job and its first step in one commit; caller enqueues."""
    query = normalise_filter(raw_filter)
    count = parse_fetch_count(fetch_count)
    job = jobs.create(
        KIND,
        {"filter": query, "fetch_count": count},
        [jobs.NewBatch(STEP)],
        workspace_id=workspace_id,
        user_id=user_id,
        title=describe(query),
        total=count,
    )
    search = PeopleSearch(
        id=job.id,
        workspace_id=workspace_id,
        saved_search_id=saved_search_id,
        query_filter=query,
        fetch_count=count,
    )
    db.session.add(search)
    db.session.commit()
    return search


def get(workspace_id: int, search_id: str) -> PeopleSearch:
    """A search of the workspace, or NotFound (also for another workspace's)."""
    search = db.session.get(PeopleSearch, str(search_id)) if search_id else None
    if search is None or search.workspace_id != workspace_id:
        raise NotFound("No such search.")
    return search


def recent(workspace_id: int, *, limit: int = 20) -> list[PeopleSearch]:
    """The workspace's newest searches."""
    return list(
        db.session.scalars(
            select(PeopleSearch)
            .where(PeopleSearch.workspace_id == workspace_id)
            .order_by(PeopleSearch.created_at.desc())
            .limit(limit)
        )
    )


def rerun_exactly(job: Job, user_id: int | None) -> Job:
    """A new search with the same filter, count and cap (commits)."""
    search = start(
        job.workspace_id, user_id, job.params["filter"], job.params["fetch_count"]
    )
    new = db.session.get(Job, search.id)
    if "cost_cap" in job.params:
        new.params = {**new.params, "cost_cap": job.params["cost_cap"]}
    db.session.commit()
    return new
