"""Companies, the de-duplicated contact book and the contact fetch by CIN."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError
from email_validator import validate_email
from flask import current_app
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import OperationalError

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models.base import utcnow
from prospecting.providers import attestr
from prospecting.services import jobs
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

KIND_FETCH = "contact_fetch"
FETCH = "contact_fetch.run"
SYNC_STATES = ("pending", "synced", "failed")
CIN = re.compile(r"^[LU]\d{5}[A-Z]{2}\d{4}[A-Z]{3}\d{6}$")
LLPIN = re.compile(r"^[A-Z]{3}-\d{4}$")
# A longer rate limit (Attestr's daily quota) fails the job instead of waiting.
MAX_FETCH_RETRY_WAIT = 600.0
IMPORT_CHUNK = 500
# PostgreSQL deadlock and serialization failure: safe to run the contact again.
RETRYABLE_SQLSTATES = ("40P01", "40001")


# Normalisation


def normalise_registration(value: str | None) -> str:
    """An Indian CIN (21 chars) or LLPIN (AAA-1234), upper-cased; else InvalidInput."""
    reg = re.sub(r"\s+", "", value or "").upper()
    if CIN.match(reg) or LLPIN.match(reg):
        return reg
    raise InvalidInput(
        "Enter a valid CIN (21 characters, e.g. U74999TG2017PTC118280) "
        "or LLPIN (e.g. AAA-1234).",
        code="invalid_registration_number",
    )


def normalise_email(value: str | None) -> str | None:
    """The normalised, lower-case address, or None when it is missing or invalid."""
    if not value or not value.strip():
        return None
    try:
        normalized = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return normalized.normalized.lower()


def normalise_phone(value: str | None, region: str | None = None) -> str | None:
    """The E.164 form of a number (national numbers read in `region`), or None."""
    if not value or not str(value).strip():
        return None
    region = region or current_app.config["DEFAULT_PHONE_REGION"]
    try:
        parsed = phonenumbers.parse(str(value), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_domain(value: str | None) -> str | None:
    """A bare lower-case host name from a domain or URL, or None."""
    raw = (value or "").strip().lower()
    if not raw:
        return None
    host = urlsplit(raw if "//" in raw else f"//{raw}").hostname or ""
    host = host.removeprefix("www.")
    return host if "." in host else None


# Companies


def get_company(workspace_id: int, company_id: int) -> Company:
    """A company of the workspace, or NotFound."""
    company = db.session.get(Company, company_id)
    if company is None or company.workspace_id != workspace_id:
        raise NotFound("No such company.")
    return company


def list_companies(
    workspace_id: int, *, q: str | None = None
) -> list[tuple[Company, int]]:
    """The workspace's companies (optionally matching `q`) with their contact counts."""
    count = (
        select(func.count(Contact.id))
        .where(Contact.company_id == Company.id)
        .scalar_subquery()
    )
    stmt = select(Company, count).where(Company.workspace_id == workspace_id)
    if q and q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Company.name).like(like),
                func.lower(Company.domain).like(like),
                func.lower(Company.registration_number).like(like),
            )
        )
    return [(c, n) for c, n in db.session.execute(stmt.order_by(Company.name))]


def save_company(
    workspace_id: int,
    *,
    name: str,
    domain: str | None = None,
    registration_number: str | None = None,
    company_id: int | None = None,
) -> Company:
    """Create a company, or edit one when `company_id` is given."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("A company needs a name.", code="no_name")
    reg = normalise_registration(registration_number) if registration_number else None
    clean_domain = normalise_domain(domain)
    if domain and domain.strip() and clean_domain is None:
        raise InvalidInput("Enter a domain such as example.com.", code="bad_domain")
    company = (
        get_company(workspace_id, company_id)
        if company_id
        else Company(workspace_id=workspace_id)
    )
    company.name = name[:255]
    company.domain = clean_domain
    company.registration_number = reg
    company.updated_at = utcnow()
    db.session.add(company)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(
            "Another company of this workspace has that registration number or domain.",
            code="duplicate_company",
        ) from exc
    return company


def company_for(
    workspace_id: int,
    *,
    registration_number: str | None = None,
    domain: str | None = None,
    name: str | None = None,
) -> Company | None:
    """The company with this registration number, domain or name; created when missing.

    Safe under concurrency: a unique violation means another writer created it, so
    the lookup runs again. Commits a new company.
    """
    domain = normalise_domain(domain)
    name = (name or "").strip()[:255]
    if not (registration_number or domain or name):
        return None
    for _ in range(3):
        found = _find_company(workspace_id, registration_number, domain, name)
        if found is not None:
            return found
        company = Company(
            workspace_id=workspace_id,
            name=name or registration_number or domain,
            domain=domain,
            registration_number=registration_number,
        )
        db.session.add(company)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        return company
    raise Conflict("The company could not be saved; try again.", code="busy")


def _find_company(workspace_id, reg, domain, name) -> Company | None:
    base = select(Company).where(Company.workspace_id == workspace_id)
    if reg:
        return db.session.scalar(base.where(Company.registration_number == reg))
    if domain:
        return db.session.scalar(base.where(Company.domain == domain))
    return db.session.scalar(
        base.where(func.lower(Company.name) == name.lower()).order_by(Company.id)
    )


# The contact book


@dataclass
class ContactInput:
    """One contact to add to the book; email and phone are normalised on the way in."""

    name: str = ""
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    location: str | None = None
    linkedin_url: str | None = None
    addresses: list = field(default_factory=list)
    source: str = "manual"
    provider_ids: dict = field(default_factory=dict)
    company_id: int | None = None
    phone_region: str | None = None


@dataclass
class UpsertItem:
    index: int
    status: str  # created | updated | skipped
    name: str
    email: str | None
    phone: str | None
    matched_on: str | None = None  # email | phone
    contact_id: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class UpsertReport:
    items: list[UpsertItem] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    def extend(self, other: "UpsertReport") -> None:
        self.items.extend(other.items)


FILLABLE = ("name", "title", "location", "linkedin_url", "company_id")


def upsert_contacts(workspace_id: int, inputs: Iterable[ContactInput]) -> UpsertReport:
    """Create or update contacts, matched on normalised email then phone.

    Updates only fill empty fields, never blank a known value. Each contact is its
    own short transaction, so concurrent imports never wait on each other's whole
    list: when another writer inserts the same email or phone first, the unique
    index refuses ours and the contact is matched again and updated.
    """
    report = UpsertReport()
    for index, data in enumerate(inputs):
        report.items.append(_upsert_one(workspace_id, index, data))
    return report


def _upsert_one(workspace_id: int, index: int, data: ContactInput) -> UpsertItem:
    email = normalise_email(data.email)
    phone = normalise_phone(data.phone, data.phone_region)
    if not email and not phone:
        item = UpsertItem(index, "skipped", (data.name or "").strip(), None, None)
        item.reason = "No valid email or phone number to identify the contact."
        return item
    for _ in range(4):
        item = UpsertItem(index, "skipped", (data.name or "").strip(), email, phone)
        try:
            _apply(workspace_id, data, item)
            db.session.commit()
            return item
        except IntegrityError:
            db.session.rollback()  # another writer took this email or phone
        except OperationalError as exc:
            db.session.rollback()
            if getattr(exc.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise
    raise Conflict("The contact book is busy; try again.", code="busy")


def _apply(workspace_id: int, data: ContactInput, item: UpsertItem) -> UpsertItem:
    by_email = _find_contact(workspace_id, Contact.email, item.email)
    by_phone = _find_contact(workspace_id, Contact.phone, item.phone)
    contact = by_email or by_phone
    if contact is None:
        contact = Contact(
            workspace_id=workspace_id,
            email=item.email,
            phone=item.phone,
            source=data.source,
            addresses=list(data.addresses or []),
            provider_ids={k: v for k, v in (data.provider_ids or {}).items() if v},
            **{f: _clean(getattr(data, f)) for f in FILLABLE},
        )
        contact.name = contact.name or ""
        db.session.add(contact)
        db.session.flush()
        item.status, item.contact_id = "created", contact.id
        return item
    item.matched_on = "email" if by_email else "phone"
    item.contact_id = contact.id
    changed = _fill(contact, data, item)
    if by_email and by_phone and by_email is not by_phone:
        item.reason = f"The phone number belongs to contact #{by_phone.id}."
    if changed:
        contact.updated_at = utcnow()
        contact.sync_failed, contact.sync_error = False, None
        db.session.flush()
        item.status = "updated"
    else:
        item.status = "skipped"
        item.reason = item.reason or "Already in the contact book; nothing new."
    return item


def _fill(contact: Contact, data: ContactInput, item: UpsertItem) -> bool:
    changed = False
    if contact.email is None and item.email and item.matched_on != "email":
        if _find_contact(contact.workspace_id, Contact.email, item.email) is None:
            contact.email, changed = item.email, True
    if contact.phone is None and item.phone:
        if _find_contact(contact.workspace_id, Contact.phone, item.phone) is None:
            contact.phone, changed = item.phone, True
    for name in FILLABLE:
        value = _clean(getattr(data, name))
        if value and not getattr(contact, name):
            setattr(contact, name, value)
            changed = True
    if data.addresses and not contact.addresses:
        contact.addresses, changed = list(data.addresses), True
    ids = dict(contact.provider_ids or {})
    for key, value in (data.provider_ids or {}).items():
        if value and not ids.get(key):
            ids[key], changed = value, True
    contact.provider_ids = ids
    return changed


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value[:255] if value else None
    return value


def _find_contact(workspace_id: int, column, value) -> Contact | None:
    if not value:
        return None
    return db.session.scalar(
        select(Contact).where(Contact.workspace_id == workspace_id, column == value)
    )


def get_contact(workspace_id: int, contact_id: int) -> Contact:
    """A contact of the workspace, or NotFound."""
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.workspace_id != workspace_id:
        raise NotFound("No such contact.")
    return contact


def sync_filter(model, state: str):
    """The SQL condition for a sync state: pending, synced or failed."""
    if state == "failed":
        return model.sync_failed
    pending = model.synced_at.is_(None) | (model.updated_at > model.synced_at)
    if state == "pending":
        return ~model.sync_failed & pending
    return ~model.sync_failed & ~pending


def search_contacts(
    workspace_id: int,
    *,
    q: str | None = None,
    company_id: int | None = None,
    sync: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Contact], int]:
    """A page of the contact book matching a search and filters, and the total."""
    stmt = select(Contact).where(Contact.workspace_id == workspace_id)
    if q and q.strip():
        like = f"%{q.strip().lower()}%"
        terms = [
            func.lower(Contact.name).like(like),
            Contact.email.like(like),
            func.lower(Company.name).like(like),
        ]
        digits = re.sub(r"\D", "", q)
        if digits:
            terms.append(Contact.phone.like(f"%{digits}%"))
        stmt = stmt.outerjoin(Company, Contact.company_id == Company.id).where(
            or_(*terms)
        )
    if company_id:
        stmt = stmt.where(Contact.company_id == company_id)
    if sync in SYNC_STATES:
        stmt = stmt.where(sync_filter(Contact, sync))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(Contact.name, Contact.id)
        .offset((max(1, page) - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total or 0


def update_contact(
    workspace_id: int,
    contact_id: int,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    title: str | None = None,
    location: str | None = None,
    company_id: int | None = None,
) -> Contact:
    """Save a user's edit of a contact (values may be cleared); keys stay unique."""
    contact = get_contact(workspace_id, contact_id)
    clean_email = normalise_email(email)
    if email and email.strip() and clean_email is None:
        raise InvalidInput("Enter a valid email address.", code="bad_email")
    clean_phone = normalise_phone(phone)
    if phone and phone.strip() and clean_phone is None:
        raise InvalidInput(
            "Enter a valid phone number (with its country code, e.g. +91 98888 99999).",
            code="bad_phone",
        )
    if not clean_email and not clean_phone:
        raise InvalidInput("A contact needs an email or a phone number.", code="no_key")
    if company_id:
        get_company(workspace_id, company_id)
    for column, value, label in (
        (Contact.email, clean_email, "email"),
        (Contact.phone, clean_phone, "phone number"),
    ):
        other = _find_contact(workspace_id, column, value)
        if other is not None and other.id != contact.id:
            raise InvalidInput(
                f"Contact #{other.id} ({other.name or value}) already has this "
                f"{label}.",
                code="duplicate",
            )
    contact.name = (name or "").strip()[:255]
    contact.email, contact.phone = clean_email, clean_phone
    contact.title = _clean(title)
    contact.location = _clean(location)
    contact.company_id = company_id or None
    contact.updated_at = utcnow()
    contact.sync_failed, contact.sync_error = False, None
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise InvalidInput(
            "Another contact already has this email or phone number.", code="duplicate"
        ) from exc
    return contact


# Adding results of other areas


def import_enrichment(workspace_id: int, job_id: str) -> UpsertReport:
    """Add the successful rows of an enrichment job to the contact book."""
    job = jobs.get(workspace_id, job_id, kind="enrichment")
    report, after, companies = UpsertReport(), 0, {}
    while True:
        rows = db.session.scalars(
            select(EnrichmentRow)
            .where(
                EnrichmentRow.job_id == job.id,
                EnrichmentRow.status == "success",
                EnrichmentRow.row_number > after,
            )
            .order_by(EnrichmentRow.row_number)
            .limit(IMPORT_CHUNK)
        ).all()
        if not rows:
            return report
        after = rows[-1].row_number
        inputs = [_enrichment_input(workspace_id, row, companies) for row in rows]
        report.extend(upsert_contacts(workspace_id, inputs))


def _enrichment_input(workspace_id: int, row: EnrichmentRow, companies: dict):
    domain, name = row.company_domain, row.company_name or row.company or None
    key = domain or (name or "").lower()
    if key and key not in companies:
        company = company_for(workspace_id, domain=domain, name=name)
        companies[key] = company.id if company else None
    return ContactInput(
        name=row.name,
        email=row.email_normalized or row.email,
        phone=row.phone_e164 or row.phone,
        location=row.location,
        source="enrichment",
        company_id=companies.get(key),
    )


def import_people_search(workspace_id: int, search_id: str) -> UpsertReport:
    """Add the people found by a people search to the contact book."""
    from prospecting.models import PersonProfile

    job = jobs.get(workspace_id, search_id, kind="people_search")
    report, after, companies = UpsertReport(), 0, {}
    while True:
        rows = db.session.scalars(
            select(PersonProfile)
            .where(PersonProfile.search_id == job.id, PersonProfile.id > after)
            .order_by(PersonProfile.id)
            .limit(IMPORT_CHUNK)
        ).all()
        if not rows:
            return report
        after = rows[-1].id
        inputs = []
        for row in rows:
            key = (row.company_name or "").strip().lower()
            if key and key not in companies:
                company = company_for(workspace_id, name=row.company_name)
                companies[key] = company.id if company else None
            inputs.append(
                ContactInput(
                    name=row.full_name,
                    email=row.email,
                    title=row.job_title,
                    location=row.location,
                    linkedin_url=row.linkedin_url,
                    source="people_search",
                    provider_ids={"reachstream": row.provider_record_id},
                    company_id=companies.get(key),
                )
            )
        report.extend(upsert_contacts(workspace_id, inputs))


# Contact fetch by registration number


def cap_max_contacts(value) -> int:
    """How many contacts to keep: a positive integer capped by ATTESTR_MAX_CONTACTS."""
    cap = current_app.config["ATTESTR_MAX_CONTACTS"]
    if value is None or value == "":
        return cap
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        number = 0
    if number < 1:
        raise InvalidInput(
            "max_contacts must be a positive whole number.", code="bad_max_contacts"
        )
    return min(number, cap)


@dataclass
class FetchReport:
    company: Company
    fetched: int
    upsert: UpsertReport


def fetch_contacts(
    workspace_id: int, company_id: int, *, max_contacts: int | None = None
) -> FetchReport:
    """Fetch a company's directors by its registration number into the contact book."""
    company = get_company(workspace_id, company_id)
    if not company.registration_number:
        raise InvalidInput(
            "Add the company's CIN or LLPIN before fetching its contacts.",
            code="no_registration_number",
        )
    data = attestr.fetch_contacts(
        company.registration_number, max_contacts=cap_max_contacts(max_contacts)
    )
    if data.business_name and company.name in ("", company.registration_number):
        company.name = data.business_name[:255]
        company.updated_at = utcnow()
        db.session.commit()
    region = current_app.config["ATTESTR_PHONE_REGION"]
    inputs = [
        ContactInput(
            name=d.name,
            email=d.email,
            phone=d.mobile,
            phone_region=region,
            addresses=d.addresses,
            location=_location(d.addresses),
            source="attestr",
            provider_ids={"din": d.din},
            company_id=company.id,
        )
        for d in data.contacts
    ]
    report = upsert_contacts(workspace_id, inputs)
    return FetchReport(company=company, fetched=len(inputs), upsert=report)


def company_by_registration(
    workspace_id: int, registration_number: str, *, crm_record_id: str | None = None
) -> Company:
    """The workspace's company with this CIN/LLPIN (created when missing); commits."""
    reg = normalise_registration(registration_number)
    company = company_for(workspace_id, registration_number=reg, name=reg)
    if crm_record_id and company.crm_record_id != crm_record_id:
        company.crm_record_id = crm_record_id
    db.session.commit()
    return company


def _location(addresses: list[dict]) -> str | None:
    for address in addresses:
        parts = [address.get(k) for k in ("city", "state", "country")]
        text = ", ".join(p for p in parts if p)
        if text:
            return text
    return None


def start_fetch(
    workspace_id: int,
    user_id: int | None,
    company_id: int,
    *,
    max_contacts=None,
) -> Job:
    """Create a contact fetch job and its one batch (committed, not yet enqueued)."""
    company = get_company(workspace_id, company_id)
    if not company.registration_number:
        raise InvalidInput(
            "Add the company's CIN or LLPIN before fetching its contacts.",
            code="no_registration_number",
        )
    job = jobs.create(
        KIND_FETCH,
        {
            "company_id": company.id,
            "registration_number": company.registration_number,
            "max_contacts": cap_max_contacts(max_contacts),
        },
        [jobs.NewBatch(FETCH)],
        workspace_id=workspace_id,
        user_id=user_id,
        title=f"Contacts of {company.name}",
    )
    db.session.commit()
    return job


def run_fetch(run: jobs.Run) -> jobs.Result:
    """Run a contact fetch batch: call Attestr, upsert, keep the outcome per contact."""
    job = run.job
    report = fetch_contacts(
        job.workspace_id,
        job.params["company_id"],
        max_contacts=job.params.get("max_contacts"),
    )
    items = report.upsert.items
    failed = sum(1 for i in items if i.status == "skipped" and i.contact_id is None)
    return jobs.Done(
        success=len(items) - failed,
        failed=failed,
        params={"outcomes": [i.to_dict() for i in items]},
        total=len(items),
    )


def fetch_outcomes(job: Job) -> list[dict]:
    """The per-contact outcomes a finished contact fetch job recorded."""
    params = db.session.scalar(
        select(JobBatch.params).where(JobBatch.job_id == job.id, JobBatch.seq == 0)
    )
    return list((params or {}).get("outcomes", []))


def rerun_fetch(job: Job, user_id: int | None) -> Job:
    """A new fetch of the same company with the same limit and cap (commits)."""
    new = start_fetch(
        job.workspace_id,
        user_id,
        job.params["company_id"],
        max_contacts=job.params.get("max_contacts"),
    )
    if "cost_cap" in job.params:
        new.params = {**new.params, "cost_cap": job.params["cost_cap"]}
        db.session.commit()
    return new


jobs.register(
    jobs.JobKind(
        name=KIND_FETCH,
        label="Contact fetch",
        unit="contacts",
        batches=(
            jobs.BatchKind(
                FETCH,
                run_fetch,
                jobs.Policy(
                    rate_limit_max_wait=MAX_FETCH_RETRY_WAIT,
                    backoff=jobs.Backoff(base=2.0, cap=300.0),
                ),
            ),
        ),
        page="contacts.fetch_job",
        headline="contacts/_fetch_headline.html",
        providers=("attestr",),
        rerun=rerun_fetch,
    )
)
