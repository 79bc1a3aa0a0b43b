"""One adapter contract per field, and the registry of the providers behind each.

A field is what a row asks for: `email_verification` (an address → a neutral
verdict), `email_finding` (a person at a domain → an address) and `company` (a
domain → a company). Every adapter of a field has the same call and the same
answers, so the waterfall (services/enrichment/waterfall.py) can ask them in a
workspace's order:

- email_verification: `call(email) -> EmailVerdict`; verdict "unknown" means
  "ask the next one";
- email_finding: `call(first, last, domain) -> FoundEmail`, ProviderNotFound when
  it has none;
- company: `call(domain) -> CompanyData`, ProviderNotFound when it has none.

`provider` and `endpoint` are the metering keys (price, cap, cache, call log).
The pattern finder ("patterns") lives in services and registers itself there.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from prospecting.providers import companies
from prospecting.providers import emails
from prospecting.providers import hunter
from prospecting.providers import pdl

FIELDS = ("email_finding", "email_verification", "company")
FIELD_LABELS = {
    "email_finding": "Email finding",
    "email_verification": "Email verification",
    "company": "Company",
}


@dataclass(frozen=True)
class Adapter:
    name: str  # what settings and provenance call it
    field: str
    label: str
    provider: str  # metering provider key
    endpoint: str  # metering endpoint key
    call: Callable
    by_name: Callable | None = None  # company: a company name → CompanyData
    key: str | None = None  # the config key it needs; unset = not asked

    def configured(self) -> bool:
        return self.key is None or bool(current_app.config.get(self.key))


_REGISTRY: dict[str, dict[str, Adapter]] = {f: {} for f in FIELDS}


def register(adapter: Adapter) -> Adapter:
    if adapter.field not in _REGISTRY:
        raise ValueError(f"unknown field {adapter.field!r}")
    _REGISTRY[adapter.field][adapter.name] = adapter
    return adapter


def names(field: str) -> list[str]:
    """The adapters of a field, in registration order (the default order)."""
    return list(_REGISTRY[field])


def get(field: str, name: str) -> Adapter:
    return _REGISTRY[field][name]


def ordered(field: str, order: list[str] | None) -> list[Adapter]:
    """The field's adapters in `order` (unknown names dropped); the default order
    when none is given."""
    known, config = _REGISTRY[field], current_app.config
    chosen = [n for n in (order or []) if n in known] or list(known)
    return [a for n in chosen if (a := known[n]).key is None or config.get(a.key)]


register(
    Adapter(
        "reacher",
        "email_verification",
        "Reacher",
        emails.PROVIDER,
        emails.ENDPOINT,
        emails.verify,
    )
)
register(
    Adapter(
        "hunter",
        "email_verification",
        "Hunter Email Verifier",
        hunter.PROVIDER,
        hunter.VERIFIER,
        hunter.verify,
        key="HUNTER_KEY",
    )
)
register(
    Adapter(
        "apollo",
        "company",
        "Apollo",
        companies.PROVIDER,
        companies.ENDPOINT,
        companies.enrich,
    )
)
register(
    Adapter(
        "pdl",
        "company",
        "People Data Labs",
        pdl.PROVIDER,
        pdl.ENDPOINT,
        pdl.enrich,
        by_name=pdl.enrich_by_name,
        key="PDL_KEY",
    )
)
register(
    Adapter(
        "hunter",
        "email_finding",
        "Hunter Email Finder",
        hunter.PROVIDER,
        hunter.FINDER,
        hunter.find,
        key="HUNTER_KEY",
    )
)
