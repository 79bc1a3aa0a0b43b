"""Airtable settings and the sync of companies, then contacts, to a workspace base."""

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from prospecting import crypto
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
from prospecting.services.contacts import sync_filter
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import ServiceError

KIND = "airtable_sync"
PLAN = "airtable_sync.plan"
COMPANIES = "airtable_sync.companies"
CONTACTS = "airtable_sync.contacts"
CHUNK = airtable.MAX_RECORDS
BASE_ID = re.compile(r"^app[A-Za-z0-9]{14}$")

CONTACT_FIELDS = {
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "title": "Title",
    "location": "Location",
    "address": "Address",
    "linkedin_url": "LinkedIn",
    "source": "Source",
    "din": "DIN",
    "company": "Company",
}
COMPANY_FIELDS = {"name": "Name", "registration_number": "CIN", "domain": "Domain"}
CONTACT_MERGE_FIELDS = ("email", "phone")
COMPANY_MERGE_FIELDS = ("name", "registration_number", "domain")


class AirtableNotConfigured(ServiceError):
    status_code = 422


# Settings


def get_settings(workspace_id: int) -> AirtableSettings | None:
    return db.session.scalar(
        select(AirtableSettings).where(AirtableSettings.workspace_id == workspace_id)
    )


def settings_for_form(workspace_id: int) -> AirtableSettings:
    """The saved settings, or unsaved defaults to fill the form with."""
    saved = get_settings(workspace_id)
    if saved is not None:
        saved.contact_fields = {**CONTACT_FIELDS, **(saved.contact_fields or {})}
        saved.company_fields = {**COMPANY_FIELDS, **(saved.company_fields or {})}
        return saved
    return AirtableSettings(
        workspace_id=workspace_id,
        base_id="",
        contacts_table="Contacts",
        companies_table="Companies",
        contact_fields=dict(CONTACT_FIELDS),
        company_fields=dict(COMPANY_FIELDS),
        merge_field="email",
        company_merge_field="name",
        sync_interval_minutes=0,
    )


def save_settings(
    workspace_id: int,
    *,
    token: str | None,
    base_id: str,
    contacts_table: str,
    companies_table: str,
    contact_fields: dict,
    company_fields: dict,
    merge_field: str = "email",
    company_merge_field: str = "name",
    sync_interval_minutes: int = 0,
) -> AirtableSettings:
    """Validate and store the workspace's Airtable settings; the token is encrypted."""
    settings = get_settings(workspace_id) or AirtableSettings(workspace_id=workspace_id)
    token = (token or "").strip()
    if not token and not settings.token_encrypted:
        raise InvalidInput("Enter the Airtable personal access token.", code="no_token")
    base_id = (base_id or "").strip()
    if not BASE_ID.match(base_id):
        raise InvalidInput(
            "The base id is 'app' followed by 14 letters or digits "
            "(see the base's URL).",
            code="bad_base_id",
        )
    if not (contacts_table or "").strip() or not (companies_table or "").strip():
        raise InvalidInput("Name both the contacts and companies tables.", code="table")
    contact_fields = _mapping(contact_fields, CONTACT_FIELDS)
    company_fields = _mapping(company_fields, COMPANY_FIELDS)
    if merge_field not in CONTACT_MERGE_FIELDS or not contact_fields.get(merge_field):
        raise InvalidInput(
            "The contact merge field must be email or phone, mapped to a field.",
            code="bad_merge_field",
        )
    if company_merge_field not in COMPANY_MERGE_FIELDS or not company_fields.get(
        company_merge_field
    ):
        raise InvalidInput(
            "The company merge field must be a mapped name, CIN or domain.",
            code="bad_merge_field",
        )
    if not 0 <= int(sync_interval_minutes or 0) <= 10080:
        raise InvalidInput("The sync interval is 0 to 10080 minutes.", code="interval")
    if token:
        settings.token_encrypted = crypto.encrypt(token)
    settings.base_id = base_id
    settings.contacts_table = contacts_table.strip()[:120]
    settings.companies_table = companies_table.strip()[:120]
    settings.contact_fields = contact_fields
    settings.company_fields = company_fields
    settings.merge_field = merge_field
    settings.company_merge_field = company_merge_field
    settings.sync_interval_minutes = int(sync_interval_minutes or 0)
    settings.updated_at = utcnow()
    db.session.add(settings)
    db.session.commit()
    return settings


def _mapping(values: dict, defaults: dict) -> dict:
    return {key: str(values.get(key) or "").strip()[:120] for key in defaults}


@dataclass
class Connection:
    token: str
    base_id: str
    contacts_table: str
    companies_table: str
    contact_fields: dict
    company_fields: dict
    merge_field: str
    company_merge_field: str


def connection(workspace_id: int) -> Connection:
    """The decrypted settings to call Airtable with, or AirtableNotConfigured."""
    settings = get_settings(workspace_id)
    if settings is None or not settings.token_encrypted or not settings.base_id:
        raise AirtableNotConfigured(
            "Airtable is not configured for this workspace: add the token and base "
            "on the Airtable settings page.",
            code="airtable_not_configured",
        )
    try:
        token = crypto.decrypt(settings.token_encrypted)
    except crypto.SecretUnreadable as exc:
        raise AirtableNotConfigured(
            "The stored Airtable token cannot be read; enter it again.",
            code="airtable_not_configured",
        ) from exc
    return Connection(
        token=token,
        base_id=settings.base_id,
        contacts_table=settings.contacts_table,
        companies_table=settings.companies_table,
        contact_fields={**CONTACT_FIELDS, **(settings.contact_fields or {})},
        company_fields={**COMPANY_FIELDS, **(settings.company_fields or {})},
        merge_field=settings.merge_field,
        company_merge_field=settings.company_merge_field,
    )


# Building records


def company_record(conn: Connection, company: Company) -> dict:
    """The Airtable record of a company, or InvalidInput when it cannot be matched."""
    values = {
        "name": company.name,
        "registration_number": company.registration_number,
        "domain": company.domain,
    }
    fields = _fields(conn.company_fields, values)
    return _with_key(fields, conn.company_fields[conn.company_merge_field], company)


def contact_record(conn: Connection, contact: Contact) -> dict:
    """The Airtable record of a contact, linked to its company's record."""
    values = {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "title": contact.title,
        "location": contact.location,
        "address": _address(contact.addresses),
        "linkedin_url": contact.linkedin_url,
        "source": contact.source,
        "din": (contact.provider_ids or {}).get("din"),
    }
    fields = _fields(conn.contact_fields, values)
    link = conn.contact_fields.get("company")
    if link and contact.company is not None:
        if not contact.company.crm_record_id:
            reason = contact.company.sync_error or "it has not been synced"
            raise InvalidInput(
                f"Company '{contact.company.name}' is not in Airtable yet ({reason})."
            )
        fields[link] = [contact.company.crm_record_id]
    return _with_key(fields, conn.contact_fields[conn.merge_field], contact)


def _fields(mapping: dict, values: dict) -> dict:
    # Empty values stay out: a PATCH upsert then keeps what Airtable already has.
    return {
        mapping[key]: value
        for key, value in values.items()
        if mapping.get(key) and value not in (None, "", [])
    }


def _with_key(fields: dict, merge_field: str, obj) -> dict:
    if fields.get(merge_field):
        return {"fields": fields}
    if obj.crm_record_id:
        return {"id": obj.crm_record_id, "fields": fields}
    raise InvalidInput(f"No value for the merge field '{merge_field}'.")


def _address(addresses: list) -> str | None:
    for address in addresses or []:
        if isinstance(address, dict) and address.get("fullAddress"):
            return address["fullAddress"]
    return None


# Sending: one request per chunk; a refused chunk is retried record by record


@dataclass
class SyncCounts:
    synced: int = 0
    failed: int = 0


def sync_objects(conn: Connection, objects: list, *, read_at) -> SyncCounts:
    """Upsert companies or contacts (one kind, at most 10) and record each outcome.

    Per-record problems (no merge value, unsynced company, a refused record such as
    a multiple match) mark that record failed and the rest carry on; rate limits,
    refused credentials and outages propagate. Commits after every request.
    """
    counts, ready = SyncCounts(), []
    build = company_record if isinstance(objects[0], Company) else contact_record
    for obj in objects:
        try:
            ready.append((obj, build(conn, obj)))
        except InvalidInput as exc:
            _mark_failed(obj, exc.message)
            counts.failed += 1
    db.session.commit()
    if not ready:
        return counts
    try:
        _send(conn, ready, read_at)
        counts.synced += len(ready)
        return counts
    except airtable.AirtableRecordError as exc:
        if len(ready) == 1:
            _mark_failed(ready[0][0], exc.message)
            db.session.commit()
            counts.failed += 1
            return counts
    for obj, record in ready:
        try:
            _send(conn, [(obj, record)], read_at)
            counts.synced += 1
        except airtable.AirtableRecordError as exc:
            _mark_failed(obj, exc.message)
            db.session.commit()
            counts.failed += 1
    return counts


def _send(conn: Connection, ready: list, read_at) -> None:
    is_company = isinstance(ready[0][0], Company)
    table = conn.companies_table if is_company else conn.contacts_table
    mapping = conn.company_fields if is_company else conn.contact_fields
    merge = mapping[conn.company_merge_field if is_company else conn.merge_field]
    result = airtable.upsert(
        conn.token,
        conn.base_id,
        table,
        [record for _, record in ready],
        merge_fields=[merge],
        typecast=True,
    )
    records = result.get("records") or []
    for (obj, _), record in zip(ready, records, strict=False):
        obj.crm_record_id = record.get("id") or obj.crm_record_id
        obj.synced_at = read_at
        obj.sync_failed, obj.sync_error = False, None
    db.session.commit()


def _mark_failed(obj, message: str) -> None:
    obj.sync_failed = True
    obj.sync_error = message[:2000]


# The sync job: a planning batch, company chunks, then contact chunks


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
    workspace_id: int, user_id: int | None = None, *, retry_failed: bool = False
) -> Job:
    """Create a sync job with its planning batch (committed, not yet enqueued)."""
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
    job = jobs.create(
        KIND,
        {"retry_failed": retry_failed},
        [jobs.NewBatch(PLAN)],
        workspace_id=workspace_id,
        user_id=user_id,
        title="Airtable sync" + (" (retry failed)" if retry_failed else ""),
    )
    db.session.commit()
    return job


def plan(run: jobs.Run) -> jobs.Result:
    """Cut the pending companies and contacts into chunks of 10, companies first;
    the chunks are sent once the plan is done."""
    job = run.job
    ws = job.workspace_id
    contact_ids = _pending_ids(Contact, ws)
    company_ids = sorted(set(_pending_ids(Company, ws)) | _unlinked_companies(ws))
    seq = jobs.next_seq(job.id)
    chunks = []
    for kind, ids in ((COMPANIES, company_ids), (CONTACTS, contact_ids)):
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            chunks.append(
                jobs.add_batch(job.id, kind=kind, seq=seq, params={"ids": part})
            )
            seq += 1
    db.session.flush()
    return jobs.Done(
        then=tuple((chunk.id, 0.0) for chunk in chunks),
        total=len(company_ids) + len(contact_ids),
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
    _sync_ids(connection(job.workspace_id), batch.kind, job.workspace_id, ids)
    failed = _failed_count(batch.kind, ids)
    return jobs.Done(success=len(ids) - failed, failed=failed)


def _sync_ids(conn: Connection, kind: str, workspace_id: int, ids: list[int]) -> None:
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
        sync_objects(conn, list(objects), read_at=read_at)


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


def _give_up(run: jobs.Run, exc: ProviderError) -> jobs.Result:
    """After the last attempt the chunk's records are marked failed with the error
    (a later sync retries them); the job goes on with the other chunks."""
    model = Company if run.batch.kind == COMPANIES else Contact
    ids = run.params.get("ids", [])
    db.session.execute(
        update(model)
        .where(model.id.in_(ids), sync_filter(model, "pending"))
        .values(sync_failed=True, sync_error=exc.message[:2000])
    )
    failed = _failed_count(run.batch.kind, ids)
    return jobs.Done(success=len(ids) - failed, failed=failed)


# Direct sync of a few contacts (the JSON contact fetch)


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


# Pages: pending, failed, stats by company; the periodic sync


def contacts_in_state(
    workspace_id: int, state: str, *, page: int = 1, per_page: int = 50
) -> tuple[list[Contact], int]:
    """A page of contacts in a sync state (pending, synced, failed) and the total."""
    stmt = select(Contact).where(
        Contact.workspace_id == workspace_id, sync_filter(Contact, state)
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(Contact.updated_at.desc(), Contact.id)
        .offset((max(1, page) - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total or 0


def companies_in_state(workspace_id: int, state: str) -> list[Company]:
    return list(
        db.session.scalars(
            select(Company)
            .where(Company.workspace_id == workspace_id, sync_filter(Company, state))
            .order_by(Company.name)
        )
    )


@dataclass
class CompanyStats:
    company_id: int | None
    name: str
    total: int
    synced: int
    pending: int
    failed: int


def stats_by_company(workspace_id: int) -> list[CompanyStats]:
    """Per company: contacts in total, synced, pending and failed."""

    def count_of(state):
        return func.sum(case((sync_filter(Contact, state), 1), else_=0))

    rows = db.session.execute(
        select(
            Contact.company_id,
            Company.name,
            func.count(Contact.id),
            count_of("synced"),
            count_of("pending"),
            count_of("failed"),
        )
        .outerjoin(Company, Contact.company_id == Company.id)
        .where(Contact.workspace_id == workspace_id)
        .group_by(Contact.company_id, Company.name)
        .order_by(Company.name)
    ).all()
    return [
        CompanyStats(cid, name or "No company", total, s or 0, p or 0, f or 0)
        for cid, name, total, s, p, f in rows
    ]


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


_CHUNK_POLICY = jobs.Policy(
    backoff=jobs.Backoff(base=2.0, cap=300.0),
    errors=jobs.RETRY,
    fatal=(AirtableNotConfigured,),
    give_up=_give_up,
)

jobs.register(
    jobs.JobKind(
        name=KIND,
        label="Airtable sync",
        unit="records",
        batches=(
            jobs.BatchKind(PLAN, plan, jobs.Policy()),
            jobs.BatchKind(COMPANIES, sync_chunk, _CHUNK_POLICY),
            jobs.BatchKind(CONTACTS, sync_chunk, _CHUNK_POLICY),
        ),
        page="contacts.sync_job",
        providers=("airtable",),
    )
)
