"""The workspace's companies: lookup, listing, editing and find-or-create."""

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models import ContactCompany
from prospecting.models.base import utcnow
from prospecting.services.contacts.normalise import company_name_key
from prospecting.services.contacts.normalise import normalise_domain
from prospecting.services.contacts.normalise import normalise_registration
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound


def get_company(workspace_id: int, company_id: int) -> Company:
    """A company of the workspace, or NotFound."""
    company = db.session.get(Company, company_id)
    if company is None or company.workspace_id != workspace_id:
        raise NotFound("No such company.")
    return company


# How many companies a form's company menu offers at once (more: a search).
CHOICES = 50


def company_choices(
    workspace_id: int, *, q: str | None = None, keep: int | None = None
) -> list[Company]:
    """The companies a form's company menu offers: the first CHOICES by name
    (those matching `q` by name or domain), and the chosen one (`keep`) wherever
    it falls. No contact counts: it costs the same with ten companies or ten
    thousand."""
    stmt = select(Company).where(Company.workspace_id == workspace_id)
    if q and q.strip():
        # ILIKE on the plain column: PostgreSQL's trigram index on the name serves it.
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Company.name.ilike(like), Company.domain.ilike(like)))
    found = list(
        db.session.scalars(stmt.order_by(Company.name, Company.id).limit(CHOICES))
    )
    if keep and all(c.id != keep for c in found):
        kept = db.session.get(Company, keep)
        if kept is not None and kept.workspace_id == workspace_id:
            found.insert(0, kept)
    return found


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
    company.name_key = company_name_key(name)
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
        label = name or registration_number or domain
        company = Company(
            workspace_id=workspace_id,
            name=label,
            name_key=company_name_key(name) if name else None,
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
    """By registration number, else by domain, else by normalised name; a company
    found by its name takes on a domain it lacked rather than being duplicated."""
    base = select(Company).where(Company.workspace_id == workspace_id)
    if reg:
        return db.session.scalar(base.where(Company.registration_number == reg))
    if domain:
        found = db.session.scalar(base.where(Company.domain == domain))
        if found is not None:
            return found
    key = company_name_key(name)
    if not key:
        return None
    found = db.session.scalar(
        base.where(Company.name_key == key).order_by(Company.id).limit(1)
    )
    if found is not None and domain:
        if found.domain and found.domain != domain:
            return None  # same name, another domain: another company
        found.domain = domain
        found.updated_at = utcnow()
        db.session.commit()
    return found


def company_by_registration(
    workspace_id: int,
    registration_number: str,
    *,
    crm_record_id: str | None = None,
    name: str | None = None,
) -> Company:
    """The workspace's company with this CIN/LLPIN (created when missing, named
    `name` or else after the CIN); commits."""
    reg = normalise_registration(registration_number)
    company = company_for(workspace_id, registration_number=reg, name=name or reg)
    if crm_record_id and company.crm_record_id != crm_record_id:
        company.crm_record_id = crm_record_id
    db.session.commit()
    return company


def page_companies(
    workspace_id: int, *, q: str | None = None, page: int = 1, per_page: int = 50
) -> tuple[list[tuple[Company, int]], int]:
    """A page of the workspace's companies (matching `q`, by name) with how many
    contacts each is linked to, and the total."""
    count = (
        select(func.count())
        .select_from(ContactCompany)
        .where(ContactCompany.company_id == Company.id)
        .scalar_subquery()
    )
    stmt = select(Company).where(Company.workspace_id == workspace_id)
    if q and q.strip():
        # ILIKE on the plain column: PostgreSQL's trigram index on the name serves it.
        like = f"%{q.strip()}%"
        stmt = stmt.where(
            or_(
                Company.name.ilike(like),
                Company.domain.ilike(like),
                Company.registration_number.ilike(like),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(
        stmt.add_columns(count)
        .order_by(Company.name, Company.id)
        .offset((max(1, page) - 1) * per_page)
        .limit(per_page)
    ).all()
    return [(c, n) for c, n in rows], total or 0


def company_contacts(company: Company) -> list[tuple[Contact, str | None]]:
    """The contacts linked to a company, each with its role there."""
    rows = db.session.execute(
        select(Contact, ContactCompany.role)
        .join(ContactCompany, ContactCompany.contact_id == Contact.id)
        .where(ContactCompany.company_id == company.id)
        .order_by(Contact.name, Contact.id)
    ).all()
    return [(c, role) for c, role in rows]
