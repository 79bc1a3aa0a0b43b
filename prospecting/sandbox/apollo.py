"""Sandbox company enricher speaking Apollo's `GET /api/v1/organizations/enrich`."""

from flask import jsonify
from flask import request

from prospecting.sandbox import bp
from prospecting.sandbox import faults

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
        return jsonify({"error": "Invalid access credentials."}), 401
    fault = faults.inject(
        "apollo",
        rate_body={
            "message": "The maximum number of api calls allowed for "
            "api/v1/organizations/enrich is 600 times per hour."
        },
    )
    if fault is not None:
        return fault
    domain = request.args.get("domain", "").strip().lower()
    if not domain:
        return jsonify({"error": "domain is required"}), 422
    seed = faults.seed("apollo", domain)
    if "unknown" in domain or seed % 10 == 0:
        return jsonify({})
    city, state, country = PLACES[seed % len(PLACES)]
    stem = domain.split(".")[0]
    return jsonify(
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
