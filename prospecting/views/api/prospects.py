"""JSON API of the LinkedIn prospect search jobs (providers.md §7.3)."""

import functools

from flask import jsonify
from flask import request

from prospecting import tasks
from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.errors import api_family
from prospecting.errors import error_response
from prospecting.services import jobs
from prospecting.services import prospects
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import ServiceError
from prospecting.services.pages import Page
from prospecting.views.api import bp
from prospecting.views.api import iso
from prospecting.views.responses import created

MAX_PER_PAGE = 200
# The seed's statuses (providers.md §7.3): a running or paused job is
# "processing", a cancelled one "failed" (with its reason).
SEED_STATUSES = {
    "queued": "queued",
    "running": "processing",
    "paused": "processing",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "failed",
}


def seed_status(job) -> str:
    return SEED_STATUSES.get(job.status, "processing")


def _error_message(job) -> str | None:
    if job.status == "cancelled":
        return job.error_message or "Job cancelled"
    return job.error_message


def envelope(fn):
    """Domain errors in the one error envelope, with their 4xx status (a missing
    job reads "Job not found", as the seed said)."""

    @api_family("prospects")
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ServiceError as exc:
            status = exc.status_code
            message = "Job not found" if status == 404 else exc.message
            return error_response(status, message, code=exc.code, details=exc.details)

    return wrapper


@bp.post("/api/linkedin/search/create-job")
@token_required
@envelope
def create_prospect_job():
    """Start a prospect search job; returns at once with the queued job."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object body.")
    if data.get("search_type", "linkedin") != "linkedin":
        raise InvalidInput("search_type must be linkedin.")
    job = prospects.create_job(workspace_id(), None, data)
    body = {
        "success": True,
        "job_id": job.id,
        "status": seed_status(job),
        "message": f"Search job created: fetching up to {job.params['target']:,} "
        "prospects in the background.",
        "metadata": _metadata(job),
    }
    sent = tasks.enqueue_batches(jobs.open_batches(job.id))
    return created(body, 201, sent=sent)


def _metadata(job) -> dict:
    api = job.params["api"]
    guess = prospects.estimate(api, job.params["target"])
    return {
        "api": api,
        "max_results": guess["cap"],
        "estimated_time_seconds": guess["seconds"],
    }


@bp.get("/api/linkedin/search/create-job")
@token_required
@envelope
def prospect_job_status():
    """Status and progress of a prospect search job (?job_id=)."""
    job = prospects.get_job(workspace_id(), _job_id())
    return jsonify(
        {
            "success": True,
            "job": {
                "id": job.id,
                "status": seed_status(job),
                "progress": {
                    "current": job.progress_current,
                    "total": job.progress_total,
                    "percentage": job.percent,
                },
                "results_count": prospects.count(job.id),
                "started_at": iso(job.started_at),
                "completed_at": iso(job.completed_at),
                "error_message": _error_message(job),
            },
        }
    )


def _job_id() -> str:
    job_id = request.args.get("job_id", "").strip()
    if not job_id:
        raise InvalidInput("job_id is required.")
    return job_id


@bp.get("/api/linkedin/search/results")
@token_required
@envelope
def prospect_job_results():
    """A page of the prospects a job found (?job_id=&page=&per_page=)."""
    job = prospects.get_job(workspace_id(), _job_id())
    page, per_page = _number("page", 1), _number("per_page", 50)
    if page < 1:
        raise InvalidInput("page must be at least 1.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page must be between 1 and {MAX_PER_PAGE}.")
    rows, total = prospects.prospects_page(job.id, page=page, per_page=per_page)
    return jsonify(
        {
            "success": True,
            "job_id": job.id,
            "job_status": seed_status(job),
            "prospects": [_prospect(p) for p in rows],
            "pagination": Page(rows, page, per_page, total).pagination(),
        }
    )


def _number(name: str, default: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number.") from None


def _prospect(p) -> dict:
    return {
        "id": p.provider_id,
        "name": p.name,
        "title": p.title,
        "company": p.company,
        "linkedinUrl": p.linkedin_url,
        "location": p.location,
        "connectionDegree": p.connection_degree,
    }
