"""Sandbox email verifier speaking Reacher's `POST /v1/check_email`."""

from flask import Response
from flask import request

from prospecting.sandbox import bp
from prospecting.sandbox import contracts
from prospecting.sandbox import faults
from prospecting.sandbox import mailboxes

SECRET_HEADER = "x-reacher-secret"

FREE_DOMAINS = {
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "aol.com",
    "icloud.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "mail.com",
}
DISPOSABLE = {
    "mailinator.com",
    "10minutemail.com",
    "guerrillamail.com",
    "yopmail.com",
    "tempmail.com",
}
ROLES = {
    "info",
    "admin",
    "sales",
    "support",
    "contact",
    "hello",
    "office",
    "team",
    "jobs",
    "billing",
    "noreply",
    "no-reply",
}


@bp.post("/reacher/v1/check_email")
def reacher_check_email():
    """Deterministic Reacher answer for an address (keys starting 'invalid' are
    refused). The sandbox setting `reacher_mode` picks the cloud API (key in
    `Authorization`, 401) or a self-hosted backend (`x-reacher-secret`, whose
    absence or a wrong value is warp's plain-text 400)."""
    cfg = faults.settings()
    refused = _refuse_credentials(cfg.get("reacher_mode", "cloud"))
    if refused is not None:
        return refused
    fault = faults.inject(
        "reacher", error_body={"error": "Internal server error"}, cfg=cfg
    )
    if fault is not None:
        return fault
    body = request.get_json(silent=True)
    problems = contracts.problems("reacher", "check_email.request", body)
    if problems:
        return _text(f"Request body deserialize error: {problems[0]}", 400)
    return faults.json_response(_answer(body["to_email"].strip().lower()))


def _refuse_credentials(mode: str) -> Response | None:
    if mode == "self-hosted":
        secret = request.headers.get(SECRET_HEADER)
        if secret is None:
            return _text(f'Missing request header "{SECRET_HEADER}"', 400)
        if secret.startswith("invalid"):
            return _text(f'Invalid request header "{SECRET_HEADER}"', 400)
        return None
    key = request.headers.get("Authorization", "")
    if not key or key.startswith("invalid"):
        return faults.json_response({"error": "Unauthorized: invalid API key"}), 401
    return None


def _text(message: str, status: int) -> Response:
    return Response(message, status=status, mimetype="text/plain")


def _answer(email: str) -> dict:
    local, _, domain = email.rpartition("@")
    roll = faults.seed("reacher", email) % 100
    role = local in ROLES
    disposable = domain in DISPOSABLE
    free = domain in FREE_DOMAINS
    catch_all = domain.startswith("catchall") or (not free and roll % 17 == 0)
    deliverable = not ("bounce" in local or "invalid" in local or roll < 8)
    if (known := mailboxes.deliverable(email)) is not None:
        # A demo company: its mailboxes follow its pattern (sandbox/mailboxes.py).
        deliverable, catch_all, roll = known, mailboxes.catch_all(domain), 50
    reachable = "safe"
    if not deliverable:
        reachable = "invalid"
    if role or disposable or catch_all:
        reachable = "risky"
    if "unknown" in local or roll in (97, 98):
        reachable = "unknown"
    return {
        "input": email,
        "is_reachable": reachable,
        "misc": {
            "is_disposable": disposable,
            "is_role_account": role,
            "is_b2c": free,
            "gravatar_url": None,
        },
        "mx": {
            "accepts_mail": not domain.endswith(".invalid"),
            "records": [f"mx1.{domain}."],
        },
        "smtp": {
            "can_connect_smtp": True,
            "has_full_inbox": False,
            "is_catch_all": catch_all,
            "is_deliverable": deliverable,
            "is_disabled": False,
        },
        "syntax": {
            "address": email,
            "domain": domain,
            "is_valid_syntax": True,
            "username": local,
        },
    }
