"""Hunter's Email Finder and Email Verifier (`api.hunter.io/v2`), as the neutral
shapes of the email adapters.

Written from Hunter's public API documentation:
https://hunter.io/api-documentation/v2#email-finder and
https://hunter.io/api-documentation/v2#email-verifier (the key goes in the
`api_key` query parameter; errors are `{"errors": [{"id", "code", "details"}]}`;
403 means too many requests per second, 429 the plan's usage is exceeded);
response fields as read by public clients, e.g.
https://github.com/VonStruddle/PyHunter (pyhunter/pyhunter.py).

Both calls are billable: a read timeout or a 5xx may have been charged, so the
caller must not resend them blindly (providers.md, "Billable calls").
"""

from dataclasses import dataclass
from dataclasses import field

from flask import current_app

from prospecting.providers import http
from prospecting.providers.emails import EmailVerdict
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderRateLimited

PROVIDER = "hunter"
ACCOUNT = "account"
FINDER = "email-finder"
VERIFIER = "email-verifier"
LABEL = "Hunter"
CHECK_COSTS = False  # `flask providers check` calls the free account call

# Hunter's verifier `status` (the documented field; `result` is deprecated) to the
# neutral verdict and flags (providers.md §5).
STATUSES = {
    "valid": ("valid", []),
    "invalid": ("invalid", []),
    "accept_all": ("risky", ["catch_all"]),
    "webmail": ("valid", ["free_provider"]),
    "disposable": ("risky", ["disposable"]),
    "unknown": ("unknown", []),
}


@dataclass
class FoundEmail:
    """An address a finder proposes for a person at a domain."""

    email: str
    score: int | None = None  # the provider's confidence, 0-100
    verdict: str = "unknown"  # the neutral verdict when the provider verified it
    flags: list[str] = field(default_factory=list)
    pattern: str | None = None
    raw: dict | None = None


def _get(path: str, endpoint: str, params: dict, *, billable: bool = True):
    cfg = current_app.config
    response = http.request(
        PROVIDER,
        "GET",
        f"{cfg['HUNTER_URL']}/v2/{path}",
        endpoint=endpoint,
        label=LABEL,
        params={**params, "api_key": cfg["HUNTER_KEY"]},
        # Each search and verification is charged (no idempotency key); the
        # account call is free.
        billable=billable,
        # Hunter's 403 is "too many requests", not refused credentials.
        passthrough=(400, 403, 404, 451),
    )
    status = response.status_code
    if status == 403:
        raise ProviderRateLimited(
            f"{LABEL} is rate limiting us (HTTP 403).",
            retry_after=http.retry_after_seconds(response, 1.0),
            status=403,
        )
    if status == 404:
        raise ProviderNotFound(f"{LABEL} has no answer for this input.", status=404)
    if status >= 400:
        raise ProviderBadResponse(
            f"{LABEL} refused the request (HTTP {status}): {_details(response)}",
            status=status,
        )
    return http.json_body(response, LABEL)


def _details(response) -> str:
    try:
        errors = response.json().get("errors") or []
        return "; ".join(str(e.get("details", e.get("id", ""))) for e in errors)
    except (ValueError, AttributeError):
        return ""


def verify(email: str) -> EmailVerdict:
    """Hunter's verdict on one (already normalised) address."""
    return parse_verification(email, _get("email-verifier", VERIFIER, {"email": email}))


def parse_verification(email: str, body) -> EmailVerdict:
    """Map Hunter's `data.status` (and its booleans) to the neutral verdict."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or data.get("status") not in STATUSES:
        raise ProviderBadResponse(f"{LABEL} sent an answer without a status.")
    verdict, flags = STATUSES[data["status"]]
    flags = list(flags)
    if data.get("accept_all") and "catch_all" not in flags:
        flags.append("catch_all")
    if data.get("webmail") and "free_provider" not in flags:
        flags.append("free_provider")
    return EmailVerdict(
        email=email,
        verdict=verdict,
        flags=flags,
        raw_status=data["status"],
        provider="hunter",
    )


def find(first_name: str, last_name: str, domain: str) -> FoundEmail:
    """The most likely address of a person at a domain; ProviderNotFound if none."""
    body = _get(
        "email-finder",
        FINDER,
        {"domain": domain, "first_name": first_name, "last_name": last_name},
    )
    return parse_finding(body)


def parse_finding(body) -> FoundEmail:
    """Hunter's `data.email`/`score`/`verification.status` as a FoundEmail."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ProviderBadResponse(f"{LABEL} sent an answer without data.")
    email = data.get("email")
    if not email:
        raise ProviderNotFound(f"{LABEL} found no address for this person.")
    status = (data.get("verification") or {}).get("status")
    verdict, flags = STATUSES.get(status, ("unknown", []))
    if data.get("accept_all") and "catch_all" not in flags:
        flags = [*flags, "catch_all"]
        verdict = "risky" if verdict == "valid" else verdict
    score = data.get("score")
    return FoundEmail(
        email=str(email).lower(),
        score=score if isinstance(score, int) else None,
        verdict=verdict,
        flags=list(flags),
        raw=data,
    )


def account() -> dict:
    """What is left of this period's searches and verifications (a free call:
    https://hunter.io/api-documentation/v2#account)."""
    body = _get(ACCOUNT, ACCOUNT, {}, billable=False)
    requests_left = (body.get("data") or {}).get("requests") or {}
    return {
        meter: int((requests_left.get(meter) or {}).get("available", 0))
        - int((requests_left.get(meter) or {}).get("used", 0))
        for meter in ("searches", "verifications")
    }


def check() -> str:
    """`flask providers check`: the free account call, and what is left."""
    if not current_app.config.get("HUNTER_KEY"):
        return "not used: HUNTER_KEY is not set (needed once a waterfall lists Hunter)"
    left = account()
    return (
        f"{left['searches']} searches and {left['verifications']} verifications "
        "left this period (the account call is free)"
    )
