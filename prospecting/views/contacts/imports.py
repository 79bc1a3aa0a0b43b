"""Adding people to the book: from a job's results or a CSV or XLSX file."""

from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user

from prospecting import tasks
from prospecting.forms import BookImportForm
from prospecting.forms import UploadForm
from prospecting.services import contacts
from prospecting.services import csvfiles
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services.errors import InvalidInput
from prospecting.views import uploads
from prospecting.views.contacts import bp
from prospecting.views.contacts.contact_forms import ImportEnrichmentForm
from prospecting.views.responses import csv_download
from prospecting.views.responses import warn_if_not_sent


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
    # Two check boxes that cannot be invalid; CSRF is checked app-wide.
    form = ImportEnrichmentForm()
    job = contacts.start_import(
        g.workspace.id,
        current_user.id,
        source,
        job_id,
        include_risky=form.include_risky.data,
        keep_undeliverable=form.keep_undeliverable.data,
    )
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("contacts.import_job", job_id=job.id))


@bp.get("/import/csv")
def import_csv_form():
    """The form to upload a CSV or XLSX file to import into the book."""
    return _upload_page(UploadForm())


def _upload_page(form, status=200, error=None):
    return render_template("contacts/import_csv.html", form=form, error=error), status


@bp.post("/import/csv")
def import_csv():
    """Store the file and go to its preview, where its columns are mapped."""
    return uploads.receive(
        _upload_page,
        "contacts.import_csv_preview",
        describe=lambda exc: f"file: {exc.message}",
    )


@bp.get("/import/csv/<int:upload_id>")
def import_csv_preview(upload_id: int):
    """The file's first rows, its sheets, and a column for each book field."""
    upload = enrichment.get_upload(g.workspace.id, upload_id)
    return _preview_page(upload, uploads.requested_reading())


@bp.post("/import/csv/<int:upload_id>")
def import_csv_start(upload_id: int):
    """Import the file's people into the book with the chosen columns (a job,
    through the gate)."""
    upload = enrichment.get_upload(g.workspace.id, upload_id)
    form = BookImportForm()
    if not form.validate_on_submit():
        return _preview_page(upload, form.reading(), form, status=422)
    try:
        pv = enrichment.preview(g.workspace.id, upload_id, **form.reading())
        rows = contacts.read_book_rows(
            pv.path,
            pv.dialect,
            csvfiles.columns_in(pv.headers, form.mapping()),
            max_columns=current_app.config["MAX_UPLOAD_COLUMNS"],
        )
        job = contacts.start_import(
            g.workspace.id,
            current_user.id,
            "csv",
            rows=rows,
            filename=upload.filename,
            include_risky=bool(form.include_risky.data),
            keep_undeliverable=bool(form.keep_undeliverable.data),
            update_strategy=form.update_strategy.data,
        )
    except InvalidInput as exc:
        return _preview_page(upload, form.reading(), form, exc.status_code, exc.message)
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("contacts.import_job", job_id=job.id))


def _preview_page(upload, reading, form=None, status=200, error=None):
    """The preview and its mapping form (`form` when an import was refused)."""
    read = uploads.read(upload, reading)
    if read.refusal:
        error, status = read.refusal.message, read.refusal.status_code
    if form is None:
        form = BookImportForm.suggested(read.pv.mapping if read.pv else {}, reading)
    return render_template(
        "contacts/import_preview.html",
        form=form,
        error=error,
        **read.context(),
    ), status


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
