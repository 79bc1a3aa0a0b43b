"""Job progress fragments and cancel, shared by every job kind."""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from prospecting.services import jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

JOB_PAGES = {"enrichment": "enrichment.show"}
JOB_PAGES["prospect_search"] = "prospects.show"
JOB_PAGES["people_search"] = "searches.show"
JOB_PAGES["outreach_dispatch"] = "outreach.messages"
JOB_PAGES["contact_fetch"] = "contacts.fetch_job"
JOB_PAGES["airtable_sync"] = "contacts.sync_job"


@bp.app_template_global()
def job_url(job) -> str:
    """The page of a job, by its kind."""
    endpoint = JOB_PAGES.get(job.kind)
    return url_for(endpoint, job_id=job.id) if endpoint else url_for("main.index")


@bp.get("/<job_id>/progress")
def progress(job_id: str):
    """The progress partial; it polls itself until the job is terminal."""
    job = jobs.get(g.workspace.id, job_id)
    return render_template(
        "jobs/_progress.html",
        job=job,
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
    )


@bp.post("/<job_id>/cancel")
def cancel(job_id: str):
    """Cancel a queued or running job."""
    job = jobs.cancel(g.workspace.id, job_id)
    if request.headers.get("HX-Request"):
        return render_template(
            "jobs/_progress.html",
            job=job,
            poll=current_app.config["PROGRESS_POLL_SECONDS"],
        )
    flash("Job cancelled.", "info")
    return redirect(job_url(job))
