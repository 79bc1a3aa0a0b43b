"""Which settings each globally configured provider needs, and what is wrong with
them: in production a URL that still points at the bundled sandbox (the default)
means the provider is not configured. Read at start (a log line), on the Ops page
and by `flask providers check`; jobs meet the same rule in http.request."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderSettings:
    name: str  # the call log's provider name
    label: str
    url_key: str
    key_key: str | None


GLOBAL = (
    ProviderSettings(
        "emails", "Reacher (email verifier)", "EMAIL_VERIFIER_URL", "EMAIL_VERIFIER_KEY"
    ),
    ProviderSettings(
        "companies",
        "Apollo (company enricher)",
        "COMPANY_ENRICHER_URL",
        "COMPANY_ENRICHER_KEY",
    ),
    ProviderSettings(
        "reachstream", "ReachStream", "REACHSTREAM_URL", "REACHSTREAM_KEY"
    ),
    ProviderSettings("attestr", "Attestr", "ATTESTR_URL", "ATTESTR_KEY"),
    ProviderSettings(
        "sender", "The message sender", "OUTREACH_SENDER_URL", "OUTREACH_SENDER_KEY"
    ),
    ProviderSettings("airtable", "Airtable", "AIRTABLE_URL", None),
)


def points_at_sandbox(config, url: str | None) -> bool:
    sandbox = (config.get("SANDBOX_URL") or "").rstrip("/")
    return bool(url and sandbox) and url.rstrip("/").startswith(sandbox)


def not_configured(config) -> dict[str, str]:
    """Provider name -> why it is not configured (production only; empty else)."""
    if not config.get("PRODUCTION"):
        return {}
    found = {}
    for p in GLOBAL:
        url = config.get(p.url_key)
        if not url:
            found[p.name] = f"{p.label} is not configured: {p.url_key} is not set."
        elif points_at_sandbox(config, url):
            found[p.name] = (
                f"{p.label} is not configured: {p.url_key} still points at the "
                f"sandbox ({url}). Set {p.url_key}"
                + (f" and {p.key_key}." if p.key_key else ".")
            )
        elif p.key_key and config.get(p.key_key) in (None, "", "sandbox-key"):
            found[p.name] = f"{p.label} is not configured: {p.key_key} is not set."
    return found
