"""Contact book, companies, contact fetch by CIN and the Airtable sync pages."""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from prospecting import htmx
from prospecting import tasks
from prospecting.services import contacts
from prospecting.services import csvfiles
from prospecting.services import exports
from prospecting.services import jobs
from prospecting.services.contacts import airtable_sync
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import ServiceError
from prospecting.views.jobs import follows
from prospecting.views.responses import csv_download
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options
from prospecting.views.responses import warn_if_not_sent

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _per_page() -> int:
    return current_app.config["RESULTS_PER_PAGE"]


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
    rows, total = contacts.search_contacts(
        g.workspace.id,
        q=q,
        company_id=company_id,
        sync=sync,
        verdict=verdict,
        source=source,
        sort=sort,
        page=_page(),
        per_page=_per_page(),
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
        "page": _page(),
        "pages": max(1, -(-total // _per_page())),
        "export_columns": [c.name for c in exports.tables.CONTACT_COLUMNS],
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
    return render_template("contacts/show.html", contact=contact)


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


@bp.get("/companies")
def companies():
    """The workspace's companies and a form to add one."""
    return _companies_page({})


def _companies_page(values: dict, error: str | None = None, status: int = 200):
    q = request.args.get("q", "").strip()
    rows = contacts.list_companies(g.workspace.id, q=q)
    return render_template(
        "contacts/companies.html",
        rows=rows,
        q=q,
        values=values,
        error=error,
        export_columns=[c.name for c in exports.tables.COMPANY_COLUMNS],
    ), status


@bp.get("/companies/export")
def export_companies():
    """The workspace's companies (or those the search shows) as CSV or XLSX."""
    opts = export_options()
    header, rows = exports.tables.companies(
        g.workspace.id, q=request.args.get("q"), columns=opts.columns
    )
    return export_download(exports.stream(header, rows, opts), opts, "companies")


@bp.post("/companies")
def create_company():
    """Add a company (name, domain, CIN or LLPIN)."""
    values = {
        k: request.form.get(k, "") for k in ("name", "domain", "registration_number")
    }
    try:
        company = contacts.save_company(g.workspace.id, **values)
    except (InvalidInput, Conflict) as exc:
        return _companies_page(values, exc.message, exc.status_code)
    flash(f"Company {company.name} added.", "info")
    return redirect(url_for("contacts.company", company_id=company.id))


@bp.get("/companies/<int:company_id>")
def company(company_id: int):
    """A company with its contacts, its details form and "Fetch contacts"."""
    found = contacts.get_company(g.workspace.id, company_id)
    return _company_page(found, _company_values(found))


def _company_values(company) -> dict:
    return {
        "name": company.name,
        "domain": company.domain or "",
        "registration_number": company.registration_number or "",
    }


def _company_page(company, values, error=None, status=200):
    fetches = [
        j
        for j in jobs.recent(g.workspace.id, kind=contacts.KIND_FETCH, limit=50)
        if j.params.get("company_id") == company.id
    ][:10]
    return render_template(
        "contacts/company.html",
        company=company,
        values=values,
        error=error,
        fetches=fetches,
        max_contacts=current_app.config["ATTESTR_MAX_CONTACTS"],
    ), status


@bp.post("/companies/<int:company_id>")
def update_company(company_id: int):
    """Save a company's name, domain and registration number."""
    found = contacts.get_company(g.workspace.id, company_id)
    values = {
        k: request.form.get(k, "") for k in ("name", "domain", "registration_number")
    }
    try:
        contacts.save_company(g.workspace.id, company_id=company_id, **values)
    except (InvalidInput, Conflict) as exc:
        return _company_page(found, values, exc.message, exc.status_code)
    flash("Company saved.", "info")
    return redirect(url_for("contacts.company", company_id=company_id))


@bp.post("/companies/<int:company_id>/fetch")
def fetch(company_id: int):
    """Start a job that fetches the company's contacts by its CIN or LLPIN."""
    found = contacts.get_company(g.workspace.id, company_id)
    try:
        job = contacts.start_fetch(
            g.workspace.id,
            current_user.id,
            company_id,
            max_contacts=request.form.get("max_contacts") or None,
        )
    except InvalidInput as exc:
        return _company_page(found, _company_values(found), exc.message, 422)
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("contacts.fetch_job", job_id=job.id))


@bp.get("/jobs/<job_id>/fetch")
def fetch_job(job_id: str):
    """A contact fetch job: live progress, then the outcome per contact."""
    job = jobs.get(g.workspace.id, job_id, kind=contacts.KIND_FETCH)
    return render_template(
        "contacts/fetch_job.html",
        job=job,
        outcomes=contacts.fetch_outcomes(job),
        company_id=job.params.get("company_id"),
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
    )


@follows(contacts.KIND_FETCH)
def _live_outcomes(job) -> str:
    """The outcome per contact as the progress poll swaps it in."""
    return render_template(
        "contacts/_fetch_outcomes.html",
        job=job,
        outcomes=contacts.fetch_outcomes(job),
        oob=True,
    )


# Adding people to the book: "Add to contacts" as a job, a CSV file, one person


@bp.post("/import/enrichment/<job_id>")
def import_enrichment(job_id: str):
    """Add an enrichment job's processed rows to the book (a job, through the gate)."""
    return _start_import("enrichment", job_id)


@bp.post("/import/people-search/<search_id>")
def import_people_search(search_id: str):
    """Add the people a people search found to the book (a job, through the gate)."""
    return _start_import("people_search", search_id)


@bp.post("/import/prospects/<job_id>")
def import_prospects(job_id: str):
    """Add a LinkedIn prospect search's people to the book (matched on profile)."""
    return _start_import("prospects", job_id)


def _start_import(source: str, job_id: str):
    job = contacts.start_import(
        g.workspace.id,
        current_user.id,
        source,
        job_id,
        include_risky=request.form.get("include_risky") == "1",
        keep_undeliverable=request.form.get("keep_undeliverable") == "1",
    )
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("contacts.import_job", job_id=job.id))


@bp.get("/import/csv")
def import_csv_form():
    """The form to import a CSV file straight into the book."""
    return render_template("contacts/import_csv.html", error=None)


@bp.post("/import/csv")
def import_csv():
    """Import a CSV file's people straight into the book (a job, through the gate)."""
    upload = request.files.get("file")
    try:
        rows = contacts.read_book_csv(upload)
        job = contacts.start_import(
            g.workspace.id,
            current_user.id,
            "csv",
            rows=rows,
            filename=(upload.filename or "") if upload else "",
            include_risky=request.form.get("include_risky") == "1",
            keep_undeliverable=request.form.get("keep_undeliverable") == "1",
        )
    except InvalidInput as exc:
        return render_template("contacts/import_csv.html", error=exc.message), 422
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("contacts.import_job", job_id=job.id))


@bp.get("/jobs/<job_id>/import")
def import_job(job_id: str):
    """An "Add to contacts" job: progress, then who entered and what was kept out."""
    job = jobs.get(g.workspace.id, job_id, kind=contacts.KIND_IMPORT)
    return render_template(
        "contacts/import_job.html",
        job=job,
        summary=contacts.import_summary(job),
        rules=contacts.GATE_RULES,
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
    )


@bp.get("/jobs/<job_id>/kept-out.csv")
def kept_out(job_id: str):
    """The rows an import kept out of the book, with the rule and why."""
    job = jobs.get(g.workspace.id, job_id, kind=contacts.KIND_IMPORT)
    lines = csvfiles.write_csv(contacts.KEPT_OUT_COLUMNS, contacts.kept_out_rows(job))
    return csv_download(lines, f"kept-out-{job.id[:8]}.csv")


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


@bp.get("/airtable")
def airtable():
    """The workspace's Airtable settings; with `check=1`, held against the base's
    schema (missing fields, types, merge fields)."""
    report = check_error = None
    if request.args.get("check") == "1":
        report, check_error = _schema_report()
    return _airtable_page(
        contacts.settings_for_form(g.workspace.id),
        report=report,
        check_error=check_error,
    )


def _schema_report():
    """The schema check of the saved settings, or the reason it could not run."""
    try:
        return contacts.check_schema(g.workspace.id), None
    except ServiceError as exc:
        return None, exc.message


def _airtable_page(settings, error=None, status=200, report=None, check_error=None):
    return render_template(
        "contacts/airtable.html",
        settings=settings,
        error=error,
        report=report,
        check_error=check_error,
        contact_keys=list(contacts.CONTACT_FIELDS),
        company_keys=list(contacts.COMPANY_FIELDS),
        merge_choices=contacts.CONTACT_MERGE_FIELDS,
        company_merge_choices=contacts.COMPANY_MERGE_FIELDS,
        running=contacts.open_sync(g.workspace.id),
        recent=jobs.recent(g.workspace.id, kind=airtable_sync.KIND, limit=10),
    ), status


@bp.post("/airtable")
def save_airtable():
    """Save the Airtable settings (a blank token keeps the stored one)."""
    form = request.form
    try:
        contacts.save_settings(
            g.workspace.id,
            token=form.get("token"),
            base_id=form.get("base_id", ""),
            contacts_table=form.get("contacts_table", ""),
            companies_table=form.get("companies_table", ""),
            contact_fields={
                k: form.get(f"contact_field_{k}", "") for k in contacts.CONTACT_FIELDS
            },
            company_fields={
                k: form.get(f"company_field_{k}", "") for k in contacts.COMPANY_FIELDS
            },
            merge_field=form.get("merge_field", "email"),
            company_merge_field=form.get("company_merge_field", "name"),
            sync_interval_minutes=form.get("sync_interval_minutes", 0, type=int) or 0,
        )
    except InvalidInput as exc:
        db_settings = contacts.settings_for_form(g.workspace.id)
        return _airtable_page(db_settings, exc.message, 422)
    flash("Airtable settings saved.", "info")
    return redirect(url_for("contacts.airtable", check="1"))


@bp.post("/airtable/unmap")
def unmap_missing_fields():
    """Leave unmapped the mapped fields the base lacks."""
    try:
        dropped = contacts.unmap_missing(g.workspace.id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("contacts.airtable", check="1"))
    names = ", ".join(dropped) or "none"
    flash(f"Left unmapped: {names}.", "info")
    return redirect(url_for("contacts.airtable", check="1"))


@bp.post("/airtable/sync")
def start_sync():
    """Start an Airtable sync of the pending companies and contacts."""
    retry_failed = request.form.get("retry_failed") == "1"
    report, _ = _schema_report()
    if report is not None and report.blocking:
        flash(airtable_sync.schema_message(report), "error")
        return redirect(url_for("contacts.airtable", check="1"))
    try:
        job = contacts.start_sync(
            g.workspace.id, current_user.id, retry_failed=retry_failed
        )
    except contacts.AirtableNotConfigured as exc:
        flash(exc.message, "error")
        return redirect(url_for("contacts.airtable"))
    except Conflict as exc:
        flash(exc.message, "warning")
        running = contacts.open_sync(g.workspace.id)
        return redirect(url_for("contacts.sync_job", job_id=running.id))
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("contacts.sync_job", job_id=job.id))


@bp.get("/jobs/<job_id>/sync")
def sync_job(job_id: str):
    """An Airtable sync job's live progress."""
    job = jobs.get(g.workspace.id, job_id, kind=airtable_sync.KIND)
    return render_template(
        "contacts/sync_job.html",
        job=job,
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
    )


@bp.get("/sync/pending")
def pending():
    """Contacts never synced or changed since their last sync."""
    return _state_page("pending", "contacts/pending.html")


@bp.get("/sync/failed")
def failed():
    """Contacts (and companies) whose last sync failed, with the error and "retry"."""
    return _state_page("failed", "contacts/failed.html")


def _state_page(state: str, template: str):
    rows, total = contacts.contacts_in_state(
        g.workspace.id, state, page=_page(), per_page=_per_page()
    )
    return render_template(
        template,
        contacts=rows,
        total=total,
        page=_page(),
        pages=max(1, -(-total // _per_page())),
        companies=contacts.companies_in_state(g.workspace.id, state),
        configured=contacts.get_settings(g.workspace.id) is not None,
    )


@bp.get("/sync/stats")
def stats():
    """Contacts per company: total, synced, pending, failed."""
    return render_template(
        "contacts/stats.html", rows=contacts.stats_by_company(g.workspace.id)
    )
