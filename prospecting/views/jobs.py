"""Job progress fragments and cancel, shared by every job kind."""

import time

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from prospecting import tasks
from prospecting.auth import read_only
from prospecting.services import jobs
from prospecting.services import ledger
from prospecting.services import reruns
from prospecting.services.errors import InvalidInput
from prospecting.views.responses import warn_if_not_sent

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
@read_only
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


# Every open job page polls its progress each second; the cost aggregates are the
# dearest part of a poll, so a running job's figure may lag by a few seconds.
_COST_TTL_SECONDS = 5.0
_COST_CACHE_SIZE = 1024
_cost_cache: dict[str, tuple[float, ledger.JobCost]] = {}


@bp.app_template_global()
def job_cost(job) -> ledger.JobCost:
    """Cost so far, charged calls and cache hits of a job (for the partials)."""
    if job.status not in ("queued", "running"):
        return ledger.job_cost(job.id)
    now = time.monotonic()
    hit = _cost_cache.get(job.id)
    if hit is not None and now - hit[0] < _COST_TTL_SECONDS:
        return hit[1]
    if len(_cost_cache) >= _COST_CACHE_SIZE:
        _cost_cache.clear()
    cost = _cost_cache[job.id] = (now, ledger.job_cost(job.id))
    return cost[1]


@bp.app_template_global()
def money(amount) -> str:
    return ledger.fmt(amount)


@bp.app_template_global()
def can_rerun(job) -> bool:
    return reruns.can_rerun(job)


def _progress(job, *, status: int = 200, resume_error=None, notice=None):
    return render_template(
        "jobs/_progress.html",
        job=job,
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
        resume_error=resume_error,
        notice=notice,
    ), status


@bp.post("/<job_id>/resume")
def resume(job_id: str):
    """Resume a paused job, after raising its cost cap (or the daily cap)."""
    try:
        job = ledger.resume_job(
            g.workspace.id,
            job_id,
            cap=request.form.get("cost_cap"),
            daily=request.form.get("daily_cap"),
        )
    except InvalidInput as exc:
        if request.headers.get("HX-Request"):
            return _progress(jobs.get(g.workspace.id, job_id), status=422,
                             resume_error=exc.message)  # fmt: skip
        flash(exc.message, "error")
        return redirect(job_url(jobs.get(g.workspace.id, job_id)))
    sent = tasks.enqueue_batches(jobs.open_batches(job.id))
    if request.headers.get("HX-Request"):
        return _progress(job, notice=None if sent else tasks.NOT_SENT_NOTICE)
    if sent:
        flash("Job resumed.", "info")
    warn_if_not_sent(sent)
    return redirect(job_url(job))


@bp.post("/<job_id>/rerun-exactly")
def rerun_exactly(job_id: str):
    """Start a new job with exactly the inputs of this one, then show it."""
    job = reruns.rerun_exactly(g.workspace.id, job_id, user_id=current_user.id)
    if tasks.enqueue_batches(jobs.open_batches(job.id)):
        flash("Started again with the same inputs.", "info")
    else:
        warn_if_not_sent(False)
    return redirect(job_url(job))
