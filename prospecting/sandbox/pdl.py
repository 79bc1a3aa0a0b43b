"""Sandbox People Data Labs: `GET /v5/company/enrich`.

Same contract as https://docs.peopledatalabs.com/docs/company-enrichment-api
(`X-Api-Key` header, the profile at the top level beside status and likelihood,
404 with `{"status", "error": {"type", "message"}}` when nothing matches); the
query is checked against sandbox/contracts/pdl. Deterministic answers: it knows
many domains Apollo does not (and misses others), so a company waterfall shows
both ways; "nowhere" in a website or name is never found.
"""

from flask import jsonify
from flask import request

from prospecting.sandbox import bp
from prospecting.sandbox import contracts
from prospecting.sandbox import faults
from prospecting.sandbox.apollo import INDUSTRIES
from prospecting.sandbox.apollo import PLACES

SIZES = (("1-10", 7), ("11-50", 28), ("51-200", 96), ("201-500", 310))


def _error(status: int, type_: str, message: str):
    body = {"status": status, "error": {"type": type_, "message": message}}
    return jsonify(body), status


@bp.get("/pdl/v5/company/enrich")
def pdl_company_enrich():
    """A deterministic company for a website or a name; 404 when none matches."""
    key = request.headers.get("X-Api-Key", "")
    if not key or key.startswith("invalid"):
        return _error(401, "invalid_auth", "Invalid API key.")
    problems = contracts.problems("pdl", "company-enrich.request", dict(request.args))
    if problems:
        return _error(400, "invalid_request_error", "; ".join(problems))
    fault = faults.inject(
        "pdl",
        rate_body={"status": 429, "error": {"type": "rate_limit_error",
                                            "message": "Rate limit exceeded."}},
    )  # fmt: skip
    if fault is not None:
        return fault
    website = request.args.get("website", "").strip().lower()
    name = request.args.get("name", "").strip().lower()
    domain = website.split("//")[-1].split("/")[0].removeprefix("www.")
    if not domain:
        domain = "".join(c for c in name if c.isalnum()) + ".com"
    seed = faults.seed("pdl", domain)
    if "nowhere" in domain or (seed % 4 == 0 and "unknown" not in domain):
        return _error(404, "not_found", "No records were found matching your request")
    city, region, country = PLACES[seed % len(PLACES)]
    size, count = SIZES[(seed >> 8) % len(SIZES)]
    stem = domain.split(".")[0]
    return jsonify(
        {
            "status": 200,
            "likelihood": 6 + seed % 5,
            "id": f"{seed:x}"[:28],
            "name": stem.replace("-", " "),
            "display_name": stem.replace("-", " ").title(),
            "website": domain,
            "size": size,
            "employee_count": count,
            "industry": INDUSTRIES[(seed >> 16) % len(INDUSTRIES)],
            "founded": 1960 + (seed >> 24) % 60,
            "linkedin_url": f"linkedin.com/company/{stem}",
            "location": {
                "name": f"{city.lower()}, {region.lower()}, {country.lower()}",
                "locality": city.lower(),
                "region": region.lower(),
                "country": country.lower(),
            },
        }
    )


@bp.get("/pdl/v5/autocomplete")
def pdl_autocomplete():
    """PDL's free Autocomplete API: suggestions for the text typed in a field."""
    key = request.headers.get("X-Api-Key", "")
    if not key or key.startswith("invalid"):
        return _error(401, "invalid_auth", "Invalid API key.")
    problems = contracts.problems("pdl", "autocomplete.request", dict(request.args))
    if problems:
        return _error(400, "invalid_request_error", "; ".join(problems))
    text = request.args.get("text", "").strip().lower()
    size = int(request.args.get("size", "10"))
    seed = faults.seed("pdl-autocomplete", text)
    names = [f"{text or 'acme'}{suffix}" for suffix in ("", " labs", " group")]
    data = [
        {"name": name, "count": (seed >> (4 * i)) % 5000, "meta": {}}
        for i, name in enumerate(names[:size])
    ]
    return jsonify({"status": 200, "data": data, "fields": [request.args["field"]]})
