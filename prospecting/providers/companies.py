"""Company enrichment by domain over the Apollo `organizations/enrich` contract.

Apollo limits requests per minute, hour and day (fixed windows, by plan) and says
how many are left in every answer's headers (https://docs.apollo.io/reference/
rate-limits): the client holds off for the rest of a minute whose requests are
used up, pauses the job on an hourly or daily 429 with the time it can resume, and
reads a 403 as an endpoint the plan does not include.
"""

import threading
import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from flask import current_app

from prospecting.providers import answer_dict
from prospecting.providers import http
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderQuotaExhausted
from prospecting.providers.errors import ProviderRateLimited

PROVIDER = "companies"
ENDPOINT = "organizations/enrich"
LABEL = "The company enricher"
MINUTE = 60.0
WINDOWS = {"minute": timedelta(minutes=1), "hourly": timedelta(hours=1),
           "daily": timedelta(days=1)}  # fmt: skip

_held_lock = threading.Lock()
_held_until = 0.0  # monotonic: no request before this (the minute is used up)


@dataclass
class CompanyData:
    domain: str
    name: str | None = None
    employee_count: int | None = None
    size_range: str | None = None
    industry: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    linkedin_url: str | None = None
    founded_year: int | None = None
    provider: str = "apollo"
    provider_id: str | None = None

    def to_dict(self) -> dict:
        return answer_dict(self)

    @property
    def location(self) -> str:
        return ", ".join(p for p in (self.city, self.region, self.country) if p)


SIZE_BANDS = (
    (10, "1-10"),
    (50, "11-50"),
    (200, "51-200"),
    (500, "201-500"),
    (1000, "501-1000"),
    (5000, "1001-5000"),
    (10000, "5001-10000"),
)


def size_range(count: int | None) -> str | None:
    """The usual employee band for a head count."""
    if count is None:
        return None
    for top, band in SIZE_BANDS:
        if count <= top:
            return band
    return "10001+"


def request_for(domain: str) -> dict:
    """The query of one enrichment (contracts/apollo/organizations_enrich)."""
    return {"domain": domain}


def enrich(domain: str) -> CompanyData:
    """The company behind a domain; ProviderNotFound when the provider knows none."""
    cfg = current_app.config
    _wait_for_the_minute()
    response = http.request(
        PROVIDER,
        "GET",
        f"{cfg['COMPANY_ENRICHER_URL']}/api/v1/organizations/enrich",
        endpoint=ENDPOINT,
        label=LABEL,
        params=request_for(domain),
        headers={"x-api-key": cfg["COMPANY_ENRICHER_KEY"]},
        passthrough=(401, 403, 429),
        billable=True,  # priced per call (credits); no idempotency key
    )
    _pace(response)
    if response.status_code in (401, 403):
        raise _refused(response)
    if response.status_code == 429:
        raise _rate_limited(response)
    if response.status_code == 404:
        raise ProviderNotFound(f"No company data for {domain}.")
    if response.status_code >= 400:
        raise ProviderBadResponse(
            f"{LABEL} refused the request (HTTP {response.status_code}).",
            status=response.status_code,
        )
    return parse(domain, http.json_body(response, LABEL))


def _wait_for_the_minute() -> None:
    """Raise ProviderRateLimited (no request sent) while the minute is used up."""
    with _held_lock:
        wait = _held_until - time.monotonic()
    if wait > 0:
        raise ProviderRateLimited(
            f"{LABEL} has no requests left this minute (x-minute-requests-left: 0).",
            retry_after=wait,
            status=None,
        )


def _pace(response) -> None:
    """Hold off for the rest of the fixed minute when its requests are used up."""
    global _held_until
    left = _header_int(response, "x-minute-requests-left")
    if left is not None and left <= 0:
        with _held_lock:
            _held_until = max(_held_until, time.monotonic() + MINUTE)


def _header_int(response, name: str) -> int | None:
    try:
        return int(response.headers.get(name, ""))
    except ValueError:
        return None


def _window_used_up(response) -> str:
    """Which window a 429 is about: daily, hourly or the minute (headers first,
    then the message, e.g. "... 600 times per hour")."""
    for window in ("daily", "hourly"):
        if _header_int(response, f"x-{window}-requests-left") == 0:
            return window
    text = (response.text or "").lower()
    if "per day" in text or "daily" in text:
        return "daily"
    if "per hour" in text or "hourly" in text:
        return "hourly"
    return "minute"


def _rate_limited(response) -> ProviderRateLimited:
    window = _window_used_up(response)
    detail = _error_text(response)
    if window == "minute":
        return ProviderRateLimited(
            f"{LABEL} is rate limiting us (HTTP 429, per minute).",
            retry_after=http.retry_after_seconds(response, MINUTE),
        )
    limit = _header_int(response, f"x-rate-limit-{window}")
    resume_at = datetime.now(UTC) + WINDOWS[window]
    of = f" of {limit} requests" if limit else ""
    said = f": {detail}" if detail else ""
    return ProviderQuotaExhausted(
        f"{LABEL} used up its {window} quota{of} (HTTP 429{said}). The job is "
        f"paused; it can resume after {resume_at:%Y-%m-%d %H:%M} UTC.",
        resume_at=resume_at,
    )


def _refused(response) -> ProviderAuthError:
    detail = _error_text(response)
    suffix = f": {detail}" if detail else ""
    if response.status_code == 403:
        return ProviderAuthError(
            f"{LABEL}: your Apollo plan does not include the organization enrichment "
            f"endpoint (HTTP 403{suffix}). Upgrade the plan or turn enrichment off.",
            status=403,
        )
    return ProviderAuthError(
        f"{LABEL} refused the credentials (HTTP 401{suffix}): check "
        "COMPANY_ENRICHER_KEY.",
        status=401,
    )


def _error_text(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:200]
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or "")[:200]
    return ""


def parse(domain: str, body) -> CompanyData:
    """Normalise an Apollo organization to the app's company shape (providers.md §6)."""
    if not isinstance(body, dict):
        raise ProviderBadResponse(f"{LABEL} sent an answer that is not an object.")
    org = body.get("organization")
    if not org:
        raise ProviderNotFound(f"No company data for {domain}.")
    if not isinstance(org, dict):
        raise ProviderBadResponse(
            f"{LABEL} sent an organization that is not an object."
        )
    count = org.get("estimated_num_employees")
    count = count if isinstance(count, int) else None
    return CompanyData(
        domain=org.get("primary_domain") or domain,
        name=org.get("name"),
        employee_count=count,
        size_range=size_range(count),
        industry=org.get("industry"),
        city=org.get("city"),
        region=org.get("state"),
        country=org.get("country"),
        linkedin_url=org.get("linkedin_url"),
        founded_year=org.get("founded_year"),
        provider_id=org.get("id"),
    )
