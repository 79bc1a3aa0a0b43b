"""The JSON API (providers.md §7): one blueprint, one module per area."""

from flask import Blueprint

bp = Blueprint("api", __name__)


def iso(value):
    """ISO 8601 UTC text of a naive UTC datetime (None stays None)."""
    return value.isoformat() + "Z" if value else None


from prospecting.views.api import book  # noqa: E402,F401
from prospecting.views.api import contacts  # noqa: E402,F401
from prospecting.views.api import duplicates  # noqa: E402,F401
from prospecting.views.api import enrichment  # noqa: E402,F401
from prospecting.views.api import erase  # noqa: E402,F401
from prospecting.views.api import exports  # noqa: E402,F401
from prospecting.views.api import finder  # noqa: E402,F401
from prospecting.views.api import health  # noqa: E402,F401
from prospecting.views.api import lists  # noqa: E402,F401
from prospecting.views.api import openapi  # noqa: E402,F401
from prospecting.views.api import outreach  # noqa: E402,F401
from prospecting.views.api import prospects  # noqa: E402,F401
from prospecting.views.api import searches  # noqa: E402,F401
from prospecting.views.api import webhooks  # noqa: E402,F401
