"""Finding the emails we do not have, and asking provider after provider: the
email finder, the per-field waterfall and its settings, verification freshness."""

from prospecting.services.finder.lookup import FinderResult
from prospecting.services.finder.lookup import find_email
from prospecting.services.finder.lookup import lookup
from prospecting.services.finder.settings import field_choices
from prospecting.services.finder.settings import freshness_days
from prospecting.services.finder.settings import provider_order
from prospecting.services.finder.settings import save_settings

__all__ = [
    "FinderResult",
    "field_choices",
    "find_email",
    "freshness_days",
    "lookup",
    "provider_order",
    "save_settings",
]
