"""A prospect search's criteria: validating a request, the Unipile body of page
one, the result caps and page sizes of each LinkedIn product, and estimates."""

import math

from flask import current_app

from prospecting.providers import unipile
from prospecting.services.errors import InvalidInput

API_LABELS = {
    "classic": "LinkedIn classic",
    "sales_navigator": "Sales Navigator",
    "recruiter": "Recruiter",
}
HEADCOUNTS = {
    "1-10": {"min": 1, "max": 10},
    "11-50": {"min": 11, "max": 50},
    "51-200": {"min": 51, "max": 200},
    "201-500": {"min": 201, "max": 500},
    "501-1000": {"min": 501, "max": 1000},
    "1001-5000": {"min": 1001, "max": 5000},
    "5001-10000": {"min": 5001, "max": 10000},
    "10001+": {"min": 10001},
}
MAX_LOCATIONS = 20


def cap(api: str) -> int:
    return int(current_app.config["UNIPILE_RESULT_CAPS"][api])


def page_size(api: str) -> int:
    return int(current_app.config["UNIPILE_PAGE_SIZES"][api])


def estimate(api: str, target: int) -> dict:
    """Pages and expected seconds of a search: pages × page time + pauses between."""
    cfg = current_app.config
    size = page_size(api)
    pages = max(1, math.ceil(min(target, cap(api)) / size))
    seconds = (
        pages * cfg["PROSPECT_EXPECTED_PAGE_SECONDS"]
        + (pages - 1) * cfg["PROSPECT_PAGE_DELAY_SECONDS"]
    )
    return {
        "pages": pages,
        "page_size": size,
        "seconds": math.ceil(seconds),
        "cap": cap(api),
        "api": api,
    }


def clean_request(data: dict) -> dict:
    """Validate a create-job request (§7.3 shape) into the job's params."""
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.")
    api = data.get("search_source") or "classic"
    if api not in unipile.APIS:
        raise InvalidInput(
            "search_source must be one of classic, sales_navigator, recruiter."
        )
    target = _target(data.get("target_count"), api)
    criteria = data.get("search_criteria") or {}
    if not isinstance(criteria, dict):
        raise InvalidInput("search_criteria must be an object.")
    if criteria.get("category", "people") != "people":
        raise InvalidInput("Only the people category can be searched.")
    clean = {
        "category": "people",
        "keywords": _text(criteria.get("keywords"), "keywords"),
        "title": _text(criteria.get("title"), "title"),
        "location": _locations(criteria.get("location")),
        "company_headcount": _headcounts(criteria.get("company_headcount")),
    }
    if not (clean["keywords"] or clean["title"] or clean["location"]):
        raise InvalidInput("Give keywords, a title or a location to search for.")
    return {"api": api, "criteria": clean, "target": target, "search_type": "linkedin"}


def _target(value, api: str) -> int:
    try:
        target = int(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput("target_count must be a whole number.") from None
    if target < 1:
        raise InvalidInput("target_count must be at least 1.")
    if target > cap(api):
        raise InvalidInput(
            f"target_count {target:,} is above the {API_LABELS[api]} cap of "
            f"{cap(api):,} results per search.",
            code="above_cap",
        )
    return target


def _text(value, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text.")
    if len(value) > 200:
        raise InvalidInput(f"{name} must be at most 200 characters.")
    return value.strip()


def _locations(value) -> list[str]:
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or len(value) > MAX_LOCATIONS:
        raise InvalidInput(f"location must be a list of up to {MAX_LOCATIONS} ids.")
    ids = [str(v).strip() for v in value]
    if not all(i.isdigit() for i in ids):
        raise InvalidInput("location ids must be numbers (from the location search).")
    return list(dict.fromkeys(ids))


def _headcounts(value) -> list[str]:
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or any(
        not isinstance(v, str) or v not in HEADCOUNTS for v in value
    ):
        raise InvalidInput(
            f"company_headcount must be a list of: {', '.join(HEADCOUNTS)}."
        )
    return list(dict.fromkeys(value))


def provider_params(api: str, criteria: dict) -> dict:
    """The Unipile body of page one for cleaned criteria."""
    body = {"api": api, "category": "people"}
    if criteria.get("keywords"):
        body["keywords"] = criteria["keywords"]
    if criteria.get("location"):
        body["location"] = criteria["location"]
    title = criteria.get("title")
    if title and api == "recruiter":
        body["role"] = [
            {"keywords": title, "priority": "MUST_HAVE", "scope": "CURRENT_OR_PAST"}
        ]
    elif title:
        body["advanced_keywords"] = {"title": title}
    # LinkedIn classic search has no company size filter.
    if criteria.get("company_headcount") and api != "classic":
        body["company_headcount"] = [
            HEADCOUNTS[b] for b in criteria["company_headcount"]
        ]
    return body
