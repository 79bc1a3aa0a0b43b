"""Lists and tags (/lists): the workspace's lists, a list's page (members,
export, Airtable sync, re-verification), bulk actions from any table of the
book, a results table's people brought onto a list, and tags."""

from urllib.parse import parse_qs

from flask import Blueprint
from flask import g
from werkzeug.datastructures import MultiDict

from prospecting.services import lists
from prospecting.services.contacts import ContactFilter

bp = Blueprint("lists", __name__, url_prefix="/lists")


@bp.app_context_processor
def _import_lists() -> dict:
    """`static_lists_for_import()` for the results tables' "Add to a list" form."""

    def static_lists_for_import():
        return (
            lists.static_lists(g.workspace.id) if getattr(g, "workspace", None) else []
        )

    return {"static_lists_for_import": static_lists_for_import}


def where_of(query: str) -> ContactFilter:
    """The book's filter saved in a query string (a smart list's, a bulk bar's)."""
    args = MultiDict([(k, v[0]) for k, v in parse_qs(query or "").items()])
    return lists.filters.from_args(args)


# The routes live in one module per part of the area; importing them registers them.
from prospecting.views.lists import bulk  # noqa: E402,F401
from prospecting.views.lists import imports  # noqa: E402,F401
from prospecting.views.lists import pages  # noqa: E402,F401
from prospecting.views.lists import tags  # noqa: E402,F401
