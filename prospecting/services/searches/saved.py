"""Saved searches: a filter kept under a name and run again as new searches."""

from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import PeopleSearch
from prospecting.models import SavedSearch
from prospecting.models.base import utcnow
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.searches.runs import get
from prospecting.services.searches.runs import start


def save(workspace_id: int, search_id: str, name: str) -> SavedSearch:
    """Keep a search's filter under a name; the search becomes its first run."""
    search = get(workspace_id, search_id)
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise InvalidInput("Give the saved search a name (up to 120 characters).")
    exists = db.session.scalar(
        select(SavedSearch.id).where(
            SavedSearch.workspace_id == workspace_id, SavedSearch.name == name
        )
    )
    if exists:
        raise Conflict(f"A saved search named “{name}” already exists.")
    saved = SavedSearch(
        workspace_id=workspace_id,
        name=name,
        query_filter=search.query_filter,
        fetch_count=search.fetch_count,
        last_run_at=search.created_at,
    )
    db.session.add(saved)
    db.session.flush()
    if search.saved_search_id is None:
        search.saved_search_id = saved.id
    db.session.commit()
    return saved


def saved_searches(workspace_id: int) -> list[tuple[SavedSearch, PeopleSearch | None]]:
    """The workspace's saved searches, each with its latest run."""
    items = db.session.scalars(
        select(SavedSearch)
        .where(SavedSearch.workspace_id == workspace_id)
        .order_by(SavedSearch.name)
    ).all()
    return [(saved, _latest_run(saved.id)) for saved in items]


def _latest_run(saved_id: int) -> PeopleSearch | None:
    return db.session.scalar(
        select(PeopleSearch)
        .where(PeopleSearch.saved_search_id == saved_id)
        .order_by(PeopleSearch.created_at.desc())
        .limit(1)
    )


def get_saved(workspace_id: int, saved_id: int) -> SavedSearch:
    """A saved search of the workspace, or NotFound."""
    saved = db.session.get(SavedSearch, saved_id)
    if saved is None or saved.workspace_id != workspace_id:
        raise NotFound("No such saved search.")
    return saved


def run_saved(workspace_id: int, user_id: int | None, saved_id: int) -> PeopleSearch:
    """Run a saved filter again as a new search (the caller enqueues)."""
    saved = get_saved(workspace_id, saved_id)
    saved.last_run_at = utcnow()
    return start(
        workspace_id,
        user_id,
        saved.query_filter,
        saved.fetch_count,
        saved_search_id=saved.id,
    )


def delete_saved(workspace_id: int, saved_id: int) -> None:
    """Forget a saved search (its past runs stay)."""
    saved = get_saved(workspace_id, saved_id)
    db.session.execute(
        update(PeopleSearch)
        .where(PeopleSearch.saved_search_id == saved.id)
        .values(saved_search_id=None)
    )
    db.session.delete(saved)
    db.session.commit()
