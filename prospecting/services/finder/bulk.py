"""The email finder as a bulk action: prospects, profiles or contacts without an
email, as a job with an estimate. Found addresses go to the contact book."""

from dataclasses import dataclass

from sqlalchemy import or_
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import Job
from prospecting.models import PeopleSearch
from prospecting.models import PersonProfile
from prospecting.models import Prospect
from prospecting.models.base import utcnow
from prospecting.services import jobs
from prospecting.services import ledger
from prospecting.services.contacts.book import ContactInput
from prospecting.services.contacts.upsert import upsert_contacts
from prospecting.services.errors import InvalidInput
from prospecting.services.finder import waterfall
from prospecting.services.finder.lookup import KIND
from prospecting.services.finder.lookup import clean_domain
from prospecting.services.finder.lookup import find_email
from prospecting.services.finder.settings import provider_order
from prospecting.services.jobs.lifecycle import NewBatch

ROWS = "email_finder.rows"
SOURCES = ("prospects", "profiles", "contacts")
BATCH_SIZE = 25
# Candidates the pattern finder is expected to verify per person (estimate).
EXPECTED_CANDIDATES = 2.0
PATTERN_MISS_RATE = 0.3


@dataclass
class Person:
    id: int
    name: str
    company: str | None
    domain: str | None


def people_without_email(workspace_id: int, source: str, scope: str | None = None):
    """The people of a source that have no email and a company to search at.

    `scope` narrows prospects to one prospect job and profiles to one search.
    """
    if source == "contacts":
        rows = db.session.execute(
            select(Contact)
            .where(Contact.workspace_id == workspace_id)
            .where(or_(Contact.email.is_(None), Contact.email == ""))
            .where(Contact.company_id.is_not(None))
            .order_by(Contact.id)
        ).scalars()
        return [
            Person(c.id, c.name, c.company.name, c.company.domain)
            for c in rows
            if c.name and (c.company.domain or c.company.name)
        ]
    if source == "prospects":
        query = (
            select(Prospect)
            .join(Job, Job.id == Prospect.job_id)
            .where(Job.workspace_id == workspace_id)
            .where(Prospect.company.is_not(None))
        )
        if scope:
            query = query.where(Prospect.job_id == scope)
        return [
            Person(p.id, p.name, p.company, None)
            for p in db.session.scalars(query.order_by(Prospect.id))
            if p.name and p.company
        ]
    if source == "profiles":
        query = (
            select(PersonProfile)
            .join(PeopleSearch, PeopleSearch.id == PersonProfile.search_id)
            .where(PeopleSearch.workspace_id == workspace_id)
            .where(PersonProfile.email == "")
            .where(PersonProfile.company_name != "")
        )
        if scope:
            query = query.where(PersonProfile.search_id == scope)
        return [
            Person(p.id, p.full_name, p.company_name, None)
            for p in db.session.scalars(query.order_by(PersonProfile.id))
            if p.full_name
        ]
    raise InvalidInput(f"Unknown source {source!r}.", code="bad_source")


def estimate(workspace_id: int, people: list[Person]) -> ledger.Estimate:
    """Expected cost: each person's candidates down the verification waterfall,
    then the finding providers after the patterns for the share they miss."""
    verify_order = provider_order(workspace_id, "email_verification")
    lines = []
    checks = round(len(people) * EXPECTED_CANDIDATES)
    for adapter, calls in waterfall.expected_calls(
        "email_verification", verify_order, checks
    ):
        lines.append(
            (f"Verifications ({adapter.label})", adapter.provider, adapter.endpoint,
             round(calls), 0)
        )  # fmt: skip
    finding = [
        n for n in provider_order(workspace_id, "email_finding") if n != "patterns"
    ]
    # Only the share the patterns miss reaches the finding providers.
    misses = len(people) * PATTERN_MISS_RATE
    for adapter, calls in waterfall.expected_calls(
        "email_finding", finding, round(misses)
    ):
        lines.append(
            (f"Searches ({adapter.label})", adapter.provider, adapter.endpoint,
             round(calls), 0)
        )  # fmt: skip
    return ledger.estimate(lines)


def start(
    workspace_id: int, user_id: int | None, source: str, scope: str | None = None
) -> Job:
    """A finder job over a source's people without an email (committed)."""
    people = people_without_email(workspace_id, source, scope)
    if not people:
        raise InvalidInput(
            "Nobody there lacks an email and has a company to search at.",
            code="nobody",
        )
    ids = [p.id for p in people]
    batches = [
        NewBatch(ROWS, params={"source": source, "ids": ids[i : i + BATCH_SIZE]})
        for i in range(0, len(ids), BATCH_SIZE)
    ]
    job = jobs.create(
        KIND,
        {"source": source, "scope": scope},
        batches,
        workspace_id=workspace_id,
        user_id=user_id,
        title=f"Find the emails of {len(ids)} {source}",
        total=len(ids),
    )
    db.session.commit()
    return job


def work(run: jobs.Run) -> jobs.Result:
    """Find the emails of a batch's people; a found address joins the book."""
    source = run.batch.params["source"]
    workspace_id = run.job.workspace_id
    wanted = set(run.batch.params["ids"])
    people = [p for p in people_without_email(workspace_id, source) if p.id in wanted]
    outcomes = []
    for person in run.each(people):
        try:
            result = find_email(
                workspace_id,
                full_name=person.name,
                domain=clean_domain(person.domain),
                company=person.company,
            )
        except InvalidInput as exc:
            outcomes.append({"id": person.id, "name": person.name,
                             "email": None, "verdict": "skipped",
                             "reason": exc.message})  # fmt: skip
            continue
        if result.email:
            _keep(workspace_id, source, person, result)
        outcomes.append({"id": person.id, "name": person.name, **result.to_dict()})
        run.extend()
        db.session.commit()
    success = sum(1 for o in outcomes if o.get("email"))
    return jobs.Done(
        success=success,
        failed=len(wanted) - success,
        params={**run.batch.params, "outcomes": outcomes},
    )


def _keep(workspace_id: int, source: str, person: Person, result) -> None:
    provenance = {**(result.provenance or {}), "verdict": result.verdict}
    now = utcnow()
    if source == "contacts":
        contact = db.session.get(Contact, person.id)
        taken = db.session.scalar(
            select(Contact.id).where(
                Contact.workspace_id == workspace_id, Contact.email == result.email
            )
        )
        if taken is None:
            contact.email = result.email
            contact.email_verdict, contact.email_verified_at = result.verdict, now
            contact.email_provenance, contact.updated_at = provenance, now
        return
    if source == "profiles":
        db.session.get(PersonProfile, person.id).email = result.email
    report = upsert_contacts(
        workspace_id,
        [ContactInput(name=person.name, email=result.email, source="email_finder")],
    )
    for item in report.items:
        if item.contact_id:
            contact = db.session.get(Contact, item.contact_id)
            contact.email_verdict, contact.email_verified_at = result.verdict, now
            contact.email_provenance = provenance


def outcomes(job: Job) -> list[dict]:
    """Every person's outcome the job's batches recorded."""
    from prospecting.models import JobBatch

    rows = db.session.scalars(
        select(JobBatch.params).where(JobBatch.job_id == job.id).order_by(JobBatch.seq)
    )
    return [o for params in rows for o in (params or {}).get("outcomes", [])]
