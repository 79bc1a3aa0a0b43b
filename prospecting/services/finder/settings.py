"""A workspace's provider order per field and its verification freshness window."""

from flask import current_app

from prospecting.extensions import db
from prospecting.models import EnrichmentSettings
from prospecting.models.base import utcnow
from prospecting.providers import adapters
from prospecting.services.errors import InvalidInput

# The email finder's own adapter: candidates in the usual patterns, verified.
PATTERNS = "patterns"
MAX_FRESHNESS_DAYS = 3650


def field_choices(field: str) -> list[str]:
    """Every provider a field may use, in the default order."""
    names = adapters.names(field)
    return [PATTERNS, *names] if field == "email_finding" else names


def provider_order(workspace_id: int | None, field: str) -> list[str]:
    """The workspace's order for a field (every known provider it lists, in its
    order), else the field's first provider alone: a second, separately paid
    provider is asked only once the workspace puts it in its waterfall."""
    choices = field_choices(field)
    row = db.session.get(EnrichmentSettings, workspace_id) if workspace_id else None
    chosen = (row.provider_order or {}).get(field) if row else None
    order = [n for n in (chosen or []) if n in choices]
    return order or choices[:1]


def freshness_days(workspace_id: int) -> int:
    """Days a verification stays fresh (default 90, FRESHNESS_DAYS)."""
    row = db.session.get(EnrichmentSettings, workspace_id)
    if row is not None and row.freshness_days:
        return row.freshness_days
    return current_app.config.get("FRESHNESS_DAYS", 90)


def save_settings(
    workspace_id: int, orders: dict[str, list[str]], freshness=None
) -> EnrichmentSettings:
    """Store the order of each field (every name must be one of its providers,
    at least one per field) and the freshness window in days; commits."""
    clean = {}
    for field, names in orders.items():
        if field not in adapters.FIELDS:
            raise InvalidInput(f"Unknown field {field!r}.", code="bad_field")
        choices = field_choices(field)
        unknown = [n for n in names if n not in choices]
        if unknown:
            raise InvalidInput(
                f"{adapters.FIELD_LABELS[field]}: unknown provider {unknown[0]!r}.",
                code="bad_provider",
            )
        if not names:
            raise InvalidInput(
                f"{adapters.FIELD_LABELS[field]}: keep at least one provider.",
                code="no_provider",
            )
        clean[field] = list(dict.fromkeys(names))
    row = db.session.get(EnrichmentSettings, workspace_id)
    if row is None:
        row = EnrichmentSettings(workspace_id=workspace_id, provider_order={})
        db.session.add(row)
    row.provider_order = {**(row.provider_order or {}), **clean}
    if freshness is not None and str(freshness).strip() != "":
        try:
            days = int(str(freshness).strip())
        except ValueError:
            days = 0
        if not 1 <= days <= MAX_FRESHNESS_DAYS:
            raise InvalidInput(
                f"Freshness must be a number of days from 1 to {MAX_FRESHNESS_DAYS}.",
                code="bad_freshness",
            )
        row.freshness_days = days
    row.updated_at = utcnow()
    db.session.commit()
    return row
