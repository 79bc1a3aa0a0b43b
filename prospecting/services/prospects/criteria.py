"""A prospect search's criteria: validating a request, the Unipile body of page
one per LinkedIn product, the result caps and page sizes of each, and estimates.

The bodies follow Unipile's published "Perform Linkedin search" schema (transcribed
in prospecting/sandbox/contracts/unipile/linkedin-search.request.json): each api
names its filters differently, and a filter sent under another api's name is
ignored by the provider.
"""

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
    "self-employed": {"min": 1, "max": 1},
    "1-10": {"min": 1, "max": 10},
    "11-50": {"min": 11, "max": 50},
    "51-200": {"min": 51, "max": 200},
    "201-500": {"min": 201, "max": 500},
    "501-1000": {"min": 501, "max": 1000},
    "1001-5000": {"min": 1001, "max": 5000},
    "5001-10000": {"min": 5001, "max": 10000},
    "10001+": {"min": 10001},
}
# LinkedIn's company-size letters (the seed's `company_headcount: ["B", "C"]`).
HEADCOUNT_LETTERS = {
    "A": "self-employed",
    "B": "1-10",
    "C": "11-50",
    "D": "51-200",
    "E": "201-500",
    "F": "501-1000",
    "G": "1001-5000",
    "H": "5001-10000",
    "I": "10001+",
}
MAX_LOCATIONS = 20
# The best api an account has, best first (Unipile's premiumFeatures names).
PREFERRED_APIS = ("sales_navigator", "recruiter")


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


def default_api(premium_features) -> str:
    """The api a search without `search_source` uses: the best the account has
    (Sales Navigator, then Recruiter), classic when it has neither or is unknown."""
    features = premium_features or []
    return next((api for api in PREFERRED_APIS if api in features), "classic")


def clean_request(data: dict, *, default: str = "classic") -> dict:
    """Validate a create-job request (§7.3 shape) into the job's params; without
    `search_source` the search runs on `default` (see default_api)."""
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.")
    api = data.get("search_source") or default
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
    """Band names, from band names or LinkedIn's size letters A-I."""
    if value in (None, "", []):
        return []
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    bands = (
        [HEADCOUNT_LETTERS.get(v.strip().upper(), v.strip()) for v in value]
        if ok
        else []
    )
    if not ok or any(b not in HEADCOUNTS for b in bands):
        raise InvalidInput(
            f"company_headcount must be a list of: {', '.join(HEADCOUNTS)} "
            "(or LinkedIn's size letters A-I)."
        )
    return list(dict.fromkeys(bands))


def provider_params(api: str, criteria: dict) -> dict:
    """The Unipile body of page one for cleaned criteria, in `api`'s own fields:

    - classic: `location: [id]`, a title in `advanced_keywords.title`, no
      company size filter (the classic people search has none);
    - sales_navigator: `location: {include: [id]}`, `role: {include: [title]}`,
      `company_headcount: [{min, max}]`;
    - recruiter: `location: [{id}]`, `role: [{keywords, priority, scope}]`,
      `company_headcount: [{min, max}]`.
    """
    body = {"api": api, "category": "people"}
    if criteria.get("keywords"):
        body["keywords"] = criteria["keywords"]
    locations, title = criteria.get("location"), criteria.get("title")
    if api == "sales_navigator":
        if locations:
            body["location"] = {"include": list(locations)}
        if title:
            body["role"] = {"include": [title]}
    elif api == "recruiter":
        if locations:
            body["location"] = [{"id": i} for i in locations]
        if title:
            body["role"] = [
                {"keywords": title, "priority": "MUST_HAVE", "scope": "CURRENT"}
            ]
    else:
        if locations:
            body["location"] = list(locations)
        if title:
            body["advanced_keywords"] = {"title": title}
    if criteria.get("company_headcount") and api != "classic":
        body["company_headcount"] = [
            HEADCOUNTS[b] for b in criteria["company_headcount"]
        ]
    return body
