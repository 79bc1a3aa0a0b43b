"""The JSON API (providers.md §7): thin front doors over the same services as the pages."""

import math

from flask import Blueprint
from flask import jsonify
from flask import request
from sqlalchemy import text

from prospecting import tasks
from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services.errors import InvalidInput

bp = Blueprint("api", __name__)

API_STATUS = {"queued": "pending", "running": "processing"}


def _iso(value):
    return value.isoformat() + "Z" if value else None


@bp.get("/health")
def health():
    """Database and queue reachability; 503 names the failing part."""
    body = {"status": "ok", "database": "ok", "queue": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        body["database"] = "unavailable"
    try:
        huey.pending_count()
    except Exception:
        body["queue"] = "unavailable"
    if "unavailable" in body.values():
        body["status"] = "degraded"
        return jsonify(body), 503
    return jsonify(body)


@bp.post("/jobs/upload")
@token_required
def upload():
    """Upload a CSV (multipart field `file`) and start enriching it with the auto mapping."""
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput("Send the CSV as a multipart field named 'file'.", code="no_file")
    ws = workspace_id()
    saved = enrichment.save_upload(ws, None, file.filename, file.stream)
    job = enrichment.start(ws, None, saved.id)
    tasks.enqueue_batches(jobs.open_batches(job.id))
    return jsonify({"job_id": job.id, "status": "pending", "filename": saved.filename}), 202


def _status_body(job) -> dict:
    done = job.success_count + job.failed_count
    return {
        "job_id": job.id,
        "filename": job.params.get("filename"),
        "status": API_STATUS.get(job.status, job.status),
        "total_count": job.progress_total,
        "success_count": job.success_count,
        "failed_count": job.failed_count,
        "pending_count": max(0, job.progress_total - done),
        "started_at": _iso(job.started_at),
        "completed_at": _iso(job.completed_at),
    }


@bp.get("/jobs/<job_id>/status")
@token_required
def status(job_id: str):
    """Counts and timestamps of an enrichment job."""
    job = jobs.get(workspace_id(), job_id, kind=enrichment.KIND)
    return jsonify(_status_body(job))


def _row_body(row) -> dict:
    return {
        "row_number": row.row_number,
        "name": row.name,
        "email": row.email,
        "company": row.company_name or row.company,
        "phone": row.phone_e164 or row.phone,
        "status": row.status,
        "email_valid": row.email_valid,
        "email_verdict": row.email_verdict,
        "company_domain": row.company_domain,
        "company_size": row.company_size,
        "location": row.location,
        "error_message": row.error_message,
        "processed_at": _iso(row.processed_at),
    }


@bp.get("/jobs/<job_id>/results")
@token_required
def results(job_id: str):
    """A page of processed rows, optionally of one status."""
    job = jobs.get(workspace_id(), job_id, kind=enrichment.KIND)
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", 50, type=int)
    if page is None or page < 1 or per_page is None or not 1 <= per_page <= 500:
        raise InvalidInput("page must be ≥ 1 and per_page between 1 and 500.", code="bad_page")
    status = request.args.get("status") or None
    if status not in (None, "pending", "success", "failed", "cancelled"):
        raise InvalidInput(
            "status must be one of pending, success, failed, cancelled.", code="bad_status"
        )
    rows, total = enrichment.results_page(job.id, page=page, per_page=per_page, status=status)
    pages = math.ceil(total / per_page) if total else 0
    return jsonify({
        "job_id": job.id,
        "results": [_row_body(r) for r in rows],
        "pagination": {"page": page, "per_page": per_page, "total": total,
                       "total_pages": pages, "has_more": page < pages},
    })
