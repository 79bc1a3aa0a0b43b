"""Message sender: a webhook that delivers one chat message to a creator."""

from dataclasses import dataclass

from flask import current_app

from prospecting.providers import http
from prospecting.providers.errors import ProviderBadResponse

PROVIDER = "sender"
LABEL = "The message sender"


@dataclass
class Outgoing:
    message_id: int
    platform: str
    platform_creator_id: str
    type: str
    content: str
    meta: dict | None = None


@dataclass
class Delivery:
    ref: str
    status: str


def send(message: Outgoing) -> Delivery:
    """POST one message to the webhook; its id doubles as the idempotency key."""
    cfg = current_app.config
    key = f"outreach-message-{message.message_id}"
    response = http.request(
        PROVIDER,
        "POST",
        f"{cfg['OUTREACH_SENDER_URL']}/messages",
        endpoint="messages",
        label=LABEL,
        json={
            "id": key,
            "platform": message.platform,
            "platformCreatorId": message.platform_creator_id,
            "type": message.type,
            "content": message.content,
            "meta": message.meta or {},
        },
        headers={
            "Authorization": f"Bearer {cfg['OUTREACH_SENDER_KEY']}",
            "Idempotency-Key": key,
        },
    )
    if response.status_code >= 400:
        raise ProviderBadResponse(
            f"{LABEL} refused the message (HTTP {response.status_code}).",
            status=response.status_code,
        )
    body = http.json_body(response, LABEL)
    if not isinstance(body, dict) or not body.get("id"):
        raise ProviderBadResponse(f"{LABEL} answered without a message id.")
    return Delivery(ref=str(body["id"])[:128], status=str(body.get("status", "")))
