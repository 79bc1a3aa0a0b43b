"""Re-runs: a finished job's failed rows (or the rows conditions pick) sent again,
or a new job on its inputs."""

import hashlib
import os

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import Upload
from prospecting.models.base import utcnow
from prospecting.services import jobs
from prospecting.services.enrichment.conditions import RerunConditions
from prospecting.services.enrichment.conditions import selected
from prospecting.services.enrichment.planner import ROWS
from prospecting.services.enrichment.rows import _take_all_pages
from prospecting.services.enrichment.uploads import KIND
from prospecting.services.enrichment.uploads import start
from prospecting.services.errors import Conflict


def rerun_failed(
    workspace_id: int, job_id: str, conditions: RerunConditions | None = None
) -> Job:
    """Put a finished job's failed (and never processed) rows into new batches,
    or, with `conditions`, the rows they pick (conditions.selected); a re-run of
    unknown or stale verdicts asks the verifier again rather than its cache."""
    conditions = conditions or RerunConditions()
    job = jobs.get(workspace_id, job_id, kind=KIND)
    if not job.is_terminal:
        raise Conflict("The job is still running; re-run its rows when it ends.")
    # Rows a cancelled or failed job never took are in pages still.
    _take_all_pages(job.id)
    numbers = db.session.scalars(
        select(EnrichmentRow.row_number)
        .where(*selected(job.id, conditions))
        .order_by(EnrichmentRow.row_number)
    ).all()
    if not numbers:
        raise Conflict(f"There are no {conditions.describe()} to re-run.")
    size = current_app.config["ENRICHMENT_BATCH_SIZE"]
    seq = jobs.next_seq(job.id)
    for first in range(0, len(numbers), size):
        part = numbers[first : first + size]
        db.session.execute(
            update(EnrichmentRow)
            .where(EnrichmentRow.job_id == job.id, EnrichmentRow.row_number.in_(part))
            .values(status="pending", error_message=None, processed_at=None)
        )
        jobs.add_batch(job.id, kind=ROWS, seq=seq, params={"row_numbers": part})
        seq += 1
    # The job's counts start again from its rows (one count, here, not on its
    # pages): what is not sent again stays, every row sent again counts when it
    # is worked.
    by_status = dict(
        db.session.execute(
            select(EnrichmentRow.status, func.count())
            .where(EnrichmentRow.job_id == job.id)
            .group_by(EnrichmentRow.status)
        ).all()
    )
    succeeded, failed = by_status.get("success", 0), by_status.get("failed", 0)
    # The rate (and ETA) count from the re-run, not from the first run's start.
    resumed = {"at": utcnow().isoformat(), "from": succeeded + failed}
    rerun = {**conditions.as_params(), "fresh": conditions.fresh}
    db.session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(
            params={**job.params, "resumed": resumed, "rerun": rerun},
            status="running",
            completed_at=None,
            error_message=None,
            success_count=succeeded,
            failed_count=failed,
            progress_current=succeeded + failed,
        )
    )
    db.session.commit()
    db.session.refresh(job)
    return job


def rerun_exactly(job: Job, user_id: int | None) -> Job:
    """A new job on the same stored file, dialect, mapping and cap (commits)."""
    params = job.params
    upload = db.session.get(Upload, params["upload_id"])
    if upload is None or upload.workspace_id != job.workspace_id:
        raise Conflict("The uploaded file of this job was deleted: upload it again.")
    if not upload.stored_path or not os.path.exists(upload.stored_path):
        raise Conflict("The uploaded file of this job is gone: upload it again.")
    if _file_sha256(upload.stored_path) != params.get("sha256"):
        raise Conflict(
            "The uploaded file changed since this job ran (its sha256 differs), "
            "so it cannot be re-run exactly."
        )
    return start(
        job.workspace_id,
        user_id,
        upload.id,
        encoding=params["encoding"],
        delimiter=params["delimiter"],
        mapping=params["mapping"],
        cost_cap=params.get("cost_cap"),
        options=params.get("options"),
        sheet=params.get("sheet"),
    )


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
