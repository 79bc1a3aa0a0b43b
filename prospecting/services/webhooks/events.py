"""Events a workspace can subscribe to, and emitting one: a delivery per endpoint
that wants it, written in the caller's transaction and sent by the engine.

Emitting never calls a receiver and never waits: it adds rows (the deliveries and
a `webhooks` job whose batches are marked not sent), so the action that caused
the event commits them with its own change or not at all. A worker's heartbeat
(or the reaper) sends the batches; a receiver that is down loses nothing.
"""

import hashlib
import hmac
import json
import secrets

from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import JobBatch
from prospecting.models import WebhookDelivery
from prospecting.models import WebhookEndpoint
from prospecting.models.base import utcnow
from prospecting.services import jobs

KIND = "webhooks"
SEND = "webhook_send"

EVENTS = (
    "job.completed",
    "job.failed",
    "job.paused",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "list.updated",
)


def sign(secret: str, timestamp: int, body: str) -> str:
    """The signature header's value: `t=<unix time>,v1=<hex HMAC-SHA256 of
    "<t>.<body>" with the endpoint's secret>` (the timestamp is signed, so a
    receiver can refuse an old message replayed)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def emit(workspace_id: int, event: str, data: dict) -> list[int]:
    """Queue `event` for every endpoint of the workspace subscribed to it; the
    delivery ids (flushed, not committed: the caller's commit sends them)."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = [
        e
        for e in db.session.query(WebhookEndpoint).filter_by(workspace_id=workspace_id)
        if event in (e.events or ())
    ]
    if not endpoints:
        return []
    now = utcnow()
    body = json.dumps(
        {
            "id": f"evt_{secrets.token_hex(12)}",
            "type": event,
            "created_at": now.isoformat() + "Z",
            "workspace_id": workspace_id,
            "data": data,
        },
        separators=(",", ":"),
        default=str,
    )
    deliveries = [
        WebhookDelivery(
            endpoint_id=e.id,
            workspace_id=workspace_id,
            event=event,
            body=body,
            next_attempt_at=now,
        )
        for e in endpoints
    ]
    db.session.add_all(deliveries)
    db.session.flush()
    queue([d.id for d in deliveries], workspace_id=workspace_id, title=event)
    return [d.id for d in deliveries]


def queue(delivery_ids: list[int], *, workspace_id: int, title: str) -> str:
    """A `webhooks` job with one send batch per delivery, marked not sent (the
    heartbeat or the reaper sends them); its id. Flushed, not committed."""
    job = jobs.create(
        KIND,
        {"deliveries": delivery_ids},
        [jobs.NewBatch(SEND, {"delivery_id": d}) for d in delivery_ids],
        workspace_id=workspace_id,
        title=title,
        total=len(delivery_ids),
    )
    db.session.execute(
        update(JobBatch)
        .where(JobBatch.job_id == job.id, JobBatch.status == "pending")
        .values(owner=jobs.NOT_SENT)
    )
    return job.id


def job_event(job) -> None:
    """The engine's job-end hook: job.completed / job.failed / job.paused."""
    event = {
        "completed": "job.completed",
        "failed": "job.failed",
        "paused": "job.paused",
    }.get(job.status)
    if event is None or job.kind == KIND:
        return
    emit(
        job.workspace_id,
        event,
        {
            "job": {
                "id": job.id,
                "kind": job.kind,
                "title": job.title,
                "status": job.status,
                "total": job.progress_total,
                "success_count": job.success_count,
                "failed_count": job.failed_count,
                "message": job.error_message,
                "completed_at": job.completed_at.isoformat() + "Z"
                if job.completed_at
                else None,
            }
        },
    )
