"""Airtable settings, the sync job and its pending, failed and stats pages."""

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
from prospecting.services import jobs
from prospecting.services.contacts import airtable_sync
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import ServiceError
from prospecting.services.pages import Page
from prospecting.views.contacts import bp
from prospecting.views.contacts import page_number
from prospecting.views.contacts import per_page
from prospecting.views.contacts.contact_forms import SyncForm
from prospecting.views.contacts.contact_forms import airtable_settings_form
from prospecting.views.jobs import follows
from prospecting.views.responses import warn_if_not_sent


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


def _settings_form_class():
    return airtable_settings_form(
        contacts.CONTACT_FIELDS,
        contacts.COMPANY_FIELDS,
        contacts.CONTACT_MERGE_FIELDS,
        contacts.COMPANY_MERGE_FIELDS,
    )


def _filled_form(settings):
    """The settings form filled from the saved settings (never the token)."""
    data = {
        "base_id": settings.base_id or "",
        "contacts_table": settings.contacts_table or "",
        "companies_table": settings.companies_table or "",
        "merge_field": settings.merge_field,
        "company_merge_field": settings.company_merge_field,
        "sync_interval_minutes": settings.sync_interval_minutes or 0,
    }
    data |= {f"contact_field_{k}": v for k, v in settings.contact_fields.items()}
    data |= {f"company_field_{k}": v for k, v in settings.company_fields.items()}
    return _settings_form_class()(formdata=None, data=data)


def _airtable_page(
    settings, error=None, status=200, report=None, check_error=None, form=None
):
    return render_template(
        "contacts/airtable.html",
        settings=settings,
        form=form or _filled_form(settings),
        error=error,
        report=report,
        check_error=check_error,
        contact_keys=list(contacts.CONTACT_FIELDS),
        company_keys=list(contacts.COMPANY_FIELDS),
        merge_choices=contacts.CONTACT_MERGE_FIELDS,
        company_merge_choices=contacts.COMPANY_MERGE_FIELDS,
        running=contacts.open_sync(g.workspace.id),
        recent=jobs.recent(g.workspace.id, kind=airtable_sync.KIND, limit=10),
        sync_form=SyncForm(formdata=None),
    ), status


@bp.post("/airtable")
def save_airtable():
    """Save the Airtable settings (a blank token keeps the stored one)."""
    form = _settings_form_class()()
    if not form.validate():
        saved = contacts.settings_for_form(g.workspace.id)
        return _airtable_page(saved, status=422, form=form)
    try:
        contacts.save_settings(
            g.workspace.id,
            token=form.token.data,
            base_id=form.base_id.data or "",
            contacts_table=form.contacts_table.data or "",
            companies_table=form.companies_table.data or "",
            contact_fields=form.mapping("contact_field_", contacts.CONTACT_FIELDS),
            company_fields=form.mapping("company_field_", contacts.COMPANY_FIELDS),
            merge_field=form.merge_field.data or "email",
            company_merge_field=form.company_merge_field.data or "name",
            sync_interval_minutes=form.sync_interval_minutes.data or 0,
        )
    except InvalidInput as exc:
        # What was typed stays in the form; the error goes under its field.
        error = None if form.refuse(exc) else exc.message
        saved = contacts.settings_for_form(g.workspace.id)
        return _airtable_page(saved, error, 422, form=form)
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
    form = SyncForm()
    form.validate_on_submit()  # CSRF; the service names a bad strategy
    retry_failed = form.retry_failed.data == "1"
    chosen = form.update_strategy.data or None
    report, _ = _schema_report()
    if report is not None and report.blocking:
        flash(airtable_sync.schema_message(report), "error")
        return redirect(url_for("contacts.airtable", check="1"))
    try:
        job = contacts.start_sync(
            g.workspace.id,
            current_user.id,
            retry_failed=retry_failed,
            update_strategy=chosen,
        )
    except (contacts.AirtableNotConfigured, InvalidInput) as exc:
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
    """An Airtable sync job's live progress and the records it sent."""
    job = jobs.get(g.workspace.id, job_id, kind=airtable_sync.KIND)
    return render_template(
        "contacts/sync_job.html",
        job=job,
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
        **_sync_results(job),
    )


@follows(airtable_sync.KIND)
def _live_sync_results(job) -> str:
    """The records the sync sent, as the progress poll swaps them in."""
    return render_template(
        "contacts/_sync_results.html", job=job, oob=True, **_sync_results(job)
    )


def _sync_results(job) -> dict:
    return {
        "results": contacts.sync_results(job),
        "sync_counts": contacts.sync_counts(job),
    }


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
        g.workspace.id, state, page=page_number(), per_page=per_page()
    )
    return render_template(
        template,
        contacts=rows,
        total=total,
        page=Page(rows, page_number(), per_page(), total),
        companies=contacts.companies_in_state(g.workspace.id, state),
        configured=contacts.get_settings(g.workspace.id) is not None,
    )


@bp.get("/sync/stats")
def stats():
    """Contacts per company, a page at a time: total, synced, pending, failed."""
    rows, more = contacts.stats_page(
        g.workspace.id, page=page_number(), per_page=per_page()
    )
    # The stats page counts no total: what it has seen so far, and whether more follow.
    seen = (page_number() - 1) * per_page() + len(rows)
    return render_template(
        "contacts/stats.html",
        rows=rows,
        page=Page(rows, page_number(), per_page(), seen, more),
    )
