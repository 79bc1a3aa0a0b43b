"""People of a results table (enrichment results, people-search profiles,
prospects) brought into a list: through the book's quality-gate import job,
then onto the list when that job completes."""

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactSource
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.services import contacts
from prospecting.services.lists import members
from prospecting.services.lists.bulk import check


def start_import_to_list(
    workspace_id: int,
    user_id: int | None,
    source: str,
    job_id: str,
    list_id: int,
    *,
    include_risky: bool = False,
    row_ids: list[int] | None = None,
    row_filter=None,
    update_strategy: str | None = None,
) -> Job:
    """The import job of a results table's people (all, the rows `row_ids`, or
    those `row_filter` shows), remembering the list they go on (committed, not
    enqueued)."""
    args = check(workspace_id, "add", list_id=list_id)
    job = contacts.start_import(
        workspace_id,
        user_id,
        source,
        job_id,
        include_risky=include_risky,
        row_ids=row_ids,
        row_filter=row_filter,
        update_strategy=update_strategy,
    )
    job.params = {**job.params, "list_id": args["list_id"]}
    db.session.commit()
    return job


def import_ended(job: Job) -> None:
    """The engine's job-end hook: a completed import that names a list puts the
    people it brought (entered or merged) on that list."""
    params = job.params or {}
    if job.kind != contacts.KIND_IMPORT or job.status != "completed":
        return
    if not params.get("list_id") or not params.get("source_job_id"):
        return
    ids = _brought(job)
    if ids is None:
        ids = _from_source(job)
    if not ids:
        return
    found = db.session.get(members.ContactList, params["list_id"])
    if found is None or found.smart:
        return
    added = members.insert_members(found, ids)
    if added:
        members.announce_change(found, added=added)


def _brought(job: Job) -> list[int] | None:
    """The contacts the import's batches entered or merged (None for an import
    started before batches kept them)."""
    found, kept = set(), False
    for params in db.session.scalars(
        select(JobBatch.params).where(JobBatch.job_id == job.id)
    ):
        if params and "contact_ids" in params:
            kept = True
            found.update(params["contact_ids"])
    if not kept:
        return None
    ids, alive = sorted(found), []
    for start in range(0, len(ids), 500):  # still in the book (none erased since)
        alive += db.session.scalars(
            select(Contact.id).where(
                Contact.workspace_id == job.workspace_id,
                Contact.id.in_(ids[start : start + 500]),
            )
        )
    return alive


def _from_source(job: Job) -> list[int]:
    """Every contact with the import's source job among its sources."""
    params = job.params
    return list(
        db.session.scalars(
            select(ContactSource.contact_id)
            .join(Contact, Contact.id == ContactSource.contact_id)
            .where(
                Contact.workspace_id == job.workspace_id,
                ContactSource.source == params["source"],
                ContactSource.ref == params["source_job_id"],
            )
            .distinct()
        )
    )
