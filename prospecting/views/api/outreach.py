"""Crawler ingestion and chatbot API (providers.md §7.4).

A success answers in the {code: 0, message: "success", data} envelope that the
crawlers already read; an error in the one error envelope of every JSON API
(prospecting.errors.error_body), the fields and rows at fault in its details."""

import functools

from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from prospecting import tasks
from prospecting.auth import token_required
from prospecting.errors import api_family
from prospecting.errors import error_response
from prospecting.security import parse_json
from prospecting.services import outreach
from prospecting.services.errors import ServiceError
from prospecting.services.errors import TooLarge
from prospecting.services.outreach import schemas
from prospecting.views.api import bp


def envelope(fn):
    """Answer the view's data in the crawlers' success envelope; a ServiceError
    answers in the one error envelope (the token and its role were checked by
    prospecting.auth.authorize)."""

    @api_family("ingest")
    @token_required
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            data, status = fn(*args, **kwargs)
        except ServiceError as exc:
            return error_response(
                exc.status_code, exc.message, code=exc.code, details=exc.details
            )
        return jsonify({"code": 0, "message": "success", "data": data}), status

    return wrapper


class EmptyBody(ServiceError):
    status_code = 400


def _body():
    """The JSON body, read within the ingest size limit."""
    limit = current_app.config["OUTREACH_INGEST_MAX_BYTES"]
    too_large = TooLarge(
        f"The request body is larger than {limit} bytes.", code="too_large"
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    try:
        raw = request.stream.read(limit + 1)
    except RequestEntityTooLarge as exc:
        raise too_large from exc
    if len(raw) > limit:
        raise too_large
    if not raw.strip():
        raise EmptyBody("The request body is empty; send JSON.", code="empty_body")
    return parse_json(raw)


def _rows_limit(body) -> None:
    rows = body.get("rows") if isinstance(body, dict) else None
    limit = current_app.config["OUTREACH_INGEST_MAX_ROWS"]
    if isinstance(rows, list) and len(rows) > limit:
        raise TooLarge(f"Send at most {limit} rows per request.", code="too_many_rows")


@bp.post("/samples/ingest")
@envelope
def ingest_samples():
    """Upsert sample rows (grouped by product), their creators and contents."""
    body = _body()
    _rows_limit(body)
    parsed = schemas.parse(schemas.SamplesIngest, body)
    result = outreach.ingest_samples(g.api_workspace_id, parsed)
    return {
        "inserted": result.rows,
        "products": result.products,
        "created": result.created,
        "updated": result.updated,
        "schedules": result.schedules,
    }, 200


@bp.post("/creators/ingest")
@envelope
def ingest_creators():
    """Upsert creators by platform + creator id."""
    body = _body()
    _rows_limit(body)
    parsed = schemas.parse(schemas.CreatorsIngest, body)
    result = outreach.ingest_creators(g.api_workspace_id, parsed)
    return {
        "inserted": result.rows,
        "created": result.created,
        "updated": result.updated,
    }, 200


@bp.post("/outreach_tasks/ingest")
@envelope
def ingest_task():
    """Upsert an outreach task by taskId, keeping unknown fields."""
    body = _body()
    parsed = schemas.parse(schemas.TasksIngest, body)
    task, action = outreach.ingest_task(g.api_workspace_id, parsed, body["task"])
    return {"taskId": task.task_id, "id": task.id, "action": action}, 200


@bp.post("/chatbot/messages")
@envelope
def chatbot_messages():
    """Queue each item's messages for its creator and enqueue their dispatch."""
    body = _body()
    items = schemas.parse_list(schemas.ChatItem, body)
    count, batches = outreach.queue_chat(g.api_workspace_id, items)
    data = {"count": len(items), "messages": count}
    if tasks.enqueue_batches(batches):
        return data, 200
    # Saved: the reaper sends them once the queue is back (tasks.enqueue_batches).
    return {**data, "notice": tasks.NOT_SENT_NOTICE}, 202
