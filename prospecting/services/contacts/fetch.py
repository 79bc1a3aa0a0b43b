"""The contact fetch by registration number: a company's directors from Attestr
into the contact book, directly or as a one-batch job."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models.base import utcnow
from prospecting.providers import attestr
from prospecting.services import jobs
from prospecting.services.contacts.book import ContactInput
from prospecting.services.contacts.book import UpsertReport
from prospecting.services.contacts.companies import company_by_registration
from prospecting.services.contacts.companies import get_company
from prospecting.services.contacts.normalise import company_name_key
from prospecting.services.contacts.normalise import normalise_registration
from prospecting.services.contacts.upsert import upsert_contacts
from prospecting.services.errors import InvalidInput

KIND_FETCH = "contact_fetch"
FETCH = "contact_fetch.run"


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
    return _store(workspace_id, company, data)


def fetch_by_registration(
    workspace_id: int,
    registration_number: str,
    *,
    crm_record_id: str | None = None,
    max_contacts=None,
) -> FetchReport:
    """Fetch the directors of the company with this CIN/LLPIN into the contact book.

    The provider is asked before any company is written: a CIN it does not know
    (ProviderNotFound) or any other provider error leaves no company behind (an
    empty company named after the CIN would otherwise reach Airtable). A company
    it knows is found or created under its business name, then linked to
    `crm_record_id`.
    """
    reg = normalise_registration(registration_number)
    limit = cap_max_contacts(max_contacts)
    data = attestr.fetch_contacts(reg, max_contacts=limit)
    company = company_by_registration(
        workspace_id, reg, crm_record_id=crm_record_id, name=data.business_name
    )
    return _store(workspace_id, company, data)


def _store(workspace_id: int, company: Company, data) -> FetchReport:
    if data.business_name and company.name in ("", company.registration_number):
        company.name = data.business_name[:255]
        company.name_key = company_name_key(company.name)
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
            source_ref=company.registration_number,
            provider_ids={"din": d.din},
            company_id=company.id,
            role="Director",
        )
        for d in data.contacts
    ]
    report = upsert_contacts(workspace_id, inputs)
    return FetchReport(company=company, fetched=len(inputs), upsert=report)


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
    failed = sum(1 for i in items if i.contact_id is None)
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
