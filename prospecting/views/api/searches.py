"""JSON API of the people search (providers.md §7.1)."""

from flask import current_app
from flask import jsonify
from flask import request
from flask import url_for

from prospecting import tasks
from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.services import jobs
from prospecting.services import searches
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.views.api import bp
from prospecting.views.api import iso
from prospecting.views.responses import created


def _search_body(search) -> dict:
    return {
        "id": search.id,
        "status": search.status,
        "query_filter": search.query_filter,
        "fetch_count": search.fetch_count,
        "reachstream_batch_id": search.reachstream_batch_id,
        "error_message": search.error_message,
        "created_at": iso(search.created_at),
        "completed_at": iso(search.completed_at),
    }


def _profile_body(profile) -> dict:
    return {
        "id": profile.id,
        "full_name": profile.full_name,
        "job_title": profile.job_title,
        "company_name": profile.company_name,
        "email": profile.email,
        "linkedin_url": profile.linkedin_url,
        "raw_data": profile.raw_data,
        "created_at": iso(profile.created_at),
    }


@bp.post("/api/v1/people-search/")
@token_required
def create_people_search():
    """Start a people search from a provider filter object (+ optional fetch_count)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            'Send a JSON object, e.g. {"job_title": ["CTO"], "fetch_count": 25}.',
            code="bad_filter",
        )
    body = dict(body)
    fetch_count = body.pop("fetch_count", None)
    raw_filter = body.pop("filter") if isinstance(body.get("filter"), dict) else body
    search = searches.start(workspace_id(), None, raw_filter, fetch_count)
    # The answer describes the search as created; the worker may move it on at once.
    body = _search_body(search)
    sent = tasks.enqueue_batches(jobs.open_batches(search.id))
    return created(body, 201, sent=sent)


@bp.get("/api/v1/people-search/<search_id>/")
@token_required
def show_people_search(search_id: str):
    """A search with its current status."""
    return jsonify(_search_body(searches.get(workspace_id(), search_id)))


@bp.get("/api/v1/people-search/<search_id>/results/")
@token_required
def people_search_results(search_id: str):
    """A page of the search's profiles: count, next, previous, results."""
    search = searches.get(workspace_id(), search_id)
    raw = request.args.get("page", "1")
    # isdigit() alone lets "²" through to int(); nine digits keep OFFSET in range.
    page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0
    if page < 1:
        raise InvalidInput("page must be a whole number from 1.", code="bad_page")
    per_page = current_app.config["SEARCH_API_PAGE_SIZE"]
    rows, total = searches.profiles_page(search.id, page=page, per_page=per_page)
    if page > 1 and not rows:
        raise NotFound("Invalid page.", code="bad_page")

    def link(number: int) -> str:
        return url_for(
            "api.people_search_results",
            search_id=search.id,
            page=number,
            _external=True,
        )

    return jsonify(
        {
            "count": total,
            "next": link(page + 1) if page * per_page < total else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": [_profile_body(p) for p in rows],
        }
    )
