"""Sandbox chat sender: records every message it receives so tests can read them.

It keeps the sender contract (docs/providers.md §8): a body outside
contracts/sender is a 400, a repeated `Idempotency-Key` is answered again without
delivering twice, and the setting `chat_empty_reply` answers 204 with no body (a
receiver that sends no id).
"""

import threading

from flask import jsonify
from flask import request

from prospecting.models.base import utcnow
from prospecting.sandbox import bp
from prospecting.sandbox import contracts
from prospecting.sandbox import faults

_lock = threading.Lock()
_received: list[dict] = []


@bp.post("/chat/messages")
def chat_send():
    """Accept one message (Bearer key required; keys starting 'invalid' get 401)."""
    key = request.headers.get("Authorization", "")
    if not key.startswith("Bearer ") or key[7:].startswith("invalid"):
        return jsonify({"error": "Unauthorized"}), 401
    fault = faults.inject("chat", error_body={"error": "Chat gateway unavailable"})
    if fault is not None:
        return fault
    body = request.get_json(silent=True)
    problems = contracts.problems("sender", "messages.request", body)
    if problems:
        return jsonify({"error": problems[0]}), 400
    key = request.headers.get("Idempotency-Key")
    with _lock:
        seen = next((r for r in _received if key and r["idempotencyKey"] == key), None)
    if seen is None:
        seen = _record(body, key)
    if faults.settings().get("chat_empty_reply"):
        return "", 204
    return jsonify({"id": seen["id"], "status": "sent"})


def _record(body: dict, key: str | None) -> dict:
    record = {
        "id": body.get("id"),
        "idempotencyKey": key,
        "platform": body.get("platform"),
        "platformCreatorId": body["platformCreatorId"],
        "type": body.get("type"),
        "content": body["content"],
        "meta": body.get("meta"),
        "receivedAt": utcnow().isoformat() + "Z",
    }
    with _lock:
        _received.append(record)
        record["id"] = record["id"] or f"chat-{len(_received)}"
    return record


@bp.get("/chat/messages")
def chat_messages():
    """Every message received since the last reset, oldest first."""
    with _lock:
        return jsonify({"messages": list(_received)})


@bp.delete("/chat/messages")
def chat_reset():
    """Forget the received messages."""
    with _lock:
        _received.clear()
    return jsonify({"messages": []})
