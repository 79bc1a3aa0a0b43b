"""Sandbox chat sender: records every message it receives so tests can read them."""

import threading

from flask import jsonify
from flask import request

from prospecting.models.base import utcnow
from prospecting.sandbox import bp
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
    if not isinstance(body, dict) or not body.get("platformCreatorId"):
        return jsonify({"error": "platformCreatorId is required"}), 400
    if not body.get("content"):
        return jsonify({"error": "content is required"}), 400
    record = {
        "id": body.get("id"),
        "idempotencyKey": request.headers.get("Idempotency-Key"),
        "platform": body.get("platform"),
        "platformCreatorId": body["platformCreatorId"],
        "type": body.get("type"),
        "content": body["content"],
        "meta": body.get("meta"),
        "receivedAt": utcnow().isoformat() + "Z",
    }
    with _lock:
        _received.append(record)
    return jsonify({"id": record["id"] or f"chat-{len(_received)}", "status": "sent"})


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
