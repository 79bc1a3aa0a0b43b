"""ReachStream's async people filter (providers.md §1): start, poll, credits.

The v2 contract is known only from community clients that disagree, so every
reader here accepts both response variants (A: `unique_processing_id` and an HTTP
400 "still being processed"; B: `batch_process_id` and `status: READY |
INSUFFICIENT_BALANCE`), an envelope whose `data` is a JSON string, and a body
`status` that differs from the HTTP status.
"""

import hashlib
import json
from dataclasses import dataclass
from dataclasses import field

from flask import current_app

from prospecting.providers import http
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderError
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable

PROVIDER = "reachstream"
LABEL = "ReachStream"

# The filters the search form offers (provider key → label); the API takes any key.
FILTER_FIELDS = {
    "job_title": "Job titles",
    "contact_job_title_level_1": "Seniority / level",
    "contact_job_dept_name_1": "Departments",
    "company_address_country": "Countries",
    "company_address_state": "States",
    "company_address_city": "Cities",
    "company_industry_categories_list": "Industries",
    "company_employee_size": "Employee size ranges",
    "company_annual_revenue_amount": "Revenue ranges",
    "company_tech_keywords_list": "Technologies",
    "company_company_name": "Company names",
}
READY = ("READY", "COMPLETED", "COMPLETE", "DONE", "SUCCESS", "FINISHED")
WAITING = ("PROCESSING", "PENDING", "QUEUED", "IN_PROGRESS", "RUNNING", "STARTED")
OUT_OF_CREDITS = ("INSUFFICIENT_BALANCE", "INSUFFICIENT_CREDITS", "NO_CREDITS")


class ProviderOutOfCredits(ProviderError):
    """The account has no credits left for this search."""


@dataclass
class PollResult:
    ready: bool
    records: list[dict] = field(default_factory=list)
    status: str = ""


def provider_filter(query_filter: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """The provider's form of a filter: each list becomes an object keyed "0", "1", …"""
    return {
        key: {str(i): value for i, value in enumerate(values)}
        for key, values in query_filter.items()
        if values
    }


def start(query_filter: dict[str, list[str]], fetch_count: int) -> str:
    """Submit an async filter search; returns the provider's batch id."""
    response = _send(
        "POST",
        f"{_base()}/api/v2/async/records/filter/data",
        endpoint="async/records/filter/data",
        json={"fetchCount": fetch_count, "filter": provider_filter(query_filter)},
        headers=_headers(),
        billable=True,  # priced per search; no idempotency key is documented
    )
    body = _envelope(response)
    code = _body_status(body, response.status_code)
    _raise_for_body(body, code)
    batch_id = batch_id_of(body)
    if not batch_id:
        raise ProviderBadResponse(
            f"{LABEL} accepted the search but sent no batch id.", status=code
        )
    return batch_id


def poll(batch_id: str) -> PollResult:
    """Ask whether a batch is ready; its records when it is."""
    response = _send(
        "GET",
        f"{_base()}/api/v2/records/batch-process",
        endpoint="records/batch-process",
        params={"batch_process_id": batch_id},
        headers=_headers(),
        classify=poll_call_kind,
    )
    return read_poll(_poll_body(response), response.status_code)


def says_still_processing(text: str) -> bool:
    """True when an answer's text says the batch is not ready yet."""
    text = (text or "").lower()
    if "fail" in text or "error" in text:
        return False
    return "still being processed" in text or "processing" in text


def poll_call_kind(response) -> str | None:
    """The call log's word for a poll answered "still processing" (a 400 that is a
    wait, not an error, for provider health); None for any other answer."""
    if response.status_code == 400 and says_still_processing(response.text):
        return "waiting"
    return None


def _poll_body(response):
    """A poll's JSON body, or for a plain-text answer: a wait when it says the batch
    is still processing, else an error quoting the text."""
    try:
        return _envelope(response)
    except ProviderBadResponse:
        text = (response.text or "").strip()
        if response.status_code == 400 and says_still_processing(text):
            return {"status": 400, "message": text}
        if response.status_code >= 400:
            raise ProviderBadResponse(
                f"{LABEL} refused the request (HTTP {response.status_code}): "
                f"{text[:300] or 'no body'}.",
                status=response.status_code,
            ) from None
        raise


def credits() -> int:
    """Credits left on the account."""
    response = _send(
        "POST",
        f"{_base()}/api/Search/v1/users/active/credits",
        endpoint="users/active/credits",
        json={},
        headers=_headers(),
    )
    body = _envelope(response)
    _raise_for_body(body, _body_status(body, response.status_code))
    data = body.get("data") if isinstance(body, dict) else None
    value = data.get("available_credit") if isinstance(data, dict) else None
    if not isinstance(value, int | float):
        raise ProviderBadResponse(f"{LABEL} sent no credit balance.")
    return int(value)


def read_poll(body, http_status: int) -> PollResult:
    """Classify a poll answer of either variant: waiting, ready, or an error."""
    if not isinstance(body, dict):
        raise ProviderBadResponse(f"{LABEL} sent a poll answer that is not an object.")
    word = _status_word(body)
    code = _body_status(body, http_status)
    if word in OUT_OF_CREDITS:
        raise ProviderOutOfCredits(_out_of_credits_message(body))
    if _still_processing(body, code) or word in WAITING:
        return PollResult(ready=False, status=word or str(code))
    _raise_for_body(body, code)
    records = records_of(body)
    if word in READY or (records is not None and code < 300):
        return PollResult(ready=True, records=records or [], status=word or str(code))
    raise ProviderBadResponse(
        f"{LABEL} sent a poll answer we cannot read (status {word or code})."
    )


def batch_id_of(body) -> str | None:
    """The batch id of a start answer: variant A or B, top level or under `data`."""
    if not isinstance(body, dict):
        return None
    places = [body, body.get("data") if isinstance(body.get("data"), dict) else {}]
    for place in places:
        for key in ("batch_process_id", "unique_processing_id", "batch_id"):
            if place.get(key):
                return str(place[key])
    return None


def records_of(body: dict) -> list[dict] | None:
    """The records of a ready answer (`data` or `records`, maybe wrapped), else None."""
    for key in ("records", "data"):
        value = body.get(key)
        if isinstance(value, dict):
            value = value.get("records", value.get("data"))
        if isinstance(value, list):
            return [r for r in value if isinstance(r, dict)]
    return None


def profile_fields(record: dict) -> dict:
    """The columns the app keeps of one record (the raw record is kept as well)."""
    first = _text(record.get("contact_first_name"))
    last = _text(record.get("contact_last_name"))
    name = _text(record.get("contact_name")) or " ".join(p for p in (first, last) if p)
    place = [
        _text(record.get(f"contact_address_{part}"))
        or _text(record.get(f"company_address_{part}"))
        for part in ("city", "state", "country")
    ]
    return {
        "provider_record_id": record_id(record),
        "full_name": name[:255],
        "job_title": (
            _text(record.get("contact_job_title_1")) or _text(record.get("job_title"))
        )[:255],
        "company_name": _text(record.get("company_company_name"))[:255],
        "email": _text(record.get("contact_email_1"))[:320],
        "linkedin_url": _text(record.get("contact_social_linkedin"))[:500],
        "location": ", ".join(p for p in place if p)[:255],
    }


def record_id(record: dict) -> str:
    """The provider's record id, or a digest of the record when it has none."""
    value = record.get("id")
    if value not in (None, ""):
        return str(value)[:120]
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    return f"sha256:{digest[:40]}"


def _send(method: str, url: str, *, endpoint: str, **kwargs):
    try:
        return http.request(
            PROVIDER, method, url, endpoint=endpoint, label=LABEL, **kwargs
        )
    except ProviderAuthError as exc:
        raise ProviderAuthError(
            f"Invalid {LABEL} API key: the provider refused it (HTTP {exc.status}).",
            status=exc.status,
        ) from exc


def _base() -> str:
    return current_app.config["REACHSTREAM_URL"].rstrip("/")


def _headers() -> dict:
    return {
        "X-API-Key": current_app.config["REACHSTREAM_KEY"],
        "Accept": "application/json",
    }


def _envelope(response):
    """The JSON body with a JSON-string `data` decoded ("null" becomes None)."""
    body = http.json_body(response, LABEL)
    if isinstance(body, dict) and isinstance(body.get("data"), str):
        try:
            body = {**body, "data": json.loads(body["data"])}
        except ValueError:
            pass
    return body


def _status_word(body: dict) -> str:
    for key in ("status", "record_status", "batch_status"):
        value = body.get(key)
        if isinstance(value, str) and not value.strip().isdigit():
            return value.strip().upper()
    return ""


def _body_status(body, http_status: int) -> int:
    """The worse of the HTTP status and a numeric body `status` (they can differ)."""
    value = body.get("status") if isinstance(body, dict) else None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 400:
        return max(value, http_status) if http_status >= 400 else value
    return http_status


def _message(body) -> str:
    if not isinstance(body, dict):
        return ""
    return _text(body.get("message") or body.get("error") or body.get("detail"))


def _still_processing(body, code: int) -> bool:
    return code == 400 and says_still_processing(_message(body))


def _out_of_credits_message(body) -> str:
    detail = _message(body)
    suffix = f" ({detail})" if detail else ""
    return f"Out of {LABEL} credits: top up the account and run it again{suffix}."


def _raise_for_body(body, code: int) -> None:
    """Raise the error a body (or its HTTP status) describes; return when it is fine."""
    message = _message(body)
    lowered = message.lower()
    no_credit = code >= 400 and ("insufficient" in lowered or "credit" in lowered)
    if _status_word(body) in OUT_OF_CREDITS or code == 402 or no_credit:
        raise ProviderOutOfCredits(_out_of_credits_message(body), status=code)
    if code in (401, 403):
        raise ProviderAuthError(
            f"Invalid {LABEL} API key: the provider refused it (HTTP {code}).",
            status=code,
        )
    if code == 429:
        raise ProviderRateLimited(
            f"{LABEL} is rate limiting us (HTTP 429).", retry_after=30.0
        )
    if code == 404:
        raise ProviderNotFound(f"{LABEL} does not know this batch (HTTP 404).")
    if code >= 500:
        raise ProviderUnavailable(f"{LABEL} is unavailable (HTTP {code}).", status=code)
    if code >= 400:
        detail = f": {message}" if message else ""
        raise ProviderBadResponse(
            f"{LABEL} refused the request (HTTP {code}){detail}.", status=code
        )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value if v not in (None, ""))
    return str(value).strip()
