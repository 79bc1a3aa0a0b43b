"""Company enrichment by domain over the Apollo `organizations/enrich` contract."""

from dataclasses import asdict
from dataclasses import dataclass

from flask import current_app

from prospecting.providers import http
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderNotFound

PROVIDER = "companies"
ENDPOINT = "organizations/enrich"
LABEL = "The company enricher"


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
        return asdict(self)

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


def enrich(domain: str) -> CompanyData:
    """The company behind a domain; ProviderNotFound when the provider knows none."""
    cfg = current_app.config
    response = http.request(
        PROVIDER,
        "GET",
        f"{cfg['COMPANY_ENRICHER_URL']}/api/v1/organizations/enrich",
        endpoint=ENDPOINT,
        label=LABEL,
        params={"domain": domain},
        headers={"x-api-key": cfg["COMPANY_ENRICHER_KEY"]},
        billable=True,  # priced per call (credits); no idempotency key
    )
    if response.status_code == 404:
        raise ProviderNotFound(f"No company data for {domain}.")
    if response.status_code >= 400:
        raise ProviderBadResponse(
            f"{LABEL} refused the request (HTTP {response.status_code}).",
            status=response.status_code,
        )
    return parse(domain, http.json_body(response, LABEL))


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
