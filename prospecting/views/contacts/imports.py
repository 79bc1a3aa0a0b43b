"""Adding people to the book: from a job's results or a CSV file."""

from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from prospecting import tasks
from prospecting.services import contacts
from prospecting.services import csvfiles
from prospecting.services import jobs
from prospecting.services.errors import InvalidInput
from prospecting.views.contacts import bp
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
    job = contacts.start_import(
        g.workspace.id,
        current_user.id,
        source,
        job_id,
        include_risky=request.form.get("include_risky") == "1",
        keep_undeliverable=request.form.get("keep_undeliverable") == "1",
        update_strategy=request.form.get("update_strategy"),
    )
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("contacts.import_job", job_id=job.id))


@bp.get("/import/csv")
def import_csv_form():
    """The form to import a CSV file straight into the book."""
    return render_template(
        "contacts/import_csv.html", error=None, strategies=contacts.UPDATE_STRATEGIES
    )


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
            update_strategy=request.form.get("update_strategy"),
        )
    except InvalidInput as exc:
        return render_template(
            "contacts/import_csv.html",
            error=exc.message,
            strategies=contacts.UPDATE_STRATEGIES,
        ), 422
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
