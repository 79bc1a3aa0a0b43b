"""JSON API of the book's lists: list, create, read, change and delete them,
add and remove members (by ids or by a filter of the book), and export one.
Same token auth, error envelope and pagination as the rest of the API."""

from flask import jsonify

from prospecting import tasks
from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.services import exports
from prospecting.services import jobs
from prospecting.services import lists
from prospecting.services.errors import InvalidInput
from prospecting.views.api import bp
from prospecting.views.api import iso
from prospecting.views.api.book import _body
from prospecting.views.api.book import _id
from prospecting.views.api.book import _page_args
from prospecting.views.api.book import _pagination
from prospecting.views.responses import created
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options

LIST_FIELDS = ("name", "kind", "filter")


def list_body(found, size: int | None = None) -> dict:
    return {
        "id": found.id,
        "name": found.name,
        "kind": found.kind,
        "filter": found.filter if found.smart else None,
        "builtin": found.builtin,
        "contact_count": lists.count_members(found) if size is None else size,
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
    }


def _only(body: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not a field here (use {', '.join(allowed)}).",
            code="bad_field",
            details={"field": unknown[0]},
        )


@bp.get("/api/v1/lists")
@token_required
def list_lists():
    """The workspace's lists with their sizes, built-in first."""
    page, per_page = _page_args()
    rows = lists.lists_of(workspace_id())
    start = (page - 1) * per_page
    return jsonify(
        {
            "results": [list_body(f, n) for f, n in rows[start : start + per_page]],
            "pagination": _pagination(page, per_page, len(rows)),
        }
    )


@bp.post("/api/v1/lists")
@token_required
def create_list():
    """Add a static list, or a smart one saving `filter` (201)."""
    body = _body()
    _only(body, LIST_FIELDS)
    found = lists.create_list(
        workspace_id(), body.get("name"), body.get("kind", "static"), body.get("filter")
    )
    return jsonify(list_body(found, None)), 201


@bp.get("/api/v1/lists/<list_id>")
@token_required
def show_list(list_id: str):
    """One list (a smart list's size evaluated now); its people are
    `GET /api/v1/contacts?list_id=`."""
    return jsonify(list_body(lists.get_list(workspace_id(), _id(list_id, "list"))))


@bp.patch("/api/v1/lists/<list_id>")
@token_required
def update_list(list_id: str):
    """Rename a list or change a smart list's filter."""
    found = lists.get_list(workspace_id(), _id(list_id, "list"))
    body = _body()
    _only(body, ("name", "filter"))
    found = lists.update_list(
        workspace_id(),
        found.id,
        name=body.get("name"),
        filter_values=body.get("filter"),
    )
    return jsonify(list_body(found))


@bp.delete("/api/v1/lists/<list_id>")
@token_required
def delete_list(list_id: str):
    """Remove a list (its people stay in the book)."""
    lists.delete_list(workspace_id(), _id(list_id, "list"))
    return "", 204


def _list_first(list_id: str):
    """The list when `list_id` can be one (another workspace's is 404 before its
    body is read), else None: the body is read first, then the id is 404."""
    if list_id.isascii() and list_id.isdigit() and len(list_id) <= 9:
        return lists.get_list(workspace_id(), int(list_id))
    return None


def _members(list_id: str, action: str):
    found = _list_first(list_id)
    body = _body()
    _only(body, ("contact_ids", "filter"))
    if ("contact_ids" in body) == ("filter" in body):
        raise InvalidInput(
            'Send either {"contact_ids": [...]} or {"filter": {...}}.',
            code="bad_selection",
            details={"field": "contact_ids"},
        )
    ws = workspace_id()
    found = found or lists.get_list(ws, _id(list_id, "list"))
    if "filter" in body:
        ids = lists.selected_ids(ws, where=lists.filters.from_dict(body["filter"]))
    else:
        ids = lists.selected_ids(ws, ids=lists.check_ids(body["contact_ids"]))
    key = "added" if action == "add" else "removed"
    if not ids:
        return jsonify({key: 0, "matched": 0, "list": list_body(found)})
    outcome = lists.run(ws, None, ids, action=action, list_id=found.id)
    if outcome.job is not None:
        sent = tasks.enqueue_batches(jobs.open_batches(outcome.job.id))
        answer = {"job_id": outcome.job.id, "matched": len(ids), "status": "queued"}
        return created(answer, 202, sent=sent)
    return jsonify({key: outcome.count, "matched": len(ids), "list": list_body(found)})


@bp.post("/api/v1/lists/<list_id>/members")
@token_required
def add_list_members(list_id: str):
    """Put contacts on a static list: by ids, or every contact matching a filter
    (a job, 202, over a few hundred)."""
    return _members(list_id, "add")


@bp.delete("/api/v1/lists/<list_id>/members")
@token_required
def remove_list_members(list_id: str):
    """Take contacts off a static list, by ids or by a filter."""
    return _members(list_id, "remove")


@bp.get("/api/v1/lists/<list_id>/export")
@token_required
def export_list(list_id: str):
    """The list's people as CSV or XLSX (format, mode, columns)."""
    found = lists.get_list(workspace_id(), _id(list_id, "list"))
    opts = export_options()
    header, rows = lists.export_table(
        found.workspace_id, lists.member_ids_query(found), opts.columns
    )
    return export_download(exports.stream(header, rows, opts), opts, "list")
