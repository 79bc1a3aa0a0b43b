"""Crawler ingestion and chatbot API (providers.md §7.4), in the {code, message, data}
envelope that the crawlers already speak."""

import functools

from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from prospecting import tasks
from prospecting.auth import token_required
from prospecting.errors import json_envelope
from prospecting.security import parse_json
from prospecting.services import outreach
from prospecting.services.errors import ServiceError
from prospecting.services.outreach import schemas
from prospecting.views.api import bp


class ApiFailure(Exception):
    """An error answered in the envelope with its HTTP status."""

    def __init__(self, status: int, message: str, errors=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def _fail(status: int, message: str, errors=None):
    body = {"code": status, "message": message, "data": None}
    if errors:
        body["errors"] = errors
    return jsonify(body), status


def envelope(fn):
    """Answer the view's data, or its error, in the envelope (the token and its
    role were checked by prospecting.auth.authorize)."""

    @json_envelope("ingest")
    @token_required
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            data, status = fn(*args, **kwargs)
        except ApiFailure as exc:
            return _fail(exc.status, exc.message, exc.errors)
        except ServiceError as exc:
            errors = exc.details if isinstance(exc.details, list) else None
            return _fail(exc.status_code, exc.message, errors)
        return jsonify({"code": 0, "message": "success", "data": data}), status

    return wrapper


def _body():
    """The JSON body, read within the ingest size limit."""
    limit = current_app.config["OUTREACH_INGEST_MAX_BYTES"]
    too_large = ApiFailure(413, f"The request body is larger than {limit} bytes.")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    try:
        raw = request.stream.read(limit + 1)
    except RequestEntityTooLarge as exc:
        raise too_large from exc
    if len(raw) > limit:
        raise too_large
    if not raw.strip():
        raise ApiFailure(400, "The request body is empty; send JSON.")
    return parse_json(raw)


def _rows_limit(body) -> None:
    rows = body.get("rows") if isinstance(body, dict) else None
    limit = current_app.config["OUTREACH_INGEST_MAX_ROWS"]
    if isinstance(rows, list) and len(rows) > limit:
        raise ApiFailure(413, f"Send at most {limit} rows per request.")


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
