"""Sending one delivery: a batch of the `webhooks` job kind.

Each attempt is logged. A 2xx delivers it; anything else tries again after the
next delay of WEBHOOK_RETRY_SECONDS (about 10 s, then minutes, then hours) until
WEBHOOK_RETRY_HOURS (a day) after the event, then the delivery has failed. A
delivery whose endpoint is gone, or that was delivered meanwhile, is done.
"""

import time
from datetime import timedelta

from flask import current_app

from prospecting import crypto
from prospecting.extensions import db
from prospecting.models import WebhookAttempt
from prospecting.models import WebhookDelivery
from prospecting.models import WebhookEndpoint
from prospecting.models.base import utcnow
from prospecting.providers import webhooks as receiver
from prospecting.services import jobs
from prospecting.services.webhooks.events import sign


def send(run: jobs.Run) -> jobs.Result:
    delivery = db.session.get(WebhookDelivery, run.batch.params["delivery_id"])
    if delivery is None or delivery.status != "pending":
        return jobs.Done()
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None:
        return jobs.Done()
    timestamp = int(time.time())
    answer = receiver.post(
        endpoint.url,
        delivery.body,
        {
            "Prospecting-Event": delivery.event,
            "Prospecting-Delivery": str(delivery.id),
            "Prospecting-Signature": sign(
                crypto.decrypt(endpoint.secret), timestamp, delivery.body
            ),
        },
    )
    now = utcnow()
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            at=now,
            status_code=answer.status_code,
            error=answer.error,
            duration_ms=answer.duration_ms,
        )
    )
    delivery.attempts += 1
    delivery.last_status_code = answer.status_code
    delivery.last_error = answer.error
    if answer.ok:
        delivery.status, delivery.delivered_at = "delivered", now
        delivery.next_attempt_at = None
        db.session.commit()
        return jobs.Done(success=1)
    delay = next_delay(delivery.attempts)
    give_up_at = delivery.created_at + timedelta(
        hours=current_app.config["WEBHOOK_RETRY_HOURS"]
    )
    if now + timedelta(seconds=delay) > give_up_at:
        delivery.status, delivery.next_attempt_at = "failed", None
        db.session.commit()
        return jobs.Done(failed=1)
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    db.session.commit()
    return jobs.Later(delay, reason=answer.error or "", counts=jobs.WAIT)


def next_delay(attempts: int) -> float:
    """Seconds before the attempt after `attempts` failed ones."""
    delays = current_app.config["WEBHOOK_RETRY_SECONDS"]
    return float(delays[min(attempts, len(delays)) - 1])
