"""JSON API of the workspace's outgoing webhooks (issue: the contact book as the
team's working list, item 7)."""

from flask import jsonify
from flask import request

from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.services import webhooks
from prospecting.services.errors import InvalidInput
from prospecting.services.pages import Page
from prospecting.views.api import bp
from prospecting.views.api import iso


def _endpoint_body(endpoint) -> dict:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "created_at": iso(endpoint.created_at),
    }


def _page_arg(name: str, default: int, high: int) -> int:
    raw = request.args.get(name) or str(default)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not 1 <= int(raw):
        raise InvalidInput(f"{name} must be a whole number ≥ 1.", code="bad_page")
    if int(raw) > high:
        raise InvalidInput(f"{name} must be at most {high}.", code="bad_page")
    return int(raw)


@bp.get("/api/v1/webhooks")
@token_required
def list_webhooks():
    """The workspace's webhook endpoints (their secrets are never shown again)."""
    endpoints = webhooks.endpoints_of(workspace_id())
    return jsonify({"results": [_endpoint_body(e) for e in endpoints]})


@bp.post("/api/v1/webhooks")
@token_required
def create_webhook():
    """Register an endpoint: `{"url", "events": [...], "description"?}`; the answer
    carries its signing secret, once."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            'Send a JSON object: {"url": "https://…", "events": ["job.completed"]}.',
            code="invalid_json",
        )
    description = body.get("description") or ""
    if not isinstance(description, str):
        raise InvalidInput(
            "description must be text.",
            code="invalid_description",
            details={"field": "description"},
        )
    url = body.get("url")
    if not isinstance(url, str):
        raise InvalidInput(
            "url is required (https).", code="invalid_url", details={"field": "url"}
        )
    endpoint, secret = webhooks.add_endpoint(
        workspace_id(), url, body.get("events"), description
    )
    return jsonify({**_endpoint_body(endpoint), "secret": secret}), 201


@bp.delete("/api/v1/webhooks/<int:endpoint_id>")
@token_required
def delete_webhook(endpoint_id: int):
    """Remove an endpoint and its delivery log."""
    webhooks.delete_endpoint(workspace_id(), endpoint_id)
    return "", 204


@bp.get("/api/v1/webhooks/<int:endpoint_id>/deliveries")
@token_required
def webhook_deliveries(endpoint_id: int):
    """A page of an endpoint's deliveries, newest first, with their attempts."""
    page = _page_arg("page", 1, 10**6)
    per_page = _page_arg("per_page", 50, 200)
    deliveries, total = webhooks.deliveries_of(
        workspace_id(), endpoint_id, page=page, per_page=per_page
    )
    attempts = webhooks.attempts_of([d.id for d in deliveries])
    return jsonify(
        {
            "results": [
                {
                    "id": d.id,
                    "event": d.event,
                    "status": d.status,
                    "attempts": [
                        {
                            "at": iso(a.at),
                            "status_code": a.status_code,
                            "error": a.error,
                            "duration_ms": a.duration_ms,
                        }
                        for a in attempts[d.id]
                    ],
                    "next_attempt_at": iso(d.next_attempt_at),
                    "created_at": iso(d.created_at),
                    "delivered_at": iso(d.delivered_at),
                }
                for d in deliveries
            ],
            "pagination": Page(deliveries, page, per_page, total).pagination(),
        }
    )
