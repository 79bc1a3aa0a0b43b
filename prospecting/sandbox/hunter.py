"""Sandbox Hunter: `GET /v2/email-verifier` and `GET /v2/email-finder`.

Same contract as https://hunter.io/api-documentation/v2 (key in `api_key`, errors
as `{"errors": [{"id", "code", "details"}]}`, 403 for too many requests); the
requests are checked against sandbox/contracts/hunter. Deterministic answers:
the demo companies of sandbox/mailboxes.py follow their pattern; elsewhere an
address with "bounce"/"invalid" is invalid, "greylist" unknown, and a name with
"ghost" (or a domain with "nowhere") is not found.
"""

from flask import jsonify
from flask import request

from prospecting.sandbox import bp
from prospecting.sandbox import contracts
from prospecting.sandbox import faults
from prospecting.sandbox import mailboxes
from prospecting.sandbox.reacher import DISPOSABLE
from prospecting.sandbox.reacher import FREE_DOMAINS

RATE_BODY = {
    "errors": [
        {"id": "too_many_requests", "code": 403, "details": "Too many requests."}
    ]
}
SERVER_BODY = {
    "errors": [{"id": "server_error", "code": 503, "details": "Please retry later."}]
}


def _error(status: int, id_: str, details: str):
    return jsonify({"errors": [{"id": id_, "code": status, "details": details}]}), (
        status
    )


def _refused(endpoint: str):
    """Hunter's answer to a request it would refuse, else None."""
    key = request.args.get("api_key", "")
    if not key or key.startswith("invalid"):
        return _error(
            401, "authentication_failed", "No user found for the API key supplied"
        )
    problems = contracts.problems("hunter", f"{endpoint}.request", dict(request.args))
    if problems:
        return _error(400, "wrong_params", "; ".join(problems))
    return faults.inject("hunter", rate_body=RATE_BODY, error_body=SERVER_BODY)


@bp.get("/hunter/v2/email-verifier")
def hunter_email_verifier():
    """Deterministic Hunter verification of an address."""
    refused = _refused("email-verifier")
    if refused is not None:
        return _rate_status(refused)
    email = request.args["email"].strip().lower()
    return jsonify({"data": verification(email), "meta": {"params": {"email": email}}})


def _rate_status(response):
    # faults.inject answers a rate limit with 429; Hunter says 403 for that.
    if isinstance(response, tuple):
        return response
    if response.status_code == 429:
        response.status_code = 403
    return response


def verification(email: str) -> dict:
    local, _, domain = email.rpartition("@")
    roll = faults.seed("hunter", email) % 100
    known = mailboxes.deliverable(email)
    status = "valid"
    if domain in FREE_DOMAINS:
        status = "webmail"
    elif domain in DISPOSABLE:
        status = "disposable"
    elif mailboxes.catch_all(domain) or domain.startswith("catchall"):
        status = "accept_all"
    elif known is False or "bounce" in local or "invalid" in local:
        status = "invalid"
    elif "greylist" in local or (known is None and roll < 3):
        status = "unknown"
    score = {"valid": 95, "webmail": 90, "accept_all": 60, "disposable": 30}
    return {
        "status": status,
        "result": {
            "valid": "deliverable",
            "webmail": "deliverable",
            "invalid": "undeliverable",
            "unknown": "unknown",
        }.get(status, "risky"),
        "score": score.get(status, 10),
        "email": email,
        "regexp": True,
        "gibberish": False,
        "disposable": status == "disposable",
        "webmail": status == "webmail",
        "mx_records": True,
        "smtp_server": True,
        "smtp_check": status in ("valid", "accept_all", "webmail"),
        "accept_all": status == "accept_all",
        "block": False,
        "sources": [],
    }


@bp.get("/hunter/v2/email-finder")
def hunter_email_finder():
    """Deterministic Hunter finding: the domain's pattern, or no address."""
    refused = _refused("email-finder")
    if refused is not None:
        return _rate_status(refused)
    args = request.args
    domain = (args.get("domain") or _domain_of(args.get("company", ""))).lower()
    first = args.get("first_name") or args.get("full_name", "").split(" ")[0]
    last = args.get("last_name") or args.get("full_name", "").split(" ")[-1]
    data = {
        "first_name": first,
        "last_name": last,
        "email": None,
        "score": None,
        "domain": domain,
        "accept_all": mailboxes.catch_all(domain),
        "position": None,
        "company": None,
        "sources": [],
        "verification": {"date": None, "status": None},
    }
    seed = faults.seed("hunter-finder", domain, first.lower(), last.lower())
    missing = "ghost" in f"{first}{last}".lower() or "nowhere" in domain
    if not missing and (mailboxes.pattern_of(domain) or seed % 10 < 7):
        pattern = mailboxes.pattern_of(domain)
        if pattern in (None, "catch-all"):
            pattern = ("first.last", "flast", "first")[seed % 3]
        email = f"{mailboxes.build(pattern, first, last)}@{domain}"
        status = verification(email)["status"]
        data.update(
            email=email,
            score=88 if status == "valid" else 55,
            verification={"date": "2026-11-02", "status": status},
        )
    return jsonify({"data": data, "meta": {"params": dict(args)}})


def _domain_of(company: str) -> str:
    return "".join(c for c in company.lower() if c.isalnum()) + ".com"


@bp.get("/hunter/v2/account")
def hunter_account():
    """Hunter's free account call: the plan and what is left this period."""
    refused = _refused("account")
    if refused is not None:
        return _rate_status(refused)
    return jsonify(
        {
            "data": {
                "email": "sandbox@example.com",
                "plan_name": "Sandbox",
                "plan_level": 1,
                "reset_date": "2027-01-01",
                "team_id": None,
                "requests": {
                    "searches": {"used": 0, "available": 500},
                    "verifications": {"used": 0, "available": 1000},
                },
            }
        }
    )
