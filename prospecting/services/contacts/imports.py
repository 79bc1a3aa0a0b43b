"""Adding the results of other areas to the contact book: the successful rows of
an enrichment job and the people found by a people search."""

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import EnrichmentRow
from prospecting.services import jobs
from prospecting.services.contacts.book import ContactInput
from prospecting.services.contacts.book import UpsertReport
from prospecting.services.contacts.companies import company_for
from prospecting.services.contacts.upsert import upsert_contacts

IMPORT_CHUNK = 500


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
