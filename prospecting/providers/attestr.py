"""Attestr company directors' contacts by CIN or LLPIN (`leadx/mca-cin-contact`, v2)."""

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from flask import current_app

from prospecting.providers import http
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderQuotaExhausted
from prospecting.providers.errors import ProviderRateLimited

PROVIDER = "attestr"
LABEL = "Attestr"
ENDPOINT = "api/v2/public/leadx/mca-cin-contact"
RATE_LIMIT_WAIT = 60.0


class AttestrNotConfigured(ProviderAuthError):
    """No API key is set for Attestr."""


class AttestrLowCredit(ProviderAuthError):
    """The Attestr account has run out of credits."""


class AttestrDailyLimit(ProviderQuotaExhausted):
    """The account's daily quota is used up until the next midnight in
    ATTESTR_QUOTA_RESET_TZ (unconfirmed by Attestr): the job pauses until then."""


# Attestr error codes (providers.md §3) -> (error class, message for the user).
ERRORS = {
    4001: (ProviderBadResponse, "Attestr rejected the request as malformed."),
    40051: (ProviderBadResponse, "Attestr does not support this API version."),
    4005: (AttestrLowCredit, "Attestr: low credit balance; top up the account."),
    4016: (ProviderAuthError, "Attestr: invalid credentials (check ATTESTR_KEY)."),
    4031: (ProviderAuthError, "Attestr: unauthorized access for this account."),
    4035: (ProviderAuthError, "Attestr: service not provisioned for this account."),
    4039: (ProviderAuthError, "Attestr: this server's IP address is not whitelisted."),
    4291: (ProviderRateLimited, "Attestr: account rate limit exceeded."),
    4292: (ProviderRateLimited, "Attestr: API rate limit exceeded."),
    4293: (AttestrDailyLimit, "Attestr: the account's daily limit is exceeded."),
}


@dataclass
class Director:
    din: str | None
    name: str
    mobile: str | None
    email: str | None
    addresses: list[dict] = field(default_factory=list)


@dataclass
class CompanyContacts:
    reg: str
    business_name: str | None
    contacts: list[Director]
    total: int


def request_for(reg: str) -> dict:
    """The JSON body of one lookup (contracts/attestr/mca_cin_contact.request)."""
    return {"reg": reg}


def fetch_contacts(reg: str, *, max_contacts: int) -> CompanyContacts:
    """The directors and signatories of a company, at most `max_contacts` of them."""
    cfg = current_app.config
    if not cfg.get("ATTESTR_KEY"):
        raise AttestrNotConfigured("Attestr is not configured: set ATTESTR_KEY.")
    response = http.request(
        PROVIDER,
        "POST",
        f"{cfg['ATTESTR_URL'].rstrip('/')}/{ENDPOINT}",
        endpoint="mca-cin-contact",
        label=LABEL,
        passthrough=(401, 403, 429),
        billable=True,  # priced per call; no idempotency key is documented
        json=request_for(reg),
        headers={"Authorization": f"Basic {cfg['ATTESTR_KEY']}"},
    )
    body = http.json_body(response, LABEL)
    if response.status_code >= 400:
        raise _error(response, body)
    return parse(reg, body, max_contacts=max_contacts)


def _error(response, body) -> Exception:
    code = body.get("code") if isinstance(body, dict) else None
    known = ERRORS.get(code) if isinstance(code, int) else None
    if known is None:
        status = response.status_code
        if status == 429:
            return ProviderRateLimited(
                "Attestr: rate limit exceeded.",
                retry_after=http.retry_after_seconds(response, RATE_LIMIT_WAIT),
            )
        if status in (401, 403):
            return ProviderAuthError(
                f"Attestr refused the credentials (HTTP {status}).", status=status
            )
        detail = body.get("message") if isinstance(body, dict) else None
        return ProviderBadResponse(
            f"Attestr refused the request (HTTP {status}"
            + (f": {detail})." if detail else ")."),
            status=status,
        )
    cls, message = known
    if cls is AttestrDailyLimit:
        return _daily_limit(message)
    if issubclass(cls, ProviderRateLimited):
        wait = http.retry_after_seconds(response, RATE_LIMIT_WAIT)
        return cls(message, retry_after=wait)
    return cls(message, status=response.status_code)


def _daily_limit(message: str) -> AttestrDailyLimit:
    name = current_app.config.get("ATTESTR_QUOTA_RESET_TZ") or "UTC"
    resume_at = quota_reset(datetime.now(UTC), name)
    local = resume_at.astimezone(_zone(name))
    return AttestrDailyLimit(
        f"{message} The job is paused; it can resume after "
        f"{local:%Y-%m-%d %H:%M} {name} ({resume_at:%H:%M} UTC; the reset time "
        "zone is ATTESTR_QUOTA_RESET_TZ, unconfirmed by Attestr).",
        resume_at=resume_at,
    )


def quota_reset(now: datetime, zone_name: str) -> datetime:
    """The next midnight in the quota's time zone after `now`, as aware UTC."""
    zone = _zone(zone_name)
    local = now.astimezone(zone)
    midnight = datetime.combine(
        local.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone
    )
    return midnight.astimezone(UTC)


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse(reg: str, body, *, max_contacts: int) -> CompanyContacts:
    """The company's contacts from a 200 answer; `valid: false` means no data."""
    if not isinstance(body, dict):
        raise ProviderBadResponse("Attestr sent an answer that is not an object.")
    if not body.get("valid"):
        raise ProviderNotFound(f"Data not available for this CIN ({reg}).")
    items = body.get("contacts") or []
    if not isinstance(items, list):
        raise ProviderBadResponse("Attestr sent contacts that are not a list.")
    directors = [_director(item) for item in items if isinstance(item, dict)]
    return CompanyContacts(
        reg=body.get("indexId") or reg,
        business_name=body.get("businessName") or None,
        contacts=directors[: max(0, max_contacts)],
        total=len(directors),
    )


def _director(item: dict) -> Director:
    addresses = item.get("addresses") or []
    return Director(
        din=_text(item.get("indexId")),
        name=_text(item.get("fullName")) or "",
        mobile=_text(item.get("mobileNumber")),
        email=_text(item.get("emailAddress")),
        addresses=[a for a in addresses if isinstance(a, dict)]
        if isinstance(addresses, list)
        else [],
    )


def _text(value) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None
