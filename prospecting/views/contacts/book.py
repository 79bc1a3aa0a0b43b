"""The contact book: list, export, show, edit and manual add."""

from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from prospecting import htmx
from prospecting.forms import ListForm
from prospecting.forms import TagsForm
from prospecting.services import contacts
from prospecting.services import exports
from prospecting.services import lists
from prospecting.services.errors import InvalidInput
from prospecting.views.contacts import bp
from prospecting.views.contacts import page_number
from prospecting.views.contacts import per_page
from prospecting.views.lists import bulk_context
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options

# The contact book


@bp.get("/")
def index():
    """The contact book with active search and filters by company and sync state."""
    q = request.args.get("q", "").strip()
    company_id = request.args.get("company", type=int)
    sync = request.args.get("sync") or None
    sync = sync if sync in contacts.SYNC_STATES else None
    verdict = request.args.get("verdict") or None
    source = request.args.get("source") or None
    sort = request.args.get("sort") or "name"
    # The filter as lists and bulk actions read it (list and tag included).
    where = lists.filters.from_args(request.args)
    where.sort = sort if sort in contacts.SORTS else "name"
    where.verdict = verdict if verdict in contacts.VERDICTS else None
    where.sync = sync
    rows, total = contacts.list_contacts(
        g.workspace.id, where, page=page_number(), per_page=per_page()
    )
    context = {
        "contacts": rows,
        "total": total,
        "q": q,
        "company_id": company_id,
        "sync": sync,
        "verdict": verdict,
        "source": source,
        "sort": sort,
        "page": page_number(),
        "pages": max(1, -(-total // per_page())),
        "export_columns": [c.name for c in exports.tables.CONTACT_COLUMNS],
        "list_id": where.list_id,
        "tag": where.tag,
        "bulk": bulk_context(where, rows, total),
    }
    if htmx.is_partial():
        return htmx.vary_on_htmx(
            current_app.make_response(
                render_template("contacts/_table.html", **context)
            )
        )
    companies = [c for c, _ in contacts.list_companies(g.workspace.id)]
    return htmx.vary_on_htmx(
        current_app.make_response(
            render_template(
                "contacts/index.html",
                companies=companies,
                states=contacts.SYNC_STATES,
                verdicts=contacts.VERDICTS,
                sources=("manual", "csv", "enrichment", "people_search")
                + ("prospects", "attestr"),
                sorts=list(contacts.SORTS),
                all_lists=[found for found, _ in lists.lists_of(g.workspace.id)],
                tags=[t for t, _ in lists.tags_in_use(g.workspace.id)],
                list_form=ListForm(formdata=None),
                **context,
            )
        )
    )


@bp.get("/export")
def export():
    """The contact book, or what its search and company filter show, as CSV or
    XLSX with the columns chosen."""
    opts = export_options()
    header, rows = exports.tables.contacts(
        g.workspace.id,
        q=request.args.get("q"),
        company_id=request.args.get("company", type=int),
        columns=opts.columns,
    )
    return export_download(exports.stream(header, rows, opts), opts, "contacts")


@bp.get("/<int:contact_id>")
def show(contact_id: int):
    """One contact with its company, provider ids and sync state."""
    contact = contacts.get_contact(g.workspace.id, contact_id)
    return render_template(
        "contacts/show.html",
        contact=contact,
        tags=lists.contact_tags(contact.id),
        tags_form=TagsForm(formdata=None),
    )


@bp.get("/<int:contact_id>/edit")
def edit(contact_id: int):
    """The edit form of a contact."""
    contact = contacts.get_contact(g.workspace.id, contact_id)
    return _edit_form(contact, dict(_contact_values(contact)))


def _contact_values(contact) -> dict:
    return {
        "name": contact.name,
        "email": contact.email or "",
        "phone": contact.phone or "",
        "title": contact.title or "",
        "location": contact.location or "",
        "company_id": contact.company_id,
    }


def _edit_form(contact, values: dict, error: str | None = None, status: int = 200):
    companies = [c for c, _ in contacts.list_companies(g.workspace.id)]
    return render_template(
        "contacts/edit.html",
        contact=contact,
        values=values,
        companies=companies,
        error=error,
    ), status


@bp.post("/<int:contact_id>/edit")
def update(contact_id: int):
    """Save a contact's edit, or show the form again with the problem (422)."""
    contact = contacts.get_contact(g.workspace.id, contact_id)
    values = {
        k: request.form.get(k, "")
        for k in ("name", "email", "phone", "title", "location")
    }
    values["company_id"] = request.form.get("company_id", type=int)
    try:
        contacts.update_contact(g.workspace.id, contact_id, **values)
    except InvalidInput as exc:
        return _edit_form(contact, values, exc.message, 422)
    flash("Contact saved.", "info")
    return redirect(url_for("contacts.show", contact_id=contact_id))


# Companies and the contact fetch


@bp.get("/new")
def new():
    """The form to add one person to the book."""
    return _new_form({})


def _new_form(values: dict, error: str | None = None, status: int = 200):
    companies = [c for c, _ in contacts.list_companies(g.workspace.id)]
    return render_template(
        "contacts/new.html", values=values, companies=companies, error=error
    ), status


@bp.post("/new")
def create():
    """Add one person through the gate (or merge them into the contact they are)."""
    values = {
        k: request.form.get(k, "")
        for k in ("name", "email", "phone", "title", "location", "linkedin_url")
    }
    values["company_id"] = request.form.get("company_id", type=int)
    try:
        contact, _ = contacts.add_contact(g.workspace.id, **values)
    except InvalidInput as exc:
        return _new_form(values, exc.message, 422)
    flash("Contact saved.", "info")
    return redirect(url_for("contacts.show", contact_id=contact.id))


# Airtable
