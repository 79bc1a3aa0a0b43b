"""Companies: list, export, edit, and the contact fetch by CIN."""

from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from prospecting import tasks
from prospecting.services import contacts
from prospecting.services import exports
from prospecting.services import jobs
from prospecting.services import lists
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.pages import Page
from prospecting.views.contacts import bp
from prospecting.views.contacts import page_number
from prospecting.views.contacts import per_page
from prospecting.views.contacts.contact_forms import CompanyForm
from prospecting.views.contacts.contact_forms import FetchForm
from prospecting.views.jobs import follows
from prospecting.views.lists.forms import TagsForm
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options
from prospecting.views.responses import warn_if_not_sent


@bp.get("/companies")
def companies():
    """The workspace's companies and a form to add one."""
    return _companies_page(CompanyForm(formdata=None))


def _companies_page(form: CompanyForm, error: str | None = None, status: int = 200):
    q = request.args.get("q", "").strip()
    rows, total = contacts.page_companies(
        g.workspace.id, q=q, page=page_number(), per_page=per_page()
    )
    return render_template(
        "contacts/companies.html",
        rows=rows,
        total=total,
        page=Page(rows, page_number(), per_page(), total),
        q=q,
        form=form,
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
    form = CompanyForm()
    if not form.validate():
        return _companies_page(form, status=422)
    try:
        company = contacts.save_company(g.workspace.id, **form.values())
    except (InvalidInput, Conflict) as exc:
        error = None if form.refuse(exc) else exc.message
        return _companies_page(form, error, exc.status_code)
    flash(f"Company {company.name} added.", "info")
    return redirect(url_for("contacts.company", company_id=company.id))


@bp.get("/companies/<int:company_id>")
def company(company_id: int):
    """A company with its contacts, its details form and "Fetch contacts"."""
    found = contacts.get_company(g.workspace.id, company_id)
    return _company_page(found, _company_form(found))


def _company_form(company) -> CompanyForm:
    """The details form filled from the saved company."""
    return CompanyForm(formdata=None, obj=company)


def _company_page(company, form, error=None, status=200, fetch_form=None):
    fetches = [
        j
        for j in jobs.recent(g.workspace.id, kind=contacts.KIND_FETCH, limit=50)
        if j.params.get("company_id") == company.id
    ][:10]
    return render_template(
        "contacts/company.html",
        company=company,
        form=form,
        fetch_form=fetch_form or FetchForm(formdata=None),
        error=error,
        fetches=fetches,
        max_contacts=current_app.config["ATTESTR_MAX_CONTACTS"],
        tags=lists.company_tags(company.id),
        tags_form=TagsForm(formdata=None),
    ), status


@bp.post("/companies/<int:company_id>")
def update_company(company_id: int):
    """Save a company's name, domain and registration number."""
    found = contacts.get_company(g.workspace.id, company_id)
    form = CompanyForm()
    if not form.validate():
        return _company_page(found, form, status=422)
    try:
        contacts.save_company(g.workspace.id, company_id=company_id, **form.values())
    except (InvalidInput, Conflict) as exc:
        error = None if form.refuse(exc) else exc.message
        return _company_page(found, form, error, exc.status_code)
    flash("Company saved.", "info")
    return redirect(url_for("contacts.company", company_id=company_id))


@bp.post("/companies/<int:company_id>/fetch")
def fetch(company_id: int):
    """Start a job that fetches the company's contacts by its CIN or LLPIN."""
    found = contacts.get_company(g.workspace.id, company_id)
    form = FetchForm()
    if not form.validate():
        return _company_page(found, _company_form(found), status=422, fetch_form=form)
    try:
        job = contacts.start_fetch(
            g.workspace.id,
            current_user.id,
            company_id,
            max_contacts=form.max_contacts.data or None,
        )
    except InvalidInput as exc:
        if exc.code == "no_registration_number":
            return _company_page(found, _company_form(found), exc.message, 422)
        form.max_contacts.errors = [exc.message]
        return _company_page(found, _company_form(found), status=422, fetch_form=form)
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
