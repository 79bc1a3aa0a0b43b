"""Sandbox company enricher speaking Apollo's `GET /api/v1/organizations/enrich`.

Every answer carries Apollo's rate-limit headers (docs.apollo.io/reference/
rate-limits). Settings: `apollo_minute_left` (x-minute-requests-left, default 99),
`apollo_quota` "minute" | "hourly" | "daily" (answer that window's 429),
`apollo_plan_lacks_endpoint` (answer 403 API_INACCESSIBLE). A query outside the
published contract (contracts/apollo) gets Apollo's 422.
"""

from flask import request

from prospecting.sandbox import bp
from prospecting.sandbox import contracts
from prospecting.sandbox import faults

LIMITS = {"minute": 100, "hourly": 600, "daily": 2000}

INDUSTRIES = (
    "information technology & services",
    "computer software",
    "marketing & advertising",
    "financial services",
    "hospital & health care",
    "retail",
    "logistics & supply chain",
    "management consulting",
    "education management",
    "real estate",
)
PLACES = (
    ("San Francisco", "California", "United States"),
    ("London", "England", "United Kingdom"),
    ("Bengaluru", "Karnataka", "India"),
    ("Berlin", "Berlin", "Germany"),
    ("Austin", "Texas", "United States"),
    ("Toronto", "Ontario", "Canada"),
    ("Paris", "Ile-de-France", "France"),
    ("Sydney", "New South Wales", "Australia"),
)
SIZES = (8, 35, 120, 340, 800, 2400, 7000, 25000)


@bp.get("/apollo/api/v1/organizations/enrich")
def apollo_enrich():
    """Deterministic organization for a domain; some domains are unknown."""
    key = request.headers.get("x-api-key", "")
    if not key or key.startswith("invalid"):
        return faults.json_response({"error": "Invalid access credentials."}), 401
    settings = faults.settings()
    if settings.get("apollo_plan_lacks_endpoint"):
        return faults.json_response(
            {
                "error": "api/v1/organizations/enrich is not accessible with this "
                "api_key on a free plan. Please upgrade your plan.",
                "error_code": "API_INACCESSIBLE",
            }
        ), 403
    quota = settings.get("apollo_quota")
    if quota:
        return _quota_used_up(quota)
    problems = contracts.problems(
        "apollo", "organizations_enrich.request", request.args.to_dict()
    )
    if problems:
        return faults.json_response({"error": problems[0]}), 422
    response = _enrich(settings)
    response.headers.update(_rate_headers(int(settings.get("apollo_minute_left", 99))))
    return response


def _rate_headers(minute_left: int, hourly_left: int = 599, daily_left: int = 1999):
    return {
        "x-rate-limit-minute": str(LIMITS["minute"]),
        "x-minute-requests-left": str(minute_left),
        "x-minute-usage": str(LIMITS["minute"] - minute_left),
        "x-rate-limit-hourly": str(LIMITS["hourly"]),
        "x-hourly-requests-left": str(hourly_left),
        "x-hourly-usage": str(LIMITS["hourly"] - hourly_left),
        "x-rate-limit-daily": str(LIMITS["daily"]),
        "x-daily-requests-left": str(daily_left),
        "x-daily-usage": str(LIMITS["daily"] - daily_left),
    }


def _quota_used_up(window: str):
    per = {"minute": "minute", "hourly": "hour", "daily": "day"}[window]
    response = faults.json_response(
        {
            "message": "The maximum number of api calls allowed for "
            f"api/v1/organizations/enrich is {LIMITS[window]} times per {per}. "
            "Please upgrade your plan if you need to increase the limit."
        }
    )
    response.status_code = 429
    response.headers.update(
        _rate_headers(
            0 if window == "minute" else 5,
            hourly_left=0 if window == "hourly" else 5,
            daily_left=0 if window == "daily" else 5,
        )
    )
    return response


def _enrich(settings: dict):
    fault = faults.inject(
        "apollo",
        rate_body={
            "message": "The maximum number of api calls allowed for "
            "api/v1/organizations/enrich is 100 times per minute."
        },
        cfg=settings,
    )
    if fault is not None:
        return fault
    domain = request.args.get("domain", "").strip().lower()
    seed = faults.seed("apollo", domain)
    if "unknown" in domain or seed % 10 == 0:
        return faults.json_response({})
    city, state, country = PLACES[seed % len(PLACES)]
    stem = domain.split(".")[0]
    return faults.json_response(
        {
            "organization": {
                "id": f"{seed:x}"[:24],
                "name": stem.replace("-", " ").title(),
                "primary_domain": domain,
                "website_url": f"http://www.{domain}",
                "linkedin_url": f"http://www.linkedin.com/company/{stem}",
                "estimated_num_employees": SIZES[(seed >> 8) % len(SIZES)],
                "industry": INDUSTRIES[(seed >> 16) % len(INDUSTRIES)],
                "founded_year": 1950 + (seed >> 24) % 74,
                "city": city,
                "state": state,
                "country": country,
            }
        }
    )
