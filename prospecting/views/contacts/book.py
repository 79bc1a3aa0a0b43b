"""The contact book: list, export, show, edit and manual add."""

from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from prospecting import htmx
from prospecting.services import contacts
from prospecting.services import exports
from prospecting.services import lists
from prospecting.services.errors import InvalidInput
from prospecting.services.pages import Page
from prospecting.views.contacts import bp
from prospecting.views.contacts import page_number
from prospecting.views.contacts import per_page
from prospecting.views.contacts.contact_forms import ContactForm
from prospecting.views.contacts.contact_forms import NewContactForm
from prospecting.views.lists.bulk import bulk_context
from prospecting.views.lists.forms import ListForm
from prospecting.views.lists.forms import TagsForm
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options

EDIT_FIELDS = ("name", "email", "phone", "title", "location")

# The contact book


@bp.get("/")
def index():
    """The contact book: active search, a filter and a sort on every column, all
    kept in the URL; a bad parameter answers 422 naming it."""
    error, status = None, 200
    try:
        where = contacts.ContactFilter.from_args(request.args)
    except InvalidInput as exc:
        where, error, status = None, exc.message, exc.status_code
    rows, total, more = (
        contacts.page_of_contacts(
            g.workspace.id, where, page=page_number(), per_page=per_page()
        )
        if where
        else ([], 0, False)
    )
    args = where.to_args() if where else {}

    def url_with(**changes) -> str:
        """This page of the book with some parameters changed (None drops one)."""
        merged = {k: v for k, v in {**args, **changes}.items() if v is not None}
        return url_for("contacts.index", **merged)

    context = {
        "contacts": rows,
        "total": total,
        "more": more,
        "where": where,
        "values": request.args,
        "error": error,
        "sort": where.sort if where else "name",
        "url_with": url_with,
        "args": args,
        "page": Page(rows, page_number(), per_page(), total, more),
        "export_columns": [c.name for c in exports.tables.CONTACT_COLUMNS],
        "list_id": where.list_id if where else None,
        "tag": where.tag if where else None,
        "bulk": bulk_context(where or contacts.ContactFilter(), rows, total),
        # The export takes the page's filter; a bad one is passed on, so the
        # export answers 422 naming it as the page does.
        "export_args": args
        if where
        else {k: v for k, v in request.args.items() if k != "page"},
    }
    if htmx.is_partial():
        table = render_template("contacts/_table.html", **context)
        # The export and the smart list's form outside the table follow the
        # filter of the new table.
        export = render_template("contacts/_export.html", oob=True, **context)
        smart = render_template(
            "contacts/_smart_list.html",
            oob=True,
            list_form=ListForm(formdata=None),
            **context,
        )
        return htmx.vary_on_htmx(
            current_app.make_response((table + export + smart, status))
        )
    company = (
        contacts.get_company(g.workspace.id, where.company_id)
        if where and where.company_id
        else None
    )
    return htmx.vary_on_htmx(
        current_app.make_response(
            (
                render_template(
                    "contacts/index.html",
                    company=company,
                    states=contacts.SYNC_STATES,
                    verdicts=contacts.VERDICTS,
                    sources=contacts.SOURCES,
                    sorts=list(contacts.SORTS),
                    all_lists=[found for found, _ in lists.lists_of(g.workspace.id)],
                    tags=[t for t, _ in lists.tags_in_use(g.workspace.id)],
                    list_form=ListForm(formdata=None),
                    **context,
                ),
                status,
            )
        )
    )


@bp.get("/export")
def export():
    """The contacts the book shows with the same parameters (every filter of its
    page), as CSV or XLSX with the columns chosen."""
    opts = export_options()
    where = contacts.ContactFilter.from_args(request.args)
    header, rows = exports.tables.contacts(g.workspace.id, where, columns=opts.columns)
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
    return _edit_form(contact, ContactForm(obj=contact))


def _companies(keep: int | None) -> list:
    return contacts.company_choices(g.workspace.id, keep=keep)


@bp.get("/company-options")
def company_options():
    """The company menu of the contact forms narrowed to the companies whose name
    or domain holds `company_q` (the form's search swaps it in as one types),
    keeping the chosen `company_id`."""
    form = ContactForm(formdata=None)
    chosen = request.args.get("company_id", type=int)
    form.company_id.data = chosen
    q = (request.args.get("company_q") or "")[:100]
    form.with_companies(contacts.company_choices(g.workspace.id, q=q, keep=chosen))
    return render_template("contacts/_company_select.html", form=form)


def _edit_form(contact, form, error: str | None = None, status: int = 200):
    form.with_companies(_companies(form.company_id.data))
    return render_template(
        "contacts/edit.html", contact=contact, form=form, error=error
    ), status


@bp.post("/<int:contact_id>/edit")
def update(contact_id: int):
    """Save a contact's edit (the fields changed become locked against imports),
    or show the form again with the problem (422)."""
    contact = contacts.get_contact(g.workspace.id, contact_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _edit_form(contact, form, None, 422)
    try:
        contacts.update_contact(g.workspace.id, contact_id, **form.values(*EDIT_FIELDS))
    except InvalidInput as exc:
        return _edit_form(contact, form, exc.message, 422)
    flash("Contact saved.", "info")
    return redirect(url_for("contacts.show", contact_id=contact_id))


# Companies and the contact fetch


@bp.get("/new")
def new():
    """The form to add one person to the book."""
    return _new_form(NewContactForm())


def _new_form(form, error: str | None = None, status: int = 200):
    form.with_companies(_companies(form.company_id.data))
    return render_template("contacts/new.html", form=form, error=error), status


@bp.post("/new")
def create():
    """Add one person through the gate (or merge them into the contact they are)."""
    form = NewContactForm()
    if not form.validate_on_submit():
        return _new_form(form, None, 422)
    try:
        contact, _ = contacts.add_contact(
            g.workspace.id,
            **form.values(*EDIT_FIELDS, "linkedin_url"),
            keep_undeliverable=form.keep_undeliverable.data,
        )
    except InvalidInput as exc:
        return _new_form(form, exc.message, 422)
    flash("Contact saved.", "info")
    return redirect(url_for("contacts.show", contact_id=contact.id))


# Airtable
