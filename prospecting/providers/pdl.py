"""People Data Labs company enrichment (`GET /v5/company/enrich`), as the app's
company shape.

Written from PDL's public documentation:
https://docs.peopledatalabs.com/docs/quickstart-company-enrichment-api (the
`X-Api-Key` header, `website` or `name` as match keys),
https://docs.peopledatalabs.com/docs/output-response-company-enrichment-api (the
profile fields at the top level, beside `status` and `likelihood`; 404 when no
company matches, and a match is what is charged) and
https://docs.peopledatalabs.com/docs/errors (402 when out of credits). The
Autocomplete API, a supporting API that consumes no credits
(https://docs.peopledatalabs.com/support/billing/how-credits-work), is the
free call `flask providers check` makes.
"""

from flask import current_app

from prospecting.providers import http
from prospecting.providers.companies import CompanyData
from prospecting.providers.companies import size_range
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderUnavailable

PROVIDER = "pdl"
ENDPOINT = "company/enrich"
LABEL = "People Data Labs"
AUTOCOMPLETE = "autocomplete"
CHECK_COSTS = False  # `flask providers check` calls the free Autocomplete API


def enrich(domain: str) -> CompanyData:
    """The company behind a domain; ProviderNotFound when PDL matches none."""
    return _enrich({"website": domain}, domain)


def enrich_by_name(name: str) -> CompanyData:
    """The company PDL matches to a name (its website gives the domain)."""
    company = _enrich({"name": name}, "")
    if not company.domain:
        raise ProviderNotFound(f"{LABEL} knows no website for {name}.")
    return company


def _enrich(params: dict, domain: str) -> CompanyData:
    cfg = current_app.config
    response = http.request(
        PROVIDER,
        "GET",
        f"{cfg['PDL_URL']}/v5/company/enrich",
        endpoint=ENDPOINT,
        label=LABEL,
        params=params,
        headers={"X-Api-Key": cfg["PDL_KEY"]},
        billable=True,  # a match is charged a credit; no idempotency key
        passthrough=(400, 402, 404),
    )
    status = response.status_code
    if status == 404:
        raise ProviderNotFound(f"No company data for {domain or params}.", status=404)
    if status == 402:
        # Out of credits: nothing more will answer today; not the row's fault.
        raise ProviderUnavailable(f"{LABEL} is out of credits (HTTP 402).", status=402)
    if status >= 400:
        raise ProviderBadResponse(
            f"{LABEL} refused the request (HTTP {status}).", status=status
        )
    return parse(domain, http.json_body(response, LABEL))


def _host(website) -> str | None:
    if not isinstance(website, str) or not website.strip():
        return None
    host = website.strip().lower().split("//")[-1].split("/")[0]
    return host.removeprefix("www.") or None


def parse(domain: str, body) -> CompanyData:
    """Normalise a PDL company record to the app's company shape (providers.md §6)."""
    if not isinstance(body, dict):
        raise ProviderBadResponse(f"{LABEL} sent an answer that is not an object.")
    if not body.get("name") and not body.get("id"):
        raise ProviderNotFound(f"No company data for {domain}.")
    count = body.get("employee_count")
    count = count if isinstance(count, int) else None
    location = body.get("location") if isinstance(body.get("location"), dict) else {}
    founded = body.get("founded")
    return CompanyData(
        domain=_host(body.get("website")) or domain,
        name=body.get("display_name") or body.get("name"),
        employee_count=count,
        size_range=body.get("size") or size_range(count),
        industry=body.get("industry"),
        city=location.get("locality"),
        region=location.get("region"),
        country=location.get("country"),
        linkedin_url=body.get("linkedin_url"),
        founded_year=founded if isinstance(founded, int) else None,
        provider="pdl",
        provider_id=body.get("id"),
    )


def autocomplete(field: str, text: str, size: int = 1) -> list[str]:
    """PDL's suggestions for `text` in `field` (free: a supporting API)."""
    cfg = current_app.config
    response = http.request(
        PROVIDER,
        "GET",
        f"{cfg['PDL_URL']}/v5/autocomplete",
        endpoint=AUTOCOMPLETE,
        label=LABEL,
        params={"field": field, "text": text, "size": str(size)},
        headers={"X-Api-Key": cfg["PDL_KEY"]},
    )
    return [str(s.get("name", "")) for s in http.json_body(response, LABEL)["data"]]


def check() -> str:
    """`flask providers check`: one free autocomplete call."""
    if not current_app.config.get("PDL_KEY"):
        return "not used: PDL_KEY is not set (needed once a waterfall lists PDL)"
    found = autocomplete("company", "acme")
    return f"answered ({len(found)} suggestion for 'acme'; free)"
