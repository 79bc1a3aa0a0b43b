"""The rows of one batch of an import, read from its source (an enrichment
job's processed rows, a people search's profiles, a prospect search's
prospects, or the CSV rows the batch carries) as the book's ContactInputs."""

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import PersonProfile
from prospecting.models import Prospect
from prospecting.services import csvfiles
from prospecting.services.contacts.book import ContactInput


def batch_inputs(job: Job, params: dict, company) -> tuple[list[ContactInput], list]:
    """The batch's rows as ContactInputs, and each one's row for the kept-out CSV
    (row, name, email, phone, linkedin_url)."""
    source, ref = job.params["source"], job.params.get("source_job_id") or job.id
    inputs, originals = [], []
    if source == "enrichment":
        e = EnrichmentRow
        rows = db.session.execute(
            select(
                e.row_number,
                e.name,
                e.email,
                e.email_normalized,
                e.email_verdict,
                e.email_flags,
                e.processed_at,
                e.phone,
                e.phone_e164,
                e.location,
                e.company,
                e.company_name,
                e.company_domain,
                e.data,
            )
            .where(
                EnrichmentRow.job_id == ref,
                EnrichmentRow.row_number.between(params["first"], params["last"]),
                EnrichmentRow.status.in_(("success", "failed")),
                *_only(EnrichmentRow.row_number, params),
            )
            .order_by(EnrichmentRow.row_number)
        )
        rows = rows.all()
        company.preload([(r.company_name or r.company, r.company_domain) for r in rows])
        mapped = _BookColumns(db.session.get(Job, ref))
        for row in rows:
            person = mapped(row.data)
            email = row.email_normalized or (row.email or "").strip() or None
            verdict = row.email_verdict
            if email and verdict is None:
                verdict = "unknown"  # its verification failed: not known deliverable
            inputs.append(
                ContactInput(
                    name=row.name or "",
                    email=email,
                    email_verdict=verdict,
                    email_flags=row.email_flags or [],
                    verified_at=row.processed_at if row.email_verdict else None,
                    phone=row.phone_e164,
                    # the worker normalised the address and number already
                    normalised=bool(row.email_normalized or not email),
                    title=person.get("title") or None,
                    linkedin_url=person.get("linkedin_url") or None,
                    location=person.get("location") or row.location,
                    extra=person.get("extra") or {},
                    source="enrichment",
                    source_ref=ref,
                    company_id=company(
                        row.company_name or row.company, row.company_domain
                    ),
                )
            )
            originals.append([row.row_number, row.name, row.email, row.phone, None])
    elif source == "people_search":
        p = PersonProfile
        rows = db.session.execute(
            select(
                p.id,
                p.full_name,
                p.email,
                p.job_title,
                p.location,
                p.linkedin_url,
                p.provider_record_id,
                p.company_name,
            )
            .where(
                PersonProfile.search_id == ref,
                PersonProfile.id.between(params["first"], params["last"]),
                *_only(PersonProfile.id, params),
            )
            .order_by(PersonProfile.id)
        )
        rows = rows.all()
        company.preload([(r.company_name, None) for r in rows])
        for row in rows:
            inputs.append(
                ContactInput(
                    name=row.full_name,
                    email=row.email,
                    title=row.job_title,
                    location=row.location,
                    linkedin_url=row.linkedin_url,
                    source="people_search",
                    source_ref=ref,
                    provider_ids={"reachstream": row.provider_record_id},
                    company_id=company(row.company_name),
                )
            )
            originals.append(
                [row.id, row.full_name, row.email, None, row.linkedin_url or None]
            )
    elif source == "prospects":
        rows = db.session.execute(
            select(
                Prospect.id,
                Prospect.name,
                Prospect.title,
                Prospect.location,
                Prospect.linkedin_url,
                Prospect.provider_id,
                Prospect.company,
            )
            .where(
                Prospect.job_id == ref,
                Prospect.id.between(params["first"], params["last"]),
                *_only(Prospect.id, params),
            )
            .order_by(Prospect.id)
        )
        rows = rows.all()
        company.preload([(r.company, None) for r in rows])
        for row in rows:
            inputs.append(
                ContactInput(
                    name=row.name,
                    title=row.title,
                    location=row.location,
                    linkedin_url=row.linkedin_url,
                    source="prospects",
                    source_ref=ref,
                    provider_ids={"linkedin": row.provider_id},
                    company_id=company(row.company),
                )
            )
            originals.append([row.id, row.name, None, None, row.linkedin_url])
    else:
        company.preload(
            [(r.get("company"), r.get("website")) for r in params.get("rows", [])]
        )
        for n, row in enumerate(params.get("rows", [])):
            inputs.append(
                ContactInput(
                    name=row.get("name") or "",
                    email=row.get("email"),
                    phone=row.get("phone"),
                    title=row.get("title"),
                    location=row.get("location"),
                    linkedin_url=row.get("linkedin_url"),
                    source="csv",
                    source_ref=job.id,
                    extra=row.get("extra") or {},
                    company_id=company(row.get("company"), row.get("website")),
                )
            )
            originals.append(
                [
                    params.get("offset", 0) + n + 2,  # the file's line
                    row.get("name"),
                    row.get("email"),
                    row.get("phone"),
                    row.get("linkedin_url"),
                ]
            )
    return inputs, originals


def _only(column, params: dict) -> tuple:
    """The batch's keys when the import takes a subset of its range."""
    return (column.in_(params["keys"]),) if "keys" in params else ()


class _BookColumns:
    """A source enrichment job's row data as the book fields its mapping names
    but the worker does not enrich (title, LinkedIn URL, location) and its
    unmapped columns (`extra`)."""

    def __init__(self, source: Job | None):
        params = (source.params or {}) if source else {}
        self.headers = params.get("headers") or []
        self.mapping = params.get("mapping") or {}

    def __call__(self, data) -> dict:
        if not self.headers or not isinstance(data, list):
            return {}
        record = csvfiles.as_record(self.headers, [str(v) for v in data])
        return csvfiles.apply_book_mapping(record, self.mapping)
