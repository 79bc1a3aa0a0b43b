"""JSON API of the CSV enrichment jobs (providers.md §7.2)."""

import math

from flask import jsonify
from flask import request

from prospecting import tasks
from prospecting.auth import read_only
from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services.errors import InvalidInput
from prospecting.views.api import bp
from prospecting.views.api import iso
from prospecting.views.responses import created

API_STATUS = {"queued": "pending", "running": "processing"}


@bp.post("/jobs/upload")
@token_required
def upload():
    """Upload a CSV (multipart field `file`) and enrich it with the auto mapping."""
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput(
            "Send the CSV as a multipart field named 'file'.", code="no_file"
        )
    saved, job = enrichment.start_from_file(
        workspace_id(), None, file.filename, file.stream
    )
    sent = tasks.enqueue_batches(jobs.open_batches(job.id))
    body = {"job_id": job.id, "status": "pending", "filename": saved.filename}
    return created(body, 202, sent=sent)


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
        "started_at": iso(job.started_at),
        "completed_at": iso(job.completed_at),
    }


@bp.get("/jobs/<job_id>/status")
@read_only
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
        "email_flags": row.email_flags or [],
        "company_domain": row.company_domain,
        "company_size": row.company_size,
        "location": row.location,
        "error_message": row.error_message,
        "processed_at": iso(row.processed_at),
    }


@bp.get("/jobs/<job_id>/results")
@token_required
def results(job_id: str):
    """A page of rows, optionally of one status, email verdict and email flag."""
    job = jobs.get(workspace_id(), job_id, kind=enrichment.KIND)
    page = _positive_int("page", 1)
    per_page = _positive_int("per_page", 50)
    if page < 1 or not 1 <= per_page <= 500:
        raise InvalidInput(
            "page must be ≥ 1 and per_page between 1 and 500.", code="bad_page"
        )
    args = request.args
    where = enrichment.row_filter(
        args.get("status"), args.get("verdict"), args.get("flag")
    )
    rows, total = enrichment.results_page(
        job, page=page, per_page=per_page, where=where
    )
    pages = math.ceil(total / per_page) if total else 0
    return jsonify(
        {
            "job_id": job.id,
            "results": [_row_body(r) for r in rows],
            "pagination": {
                "page": page,
                "per_page": per_page,
                "total": total,
                "total_pages": pages,
                "has_more": page < pages,
            },
        }
    )


def _positive_int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    # isdigit() alone lets "²" through to int(); nine digits keep OFFSET in range.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise InvalidInput(f"{name} must be a whole number.", code="bad_page")
    return int(raw)
