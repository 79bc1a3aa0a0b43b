"""Re-run exactly: a new job with the same inputs as a finished one."""

import hashlib
import os

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import Upload
from prospecting.services import contacts
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services import prospects
from prospecting.services import searches
from prospecting.services.errors import Conflict

RERUNNABLE = ("enrichment", "people_search", "prospect_search", "contact_fetch")


def can_rerun(job: Job) -> bool:
    return job.kind in RERUNNABLE


def rerun_exactly(workspace_id: int, job_id: str, *, user_id: int | None = None) -> Job:
    """Start (commit, not enqueue) a new job with the stored inputs of `job_id`."""
    job = jobs.get(workspace_id, job_id)
    starter = STARTERS.get(job.kind)
    if starter is None:
        raise Conflict(f"A {job.kind.replace('_', ' ')} job cannot be re-run exactly.")
    new = starter(job, user_id)
    audit = dict(new.params.get("audit") or {})
    audit["rerun_of"] = job.id
    new.params = {**new.params, "audit": audit}
    db.session.commit()
    return new


def _enrichment(job: Job, user_id: int | None) -> Job:
    params = job.params
    upload = db.session.get(Upload, params["upload_id"])
    if upload is None or upload.workspace_id != job.workspace_id:
        raise Conflict("The uploaded file of this job was deleted: upload it again.")
    if not upload.stored_path or not os.path.exists(upload.stored_path):
        raise Conflict("The uploaded file of this job is gone: upload it again.")
    if _sha256(upload.stored_path) != params.get("sha256"):
        raise Conflict(
            "The uploaded file changed since this job ran (its sha256 differs), "
            "so it cannot be re-run exactly."
        )
    return enrichment.start(
        job.workspace_id,
        user_id,
        upload.id,
        encoding=params["encoding"],
        delimiter=params["delimiter"],
        mapping=params["mapping"],
        cost_cap=params.get("cost_cap"),
    )


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _people_search(job: Job, user_id: int | None) -> Job:
    search = searches.start(
        job.workspace_id, user_id, job.params["filter"], job.params["fetch_count"]
    )
    return _with_cap(db.session.get(Job, search.id), job)


def _prospect_search(job: Job, user_id: int | None) -> Job:
    params = job.params
    data = {
        "search_source": params["api"],
        "target_count": params["target"],
        "search_criteria": params["criteria"],
    }
    new = prospects.create_job(
        job.workspace_id,
        user_id,
        data,
        location_titles=params.get("location_titles"),
    )
    return _with_cap(new, job)


def _contact_fetch(job: Job, user_id: int | None) -> Job:
    new = contacts.start_fetch(
        job.workspace_id,
        user_id,
        job.params["company_id"],
        max_contacts=job.params.get("max_contacts"),
    )
    return _with_cap(new, job)


def _with_cap(new: Job, old: Job) -> Job:
    if "cost_cap" in old.params:
        new.params = {**new.params, "cost_cap": old.params["cost_cap"]}
    return new


STARTERS = {
    "enrichment": _enrichment,
    "people_search": _people_search,
    "prospect_search": _prospect_search,
    "contact_fetch": _contact_fetch,
}
