"""Sandbox Unipile v1 LinkedIn search: deterministic people, base64 cursors, caps.

A search body is checked against the published schema of its api (the contract
prospecting/sandbox/contracts/unipile/linkedin-search.request.json) and a body
the contract refuses answers Unipile's own 400 `errors/invalid_parameters`.
`GET /api/v1/accounts/{id}` answers the account with its premiumFeatures: an
account id starting with "salesnav" has sales_navigator, one starting with
"recruiter" has recruiter (toggle `unipile_premium_features` overrides).

Toggles (runtime overrides or the X-Sandbox header): `unipile_rate_limited` answers
429, `unipile_disconnected` answers 401 errors/disconnected_account (as does any
account id starting with "disconnected"), `unipile_total_count` fixes the number of
matches, `unipile_overlap` repeats that many people of the previous page.
"""

import base64
import binascii
import json

from flask import jsonify
from flask import request

from prospecting.sandbox import bp
from prospecting.sandbox import contracts
from prospecting.sandbox import faults

PAGE_SIZE_CAPS = {"classic": 50, "sales_navigator": 100, "recruiter": 100}
RESULT_CAPS = {"classic": 1000, "sales_navigator": 2500, "recruiter": 2500}
VARIANTS = {
    "classic": "Classic - People",
    "sales_navigator": "Sales Navigator - People",
    "recruiter": "Recruiter - People",
}
SEARCH_CONTRACT = "linkedin-search.request"
SERVICES = ("CLASSIC", "RECRUITER", "SALES_NAVIGATOR")
LOCATIONS = (
    ("102277331", "San Francisco, California, United States"),
    ("105080838", "New York, New York, United States"),
    ("104116203", "Seattle, Washington, United States"),
    ("102748797", "Bretagne, France"),
    ("105015875", "France"),
    ("106383538", "Paris, Île-de-France, France"),
    ("101165590", "United Kingdom"),
    ("90009496", "London Area, United Kingdom"),
    ("102890719", "Germany"),
    ("106967730", "Berlin, Germany"),
    ("102713980", "India"),
    ("105214831", "Bengaluru, Karnataka, India"),
    ("101174742", "Canada"),
    ("100025096", "Toronto, Ontario, Canada"),
    ("101452733", "Australia"),
    ("104769905", "Sydney, New South Wales, Australia"),
    ("103644278", "United States"),
    ("104305776", "Austin, Texas, United States"),
    ("102221843", "Netherlands"),
    ("102011674", "Amsterdam, North Holland, Netherlands"),
    ("105646813", "Spain"),
    ("100994331", "Madrid, Community of Madrid, Spain"),
    ("103350119", "Italy"),
    ("102095887", "Brazil"),
    ("106057199", "São Paulo, Brazil"),
)
INDUSTRIES = (
    ("4", "Software Development"),
    ("6", "Technology, Information and Internet"),
    ("43", "Financial Services"),
    ("14", "Hospitals and Health Care"),
    ("80", "Advertising Services"),
    ("96", "IT Services and IT Consulting"),
)
FIRST = (
    "Luciano",
    "Amara",
    "Wei",
    "Sofia",
    "Jonas",
    "Priya",
    "Mateo",
    "Chloé",
    "Kwame",
    "Hana",
    "Oliver",
    "Fatima",
    "Lars",
    "Ines",
    "Dmitri",
    "Aisha",
)
LAST = (
    "Bana",
    "Okafor",
    "Chen",
    "Rossi",
    "Berg",
    "Raman",
    "García",
    "Martin",
    "Mensah",
    "Sato",
    "Wright",
    "Haddad",
    "Nilsen",
    "Costa",
    "Ivanov",
    "Khan",
)
TITLES = (
    "Software Engineer",
    "VP Sales",
    "Head of Growth",
    "CTO",
    "Data Scientist",
    "Account Executive",
    "Product Manager",
    "Marketing Director",
)
COMPANIES = (
    "Hudson Meridian",
    "Northwind Labs",
    "Acme Robotics",
    "Bluefin Health",
    "Quantix",
    "Orbital Foods",
    "Kestrel Capital",
    "Lumen Logistics",
)
SENIORITY = ("", "Senior ", "Lead ", "Principal ")


def _error(status: int, kind: str, title: str, detail: str = ""):
    body = {
        "title": title,
        "detail": detail or title,
        "instance": request.path,
        "type": f"errors/{kind}",
        "status": status,
    }
    return jsonify(body), status


def _guard(account_id: str | None = None):
    """Credential, account and toggle checks shared by the endpoints (the account
    in the path, or else in the query string)."""
    key = request.headers.get("X-API-KEY", "")
    if not key:
        return _error(401, "missing_credentials", "Missing credentials")
    if key.startswith("invalid"):
        return _error(401, "invalid_credentials", "Invalid credentials")
    account_id = account_id or request.args.get("account_id", "")
    if not account_id:
        return _error(
            400,
            "invalid_parameters",
            "Invalid parameters",
            "account_id is required in the query string.",
        )
    cfg = faults.settings()
    if cfg.get("unipile_disconnected") or account_id.startswith("disconnected"):
        return _error(
            401,
            "disconnected_account",
            "Disconnected account",
            "The account appears to be disconnected from the provider.",
        )
    if cfg.get("unipile_rate_limited"):
        return jsonify(
            {
                "title": "Too many requests",
                "status": 429,
                "detail": "The provider cannot accept any more requests at the moment.",
            }
        ), 429
    return faults.inject("unipile")


def encode_cursor(account_id: str, limit: int, start: int, params: dict) -> str:
    raw = {"account_id": account_id, "limit": limit, "start": start, "params": params}
    return base64.b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> dict | None:
    try:
        data = json.loads(base64.b64decode(cursor.encode(), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    ok = isinstance(data, dict) and isinstance(data.get("params"), dict)
    return data if ok and isinstance(data.get("start"), int) else None


@bp.post("/unipile/api/v1/linkedin/search")
def unipile_search():
    """A page of deterministic people for the parameters, or for a cursor."""
    refused = _guard()
    if refused is not None:
        return refused
    account_id = request.args["account_id"]
    body = request.get_json(silent=True) or {}
    cursor = body.get("cursor") or request.args.get("cursor")
    if cursor:
        state = decode_cursor(cursor)
        if state is None or state.get("account_id") != account_id:
            return _error(
                400,
                "invalid_parameters",
                "Invalid parameters",
                "The cursor is invalid or belongs to another account.",
            )
        params, start, limit = state["params"], state["start"], state["limit"]
    else:
        params, start = body, 0
        limit = request.args.get("limit", 10, type=int)
    api = params.get("api")
    if api not in RESULT_CAPS or params.get("category") != "people":
        return _error(
            400,
            "invalid_parameters",
            "Invalid parameters",
            "api must be classic, sales_navigator or recruiter and category people.",
        )
    refused = contracts.problems(
        "unipile", SEARCH_CONTRACT, params, variant=VARIANTS[api]
    )
    if refused:
        return _error(
            400, "invalid_parameters", "Invalid parameters", "; ".join(refused)
        )
    if limit is None or not 1 <= limit <= PAGE_SIZE_CAPS[api]:
        return _error(
            400,
            "invalid_parameters",
            "Invalid parameters",
            f"limit must be between 1 and {PAGE_SIZE_CAPS[api]} for {api}.",
        )
    total = _total_count(params)
    reachable = min(total, RESULT_CAPS[api])
    overlap = int(faults.settings().get("unipile_overlap") or 0)
    first = max(0, start - overlap) if start else 0
    end = min(start + limit, reachable)
    items = [_person(params, i) for i in range(first, end)]
    more = end < reachable
    return jsonify(
        {
            "object": "LinkedinSearch",
            "items": items,
            "config": {"params": params},
            "paging": {"start": start, "page_count": len(items), "total_count": total},
            "cursor": encode_cursor(account_id, limit, end, params) if more else None,
        }
    )


def _total_count(params: dict) -> int:
    fixed = faults.settings().get("unipile_total_count")
    if fixed is not None:
        return int(fixed)
    return 1800 + faults.seed("unipile", _canonical(params)) % 40000


def _canonical(params: dict) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def _wanted_title(params: dict) -> str | None:
    """The title filter in the api's own field (the body passed its contract)."""
    advanced = params.get("advanced_keywords")
    if isinstance(advanced, dict) and advanced.get("title"):
        return str(advanced["title"])
    roles = params.get("role")
    if isinstance(roles, dict) and roles.get("include"):
        return str(roles["include"][0])
    if isinstance(roles, list) and roles and isinstance(roles[0], dict):
        return roles[0].get("keywords")
    return None


def _wanted_locations(params: dict) -> list[str]:
    """Location ids in the api's own shape: [id], {include: [id]} or [{id}]."""
    value = params.get("location") or []
    if isinstance(value, dict):
        value = value.get("include") or []
    return [str(v["id"] if isinstance(v, dict) else v) for v in value]


def _person(params: dict, index: int) -> dict:
    seed = faults.seed("unipile-person", _canonical(params), str(index))
    first, last = FIRST[seed % len(FIRST)], LAST[(seed >> 8) % len(LAST)]
    title = _wanted_title(params) or TITLES[(seed >> 16) % len(TITLES)]
    title = SENIORITY[(seed >> 20) % len(SENIORITY)] + title
    company = COMPANIES[(seed >> 24) % len(COMPANIES)]
    wanted = _wanted_locations(params)
    places = [t for i, t in LOCATIONS if i in wanted] or [t for _, t in LOCATIONS]
    location = places[(seed >> 28) % len(places)]
    slug = f"{first}-{last}-{seed % 0xFFFFFF:06x}".lower()
    distance = ("DISTANCE_1", "DISTANCE_2", "DISTANCE_3", "OUT_OF_NETWORK")[
        (seed >> 32) % 4
    ]
    ident = f"{seed:016x}{index:06x}"
    if params.get("api") == "classic":
        return {
            "object": "SearchResult",
            "type": "PEOPLE",
            "id": f"ACoAA{ident}",
            "public_identifier": None,
            "public_profile_url": None,
            "profile_url": f"https://www.linkedin.com/in/{slug}",
            "profile_picture_url": None,
            "profile_picture_url_large": None,
            "member_urn": f"urn:li:member:{seed % 10**9}",
            "name": f"{first} {last}",
            "network_distance": distance,
            "location": location,
            "industry": None,
            "headline": f"{title} at {company}",
        }
    return {
        "object": "SearchResult",
        "type": "PEOPLE",
        "id": f"ACwAA{ident}",
        "name": f"{first} {last}",
        "first_name": first,
        "last_name": last,
        "member_urn": f"urn:li:member:{seed % 10**9}",
        "public_identifier": slug,
        "public_profile_url": f"https://www.linkedin.com/in/{slug}",
        "profile_url": f"https://www.linkedin.com/sales/lead/ACwAA{ident}",
        "profile_picture_url": None,
        "profile_picture_url_large": None,
        "network_distance": distance,
        "location": location,
        "industry": None,
        "headline": f"{title} | {company}",
        "premium": bool(seed & 1),
        "open_profile": bool(seed & 2),
        "pending_invitation": False,
        "current_positions": [
            {
                "company": company,
                "company_id": None,
                "description": None,
                "role": title,
                "location": location,
                "industry": [],
                "skills": None,
                "tenure_at_company": {"years": 1 + seed % 9},
            }
        ],
    }


@bp.get("/unipile/api/v1/linkedin/search/parameters")
def unipile_parameters():
    """Location (or industry) ids whose title contains the keywords."""
    refused = _guard()
    if refused is not None:
        return refused
    kind = request.args.get("type", "")
    # Newer docs name Sales Navigator's locations REGION (service=SALES_NAVIGATOR).
    tables = {"LOCATION": LOCATIONS, "REGION": LOCATIONS, "INDUSTRY": INDUSTRIES}
    if request.args.get("service", "CLASSIC") not in SERVICES:
        return _error(
            400,
            "invalid_parameters",
            "Invalid parameters",
            f"service must be one of {', '.join(SERVICES)}.",
        )
    if kind not in tables:
        return _error(
            400,
            "invalid_parameters",
            "Invalid parameters",
            f"type must be one of {', '.join(tables)} in the sandbox.",
        )
    limit = request.args.get("limit", 10, type=int)
    if limit is None or not 1 <= limit <= 100:
        return _error(
            400,
            "invalid_parameters",
            "Invalid parameters",
            "limit must be between 1 and 100.",
        )
    words = request.args.get("keywords", "").strip().lower()
    found = [(i, t) for i, t in tables[kind] if words in t.lower()]
    items = [
        {"object": "LinkedinSearchParameter", "id": i, "title": t}
        for i, t in found[:limit]
    ]
    return jsonify(
        {
            "object": "LinkedinSearchParametersList",
            "items": items,
            "paging": {"page_count": len(items)},
        }
    )


@bp.get("/unipile/api/v1/accounts/<account_id>")
def unipile_account(account_id: str):
    """A LinkedIn account with its premium features (see the module docstring)."""
    refused = _guard(account_id)
    if refused is not None:
        return refused
    features = faults.settings().get("unipile_premium_features")
    if features is None:
        prefixes = {
            "salesnav": ["sales_navigator", "premium"],
            "recruiter": ["recruiter"],
        }
        features = next(
            (f for p, f in prefixes.items() if account_id.startswith(p)), []
        )
    return jsonify(
        {
            "object": "Account",
            "type": "LINKEDIN",
            "id": account_id,
            "name": "Sandbox LinkedIn",
            "created_at": "2026-01-01T00:00:00.000Z",
            "connection_params": {
                "im": {
                    "id": f"ACoAA{account_id[:12]}",
                    "publicIdentifier": "sandbox-user",
                    "username": "Sandbox User",
                    "premiumId": None,
                    "premiumContractId": None,
                    "premiumFeatures": list(features),
                    "organizations": [],
                }
            },
            "groups": [],
            "sources": [{"id": f"{account_id}_MESSAGING", "status": "OK"}],
        }
    )
