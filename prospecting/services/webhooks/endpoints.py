"""A workspace's webhook endpoints and their deliveries."""

import secrets

from sqlalchemy import func
from sqlalchemy import select

from prospecting import crypto
from prospecting.extensions import db
from prospecting.models import WebhookAttempt
from prospecting.models import WebhookDelivery
from prospecting.models import WebhookEndpoint
from prospecting.providers import webhooks as receiver
from prospecting.providers.errors import ProviderError
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.webhooks.events import EVENTS
from prospecting.services.webhooks.events import queue

MAX_ENDPOINTS = 20


def add_endpoint(
    workspace_id: int, url: str, events: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register a receiver URL for events; the endpoint and its signing secret."""
    url = (url or "").strip()
    if not url or len(url) > 2000:
        raise InvalidInput(
            "Give the receiver's URL (https, at most 2,000 characters).",
            code="invalid_url",
            details={"field": "url"},
        )
    if not isinstance(events, list) or not events:
        raise InvalidInput(
            "Choose at least one event.", code="no_events", details={"field": "events"}
        )
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidInput(
            f"Unknown event {unknown[0]!r}; the events are {', '.join(EVENTS)}.",
            code="unknown_event",
            details={"field": "events"},
        )
    try:
        receiver.check_url(url)
    except ProviderError as exc:
        raise InvalidInput(
            exc.message, code="invalid_url", details={"field": "url"}
        ) from exc
    count = db.session.scalar(
        select(func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.workspace_id == workspace_id)
    )
    if count >= MAX_ENDPOINTS:
        raise InvalidInput(
            f"A workspace has at most {MAX_ENDPOINTS} webhook endpoints.",
            code="too_many_endpoints",
        )
    secret = "whsec_" + secrets.token_hex(24)
    endpoint = WebhookEndpoint(
        workspace_id=workspace_id,
        url=url,
        secret=crypto.encrypt(secret),
        events=[e for e in EVENTS if e in events],
        description=(description or "").strip()[:200],
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint, secret


def endpoints_of(workspace_id: int) -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.workspace_id == workspace_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def get_endpoint(workspace_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.workspace_id != workspace_id:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def secret_of(endpoint: WebhookEndpoint) -> str:
    return crypto.decrypt(endpoint.secret)


def delete_endpoint(workspace_id: int, endpoint_id: int) -> None:
    """Remove an endpoint with its deliveries and their attempts."""
    endpoint = get_endpoint(workspace_id, endpoint_id)
    ids = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    db.session.query(WebhookAttempt).filter(WebhookAttempt.delivery_id.in_(ids)).delete(
        synchronize_session=False
    )
    db.session.query(WebhookDelivery).filter_by(endpoint_id=endpoint.id).delete()
    db.session.delete(endpoint)
    db.session.commit()


def deliveries_of(
    workspace_id: int, endpoint_id: int, *, page: int = 1, per_page: int = 50
) -> tuple[list[WebhookDelivery], int]:
    """A page of an endpoint's deliveries, newest first, and their total."""
    endpoint = get_endpoint(workspace_id, endpoint_id)
    where = WebhookDelivery.endpoint_id == endpoint.id
    total = db.session.scalar(
        select(func.count()).select_from(WebhookDelivery).where(where)
    )
    rows = db.session.scalars(
        select(WebhookDelivery)
        .where(where)
        .order_by(WebhookDelivery.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def attempts_of(delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    """Each delivery's attempts, oldest first, in one query."""
    found: dict[int, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
    if delivery_ids:
        for attempt in db.session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.id)
        ):
            found[attempt.delivery_id].append(attempt)
    return found


def resend(workspace_id: int, delivery_id: int) -> str:
    """Send a delivery again now (same body, a new signature); the job's id.
    Commits; the caller enqueues the job's batches."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.workspace_id != workspace_id:
        raise NotFound("No such delivery.")
    delivery.status = "pending"
    job_id = queue([delivery.id], workspace_id=workspace_id, title=delivery.event)
    db.session.commit()
    return job_id
