"""The ops page: queue, workers, jobs, failed and stuck work, periodic tasks, health."""

import logging

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from sqlalchemy.exc import DBAPIError

from prospecting import tasks
from prospecting.errors import MESSAGES
from prospecting.errors import error_body
from prospecting.errors import error_response
from prospecting.errors import wants_json
from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.extensions import login_manager
from prospecting.htmx import is_htmx
from prospecting.services import jobs
from prospecting.services import ops
from prospecting.services import searches
from prospecting.services.errors import ServiceError

logger = logging.getLogger(__name__)

bp = Blueprint("ops", __name__, url_prefix="/ops")

DATABASE_DOWN = (
    "The database is unreachable right now, so this page cannot be shown. "
    "Nothing was lost: try again in a moment."
)
QUEUE_DOWN = (
    "The job queue is unreachable right now. Work already saved is sent again "
    "once it is back; try the action again in a moment."
)


def _poll() -> int:
    return current_app.config["OPS_POLL_SECONDS"]


def _queue_context() -> dict:
    return {"depth": ops.queue_depth(), "workers": ops.workers()}


def _jobs_context() -> dict:
    return {
        "jobs": ops.active_jobs(g.workspace.id),
        "stuck": ops.stuck_batches(g.workspace.id),
    }


def _failed_context() -> dict:
    return {"batches": ops.failed_batches(g.workspace.id)}


def _periodic_context() -> dict:
    return {"tasks": ops.periodic_tasks()}


def _providers_context() -> dict:
    # Operators see every call and the proxy pool; others their workspace's calls.
    # Everyone sees which providers production still points at the sandbox.
    unset = ops.not_configured_providers()
    if current_user.is_operator:
        return {
            "health": ops.provider_health(),
            "proxies": searches.proxy_health(),
            "not_configured": unset,
        }
    return {
        "health": ops.provider_health(workspace_id=g.workspace.id),
        "proxies": [],
        "not_configured": unset,
    }


def _operator_context() -> dict:
    if not current_user.is_operator:
        return {}
    return {**_queue_context(), **_periodic_context()}


def _partial(template: str, context, notice: str | None = None, status: int = 200):
    return render_template(template, notice=notice, poll=_poll(), **context()), status


@bp.get("/")
def index():
    """The ops page; every section polls its own partial. The whole system's
    sections (queue, workers, periodic tasks) are shown to operators only."""
    return render_template(
        "ops/index.html",
        poll=_poll(),
        notice=None,
        job=None,
        throughput_series=ops.throughput(workspace_id=g.workspace.id),
        **_operator_context(),
        **_jobs_context(),
        **_failed_context(),
        **_providers_context(),
    )


@bp.get("/queue")
def queue():
    """Queue depth and worker heartbeats."""
    return _partial("ops/_queue.html", _queue_context)


@bp.get("/jobs")
def active():
    """Queued and running jobs with progress, and stuck batches."""
    return _partial("ops/_jobs.html", _jobs_context)


@bp.get("/failed")
def failed():
    """Failed batches with their error and stored arguments."""
    return _partial("ops/_failed.html", _failed_context)


@bp.get("/periodic")
def periodic():
    """Periodic tasks with their last and next run."""
    return _partial("ops/_periodic.html", _periodic_context)


@bp.get("/providers")
def providers():
    """Provider health over the last hour (the workspace's, or every call and the
    proxy pool for operators)."""
    return _partial("ops/_providers.html", _providers_context)


@bp.get("/throughput")
def throughput():
    """Items and provider calls per minute over the last hour (a job's or all)."""
    job_id = request.args.get("job_id") or None
    job = jobs.get(g.workspace.id, job_id) if job_id else None
    return render_template(
        "ops/_throughput.html",
        job=job,
        throughput_series=ops.throughput(workspace_id=g.workspace.id, job_id=job_id),
    )


NOT_SENT_BATCH = (
    "The queue cannot be reached right now: the batch is sent by itself once the "
    "queue is back."
)


def _act(action, template: str, context, done: str):
    """Run a POST action; htmx gets the refreshed partial, a form a redirect.

    An action returning False saved its work but could not queue it (the reaper
    sends it once the queue is back): that is said instead of `done`.
    """
    try:
        sent = action()
    except ServiceError as exc:
        if not is_htmx():
            raise
        return _partial(template, context, notice=exc.message, status=exc.status_code)
    if sent is False:
        done = NOT_SENT_BATCH
    if is_htmx():
        return _partial(template, context, notice=done)
    flash(done, "info" if sent is not False else "warning")
    return redirect(url_for("ops.index"))


@bp.post("/batches/<int:batch_id>/retry")
def retry(batch_id: int):
    """Retry a failed batch with its stored arguments."""

    def action():
        batch = ops.retry_batch(g.workspace.id, batch_id)
        return tasks.enqueue_batches([(batch.id, batch.kind)])

    return _act(
        action, "ops/_failed.html", _failed_context, f"Batch {batch_id} sent again."
    )


@bp.post("/batches/<int:batch_id>/cancel")
def cancel(batch_id: int):
    """Give up on a failed batch (and stop its job if it still runs)."""

    def action():
        ops.cancel_batch(g.workspace.id, batch_id)

    return _act(
        action, "ops/_failed.html", _failed_context, f"Batch {batch_id} cancelled."
    )


@bp.post("/batches/<int:batch_id>/requeue")
def requeue(batch_id: int):
    """Send a stuck batch to the queue again."""

    def action():
        batch = ops.requeue_stuck(g.workspace.id, batch_id)
        return tasks.enqueue_batches([(batch.id, batch.kind)])

    return _act(
        action, "ops/_jobs.html", _jobs_context, f"Batch {batch_id} sent again."
    )


@bp.post("/periodic/<name>/run")
def run_now(name: str):
    """Enqueue a periodic task at once."""

    def action():
        task_class = ops.periodic_task_class(name)
        huey.enqueue(task_class())

    done = f"{name.rsplit('.', 1)[-1]} queued."
    return _act(action, "ops/_periodic.html", _periodic_context, done)


@bp.app_context_processor
def inject_status():
    """`ops_status()` for the banner of base.html; evaluated only when rendered."""
    return {"ops_status": _safe_status}


def _safe_status():
    try:
        return ops.system_status()
    except Exception:
        logger.exception("could not check the system status")
        return None


@bp.app_errorhandler(DBAPIError)
def database_error(exc):
    """A database outage answers 503 with the banner instead of a 500."""
    try:
        db.session.rollback()
    except Exception:
        logger.debug("rollback failed while the database is down", exc_info=True)
    if ops.database_reachable():
        logger.exception("database error on %s %s", request.method, request.path)
        return error_response(500, MESSAGES[500], code="internal")
    logger.error("database unreachable on %s %s: %s", request.method, request.path, exc)
    # Flask-Login's context processor would load the user from the database again.
    g._login_user = login_manager.anonymous_user()
    return _unavailable(DATABASE_DOWN, database_ok=False, queue_ok=None)


def _unavailable(message: str, *, database_ok, queue_ok):
    if wants_json():
        return jsonify(error_body("unavailable", message)), 503
    template = "ops/_unavailable.html" if is_htmx() else "ops/unavailable.html"
    return render_template(
        template,
        message=message,
        database_ok=database_ok,
        queue_ok=queue_ok,
        retry_url=request.url if request.method == "GET" else None,
    ), 503


def _queue_errors() -> tuple[type[Exception], ...]:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # the embedded default runs without redis installed
        return ()
    return (RedisConnectionError, RedisTimeoutError)


def queue_error(exc):
    """An unreachable queue answers 503 with the banner instead of a 500."""
    logger.error("queue unreachable on %s %s: %s", request.method, request.path, exc)
    return _unavailable(QUEUE_DOWN, database_ok=None, queue_ok=False)


for _error in _queue_errors():
    bp.app_errorhandler(_error)(queue_error)
