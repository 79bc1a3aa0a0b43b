"""Message sender: a webhook that delivers one chat message to a creator.

Our own contract (docs/providers.md §8, contracts/sender): `POST {url}/messages`
with a Bearer key and an `Idempotency-Key` that is the same for every attempt of one
message, so the receiver delivers it once however often we send it; any 2xx means
sent, whatever the body (the reply's `id` is our reference when it has one, else the
idempotency key).
"""

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


def idempotency_key(message_id: int) -> str:
    return f"outreach-message-{message_id}"


def request_for(message: Outgoing) -> dict:
    """The JSON body of one message (contracts/sender/messages.request.json)."""
    return {
        "id": idempotency_key(message.message_id),
        "platform": message.platform,
        "platformCreatorId": message.platform_creator_id,
        "type": message.type,
        "content": message.content,
        "meta": message.meta or {},
    }


def send(message: Outgoing) -> Delivery:
    """POST one message to the webhook. It carries an idempotency key, so a lost
    answer may be retried: the receiver delivers each key once."""
    cfg = current_app.config
    key = idempotency_key(message.message_id)
    response = http.request(
        PROVIDER,
        "POST",
        f"{cfg['OUTREACH_SENDER_URL']}/messages",
        endpoint="messages",
        label=LABEL,
        json=request_for(message),
        headers={
            "Authorization": f"Bearer {cfg['OUTREACH_SENDER_KEY']}",
            "Idempotency-Key": key,
        },
    )
    if response.status_code >= 300:
        text = (response.text or "").strip()[:200]
        raise ProviderBadResponse(
            f"{LABEL} refused the message (HTTP {response.status_code})"
            + (f": {text}." if text else "."),
            status=response.status_code,
        )
    return delivery_of(response, key)


def delivery_of(response, key: str) -> Delivery:
    """Any 2xx is sent: the reply's id (and status) when it sends JSON with one,
    else the idempotency key as our reference."""
    try:
        body = response.json() if (response.content or b"").strip() else None
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("id"):
        return Delivery(ref=str(body["id"])[:128], status=str(body.get("status", "")))
    return Delivery(ref=key[:128], status="accepted")
