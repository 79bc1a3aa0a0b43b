"""Job progress, cancel, resume, retry and re-run: one set of routes for every kind."""

from collections.abc import Callable

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from prospecting import metering
from prospecting import tasks
from prospecting.auth import read_only
from prospecting.forms import ResumeForm
from prospecting.htmx import is_htmx
from prospecting.services import jobs
from prospecting.services import ledger
from prospecting.services import ops
from prospecting.services.errors import InvalidInput
from prospecting.services.jobs import kinds
from prospecting.views.responses import warn_if_not_sent

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.app_template_global()
def job_kind(job) -> kinds.JobKind:
    return kinds.get(job.kind)


@bp.app_template_global()
def job_outcome(job) -> jobs.JobOutcome:
    """How a job ended, from its status and counts (macros/badges.html)."""
    return jobs.outcome(job)


@bp.app_template_global()
def job_url(job) -> str:
    """The page of a job, by its kind."""
    endpoint = kinds.get(job.kind).page
    return url_for(endpoint, job_id=job.id) if endpoint else url_for("main.index")


def _progress(
    job,
    *,
    status: int = 200,
    resume_form: ResumeForm | None = None,
    notice: str | None = None,
    polled: bool = False,
):
    return render_template(
        "jobs/_progress.html",
        job=job,
        kind=kinds.get(job.kind),
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
        resume_form=resume_form,
        notice=notice,
        polled=polled,
    ), status


# Kind name -> what renders the tables that follow a running job of that kind (its
# area registers it with `follows`): markup swapped out of band by the progress
# poll, so a job's page has one poll whatever it shows.
_FOLLOWERS: dict[str, Callable] = {}


def follows(kind: str):
    """Register a renderer of a kind's live tables (partials carrying
    hx-swap-oob), given the job; the poll adds them when the job moved."""

    def register(render: Callable) -> Callable:
        _FOLLOWERS[kind] = render
        return render

    return register


@bp.app_template_global()
def job_moved_mark(job) -> str:
    """What the page last saw of a job: its status and counts. The poll sends it
    back and gets the tables again only when it changed."""
    return (
        f"{job.status}.{job.progress_current}.{job.progress_total}."
        f"{job.success_count}.{job.failed_count}"
    )


@bp.get("/<job_id>/progress")
@read_only
def progress(job_id: str):
    """The progress partial; it polls itself until the job is terminal. When the
    job moved since the page's last look, the tables that follow it come along,
    swapped out of band."""
    job = jobs.get(g.workspace.id, job_id)
    body, status = _progress(job, polled=True)
    render = _FOLLOWERS.get(job.kind)
    seen = request.args.get("seen")
    if render is not None and seen is not None and seen != job_moved_mark(job):
        body += render(job)
    return body, status


@bp.post("/<job_id>/cancel")
def cancel(job_id: str):
    """Cancel a queued or running job."""
    job = jobs.cancel(g.workspace.id, job_id)
    if is_htmx():
        return _progress(job)
    flash("Job cancelled.", "info")
    return redirect(job_url(job))


@bp.app_template_global()
def job_cost(job) -> ledger.JobCost:
    """Cost so far, charged calls and cache hits of a job (for the partials): the
    job row's counters, however many calls the job made."""
    return ledger.cost_of(job)


@bp.app_template_global()
def job_counts(job) -> jobs.Counts:
    """A job's counts by outcome, cost, calls and cache hits, from its row."""
    return jobs.counts(job)


@bp.app_template_global()
def money(amount) -> str:
    return metering.fmt(amount)


@bp.app_template_global()
def can_rerun(job) -> bool:
    return kinds.get(job.kind).rerun is not None


@bp.post("/<job_id>/resume")
def resume(job_id: str):
    """Resume a paused job, after raising its cost cap (or the daily cap)."""
    form = ResumeForm()
    try:
        if not form.validate():
            raise InvalidInput(_first_error(form))
        job = ledger.resume_job(
            g.workspace.id, job_id, cap=form.cost_cap.data, daily=form.daily_cap.data
        )
    except InvalidInput as exc:
        if not form.errors:
            form.add_error(exc)
        if is_htmx():
            job = jobs.get(g.workspace.id, job_id)
            return _progress(job, status=422, resume_form=form)
        flash(exc.message, "error")
        return redirect(job_url(jobs.get(g.workspace.id, job_id)))
    sent = tasks.enqueue_batches(jobs.open_batches(job.id))
    if is_htmx():
        return _progress(job, notice=None if sent else tasks.NOT_SENT_NOTICE)
    if sent:
        flash("Job resumed.", "info")
    warn_if_not_sent(sent)
    return redirect(job_url(job))


@bp.post("/<job_id>/retry")
def retry(job_id: str):
    """Retry what failed in a finished job, the way its kind retries."""
    job = jobs.get(g.workspace.id, job_id)
    spec = kinds.get(job.kind)
    if spec.retry is not None:
        job = spec.retry(job)
    else:
        ops.retry_job(job.id)
    if tasks.enqueue_batches(jobs.open_batches(job.id)):
        flash("The failed work is queued again.", "info")
    else:
        warn_if_not_sent(False)
    return redirect(job_url(job))


@bp.post("/<job_id>/rerun-exactly")
def rerun_exactly(job_id: str):
    """Start a new job with exactly the inputs of this one, then show it."""
    new = jobs.rerun_exactly(g.workspace.id, job_id, user_id=current_user.id)
    if tasks.enqueue_batches(jobs.open_batches(new.id)):
        flash("Started again with the same inputs.", "info")
    else:
        warn_if_not_sent(False)
    return redirect(job_url(new))


def _first_error(form) -> str:
    """The first message of an invalid form, for a flash."""
    return next(iter(form.errors.values()))[0]
