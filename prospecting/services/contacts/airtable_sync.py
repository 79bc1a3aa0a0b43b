"""The Airtable sync of companies, then contacts, to a workspace base: the job (a
planning batch, company chunks, then contact chunks of up to 100, sent 10 a
request), the direct sync of a few contacts (the JSON contact fetch) and the
periodic start of the job."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import AirtableSettings
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models.base import utcnow
from prospecting.models.jobs import TERMINAL_JOB_STATUSES
from prospecting.providers import airtable
from prospecting.providers.errors import ProviderError
from prospecting.services import jobs
from prospecting.services.contacts import airtable_schema
from prospecting.services.contacts import strategy
from prospecting.services.contacts.airtable_records import READ_GROUP
from prospecting.services.contacts.airtable_records import SyncCounts
from prospecting.services.contacts.airtable_records import sync_objects
from prospecting.services.contacts.airtable_settings import Connection
from prospecting.services.contacts.airtable_settings import connection
from prospecting.services.contacts.sync_state import sync_filter
from prospecting.services.errors import Conflict
from prospecting.services.errors import ServiceError

KIND = "airtable_sync"
PLAN = "airtable_sync.plan"
COMPANIES = "airtable_sync.companies"
CONTACTS = "airtable_sync.contacts"
# A chunk's records are read with one request (the "fill" strategy) and sent 10 a
# request; the reads are a tenth of the writes instead of as many. Without reads
# ("overwrite") a chunk is one request: the job's last chunks then keep every
# thread sending instead of a few threads sending ten each.
CHUNK = READ_GROUP
WRITE_CHUNK = airtable.MAX_RECORDS


def open_sync(workspace_id: int) -> Job | None:
    """The workspace's sync job that is still queued or running, if any."""
    return db.session.scalar(
        select(Job)
        .where(
            Job.workspace_id == workspace_id,
            Job.kind == KIND,
            Job.status.not_in(TERMINAL_JOB_STATUSES),
        )
        .limit(1)
    )


def start_sync(
    workspace_id: int,
    user_id: int | None = None,
    *,
    retry_failed: bool = False,
    contact_ids: list[int] | None = None,
    title: str | None = None,
    update_strategy: str | None = None,
) -> Job:
    """Create a sync job with its planning batch (committed, not yet enqueued);
    `contact_ids` restricts it to those contacts (and their companies);
    `update_strategy` is "fill" (the default: only the fields empty in Airtable
    are written) or "overwrite" (the book's values win)."""
    chosen = strategy.check(update_strategy)
    connection(workspace_id)
    if open_sync(workspace_id) is not None:
        raise Conflict("An Airtable sync is already running for this workspace.")
    if retry_failed:
        for model in (Company, Contact):
            db.session.execute(
                update(model)
                .where(model.workspace_id == workspace_id, model.sync_failed)
                .values(sync_failed=False, sync_error=None)
            )
    params = {"retry_failed": retry_failed, "update_strategy": chosen}
    if contact_ids is not None:
        params["contact_ids"] = list(contact_ids)
    job = jobs.create(
        KIND,
        params,
        [jobs.NewBatch(PLAN)],
        workspace_id=workspace_id,
        user_id=user_id,
        title=title or "Airtable sync" + (" (retry failed)" if retry_failed else ""),
    )
    db.session.commit()
    return job


def plan(run: jobs.Run) -> jobs.Result:
    """Hold the settings against the base's schema (nothing is sent if the base
    lacks a mapped field or table, or a type cannot take our value), then cut the
    pending companies and contacts into chunks (CHUNK to "fill", WRITE_CHUNK to
    "overwrite"), companies first; the chunks are sent once the plan is done."""
    job = run.job
    ws = job.workspace_id
    report = airtable_schema.check(connection(ws))
    if report.blocking:
        return jobs.Failed(schema_message(report))
    contact_ids = _pending_ids(Contact, ws)
    company_ids = sorted(set(_pending_ids(Company, ws)) | _unlinked_companies(ws))
    if job.params.get("contact_ids") is not None:
        keep = set(job.params["contact_ids"])
        contact_ids = [i for i in contact_ids if i in keep]
        theirs = _company_ids_of(contact_ids)
        company_ids = [i for i in company_ids if i in theirs]
    seq = jobs.next_seq(job.id)
    chosen = job.params.get("update_strategy") or strategy.DEFAULT
    size = CHUNK if chosen == "fill" else WRITE_CHUNK
    chunks = []
    for kind, ids in ((COMPANIES, company_ids), (CONTACTS, contact_ids)):
        for start in range(0, len(ids), size):
            part = ids[start : start + size]
            chunks.append(
                jobs.add_batch(job.id, kind=kind, seq=seq, params={"ids": part})
            )
            seq += 1
    db.session.flush()
    return jobs.Done(
        then=tuple((chunk.id, 0.0) for chunk in chunks),
        total=len(company_ids) + len(contact_ids),
    )


def _company_ids_of(contact_ids: list[int]) -> set[int]:
    """The primary companies of these contacts (a restricted sync sends only them)."""
    found: set[int] = set()
    for start in range(0, len(contact_ids), 500):
        found.update(
            db.session.scalars(
                select(Contact.company_id).where(
                    Contact.id.in_(contact_ids[start : start + 500]),
                    Contact.company_id.is_not(None),
                )
            )
        )
    return found


def schema_message(report: airtable_schema.SchemaReport) -> str:
    return (
        "The Airtable base does not match the settings; nothing was sent. "
        f"{report.summary()} Fix the base, or the mapping on the Airtable settings "
        "page."
    )


def _pending_ids(model, workspace_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(model.id)
            .where(model.workspace_id == workspace_id, sync_filter(model, "pending"))
            .order_by(model.id)
        )
    )


def _unlinked_companies(workspace_id: int) -> set[int]:
    """Companies without a record whose pending contacts need one to link to."""
    return set(
        db.session.scalars(
            select(Company.id)
            .join(Contact, Contact.company_id == Company.id)
            .where(
                Company.workspace_id == workspace_id,
                Company.crm_record_id.is_(None),
                ~Company.sync_failed,
                sync_filter(Contact, "pending"),
            )
        )
    )


def sync_chunk(run: jobs.Run) -> jobs.Result:
    """Send one chunk of companies or contacts (contacts wait for the companies
    they link to)."""
    batch, job = run.batch, run.job
    if batch.kind == CONTACTS and _companies_open(job.id):
        wait = current_app.config["AIRTABLE_PHASE_WAIT_SECONDS"]
        return jobs.Later(wait, "Waiting for companies.", counts=jobs.WAIT)
    ids = run.params.get("ids", [])
    chosen = job.params.get("update_strategy") or strategy.DEFAULT
    conn = connection(job.workspace_id)
    _sync_ids(conn, batch.kind, job.workspace_id, ids, chosen, each=run.each)
    failed = _failed_count(batch.kind, ids)
    return jobs.Done(success=len(ids) - failed, failed=failed)


def _sync_ids(
    conn: Connection,
    kind: str,
    workspace_id: int,
    ids: list[int],
    chosen: str = strategy.DEFAULT,
    *,
    each=iter,
) -> None:
    model = Company if kind == COMPANIES else Contact
    read_at = utcnow()
    # Only what is still pending: a re-run skips records an earlier run synced.
    objects = db.session.scalars(
        select(model)
        .where(
            model.workspace_id == workspace_id,
            model.id.in_(ids),
            sync_filter(model, "pending"),
        )
        .order_by(model.id)
    ).all()
    if objects:
        sync_objects(conn, list(objects), read_at=read_at, strategy=chosen, each=each)


def _companies_open(job_id: str) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(JobBatch)
            .where(
                JobBatch.job_id == job_id,
                JobBatch.kind.in_((PLAN, COMPANIES)),
                JobBatch.status.in_(("pending", "running")),
            )
        )
    )


def _failed_count(kind: str, ids: list[int]) -> int:
    model = Company if kind == COMPANIES else Contact
    if not ids:
        return 0
    return db.session.scalar(
        select(func.count()).where(model.id.in_(ids), model.sync_failed)
    )


def give_up_chunk(run: jobs.Run, exc: ProviderError) -> jobs.Result:
    """After the last attempt the chunk's records are marked failed with the error
    (a later sync retries them); the job goes on with the other chunks."""
    model = Company if run.kind == COMPANIES else Contact
    ids = run.params.get("ids", [])
    db.session.execute(
        update(model)
        .where(model.id.in_(ids), sync_filter(model, "pending"))
        .values(sync_failed=True, sync_error=exc.message[:2000])
    )
    failed = _failed_count(run.kind, ids)
    return jobs.Done(success=len(ids) - failed, failed=failed)


def sync_now(workspace_id: int, contact_ids: list[int]) -> SyncCounts:
    """Sync a few contacts (and their companies) inside the request.

    No waiting: a rate limit or outage leaves the rest pending for the next sync
    job and counts them as not synced.
    """
    counts = SyncCounts()
    if not contact_ids:
        return counts
    conn = connection(workspace_id)
    try:
        if airtable_schema.check(conn).blocking:
            # Left pending: the next sync job fails with the schema's problems.
            counts.failed = len(contact_ids)
            return counts
        companies = sorted(_companies_of(workspace_id, contact_ids))
        for start in range(0, len(companies), CHUNK):
            _sync_ids(conn, COMPANIES, workspace_id, companies[start : start + CHUNK])
        for start in range(0, len(contact_ids), CHUNK):
            part = contact_ids[start : start + CHUNK]
            _sync_ids(conn, CONTACTS, workspace_id, part)
    except ProviderError:
        db.session.rollback()
    for contact in db.session.scalars(
        select(Contact).where(Contact.id.in_(contact_ids))
    ):
        if contact.sync_state == "synced":
            counts.synced += 1
        else:
            counts.failed += 1
    return counts


def _companies_of(workspace_id: int, contact_ids: list[int]) -> set[int]:
    return set(
        db.session.scalars(
            select(Company.id)
            .join(Contact, Contact.company_id == Company.id)
            .where(
                Company.workspace_id == workspace_id,
                Contact.id.in_(contact_ids),
                Company.crm_record_id.is_(None),
            )
        )
    )


def due_periodic_syncs() -> list[Job]:
    """Start the sync of every workspace whose sync interval has elapsed."""
    now = utcnow()
    started = []
    for settings in db.session.scalars(
        select(AirtableSettings).where(AirtableSettings.sync_interval_minutes > 0)
    ).all():
        interval = timedelta(minutes=settings.sync_interval_minutes)
        if settings.last_auto_sync_at and settings.last_auto_sync_at + interval > now:
            continue
        settings.last_auto_sync_at = now
        db.session.commit()
        try:
            started.append(start_sync(settings.workspace_id))
        except ServiceError:
            continue  # not configured, or a sync is still running
    return started
