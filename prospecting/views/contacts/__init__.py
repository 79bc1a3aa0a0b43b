"""Contact book, companies, contact fetch by CIN and the Airtable sync pages."""

from flask import Blueprint
from flask import current_app
from flask import request

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


def page_number() -> int:
    """The page asked for in the query string, at least 1."""
    return max(1, request.args.get("page", 1, type=int) or 1)


def per_page() -> int:
    """Rows per page of the book's tables."""
    return current_app.config["RESULTS_PER_PAGE"]


# The routes live in one module per part of the area; importing them registers them.
from prospecting.views.contacts import airtable  # noqa: E402,F401
from prospecting.views.contacts import book  # noqa: E402,F401
from prospecting.views.contacts import companies  # noqa: E402,F401
from prospecting.views.contacts import duplicates  # noqa: E402,F401
from prospecting.views.contacts import erase  # noqa: E402,F401
from prospecting.views.contacts import imports  # noqa: E402,F401
