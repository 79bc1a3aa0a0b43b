"""JSON API exports of the contact book: contacts and companies as CSV or XLSX."""

from flask import request

from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.services import contacts
from prospecting.services import exports
from prospecting.views.api import bp
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options


@bp.get("/api/v1/contacts/export")
@token_required
def export_contacts():
    """The contacts the filters of `GET /api/v1/contacts` show, with the columns
    chosen, as CSV (`mode=spreadsheet|raw`) or XLSX."""
    opts = export_options()
    where = contacts.ContactFilter.from_args(request.args)
    header, rows = exports.tables.contacts(workspace_id(), where, columns=opts.columns)
    return export_download(exports.stream(header, rows, opts), opts, "contacts")


@bp.get("/api/v1/companies/export")
@token_required
def export_companies():
    """The companies (whose name or domain holds `q`) as CSV or XLSX."""
    opts = export_options()
    header, rows = exports.tables.companies(
        workspace_id(), q=request.args.get("q"), columns=opts.columns
    )
    return export_download(exports.stream(header, rows, opts), opts, "companies")
