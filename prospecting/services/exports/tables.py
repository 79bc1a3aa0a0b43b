"""The exportable tables of the book and of the searches: their columns and rows."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Select
from sqlalchemy import Text
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models import PersonProfile
from prospecting.models import Prospect
from prospecting.services.exports.query import Column
from prospecting.services.exports.query import column
from prospecting.services.exports.query import keyset_rows
from prospecting.services.exports.query import pick

if TYPE_CHECKING:
    from prospecting.services.contacts.query import ContactFilter

Table = tuple[list[str], Iterator[tuple[str | None, ...]]]

CONTACT_COLUMNS = (
    column("id", Contact.id),
    column("name", Contact.name),
    column("email", Contact.email),
    column("phone", Contact.phone),
    column("title", Contact.title),
    column("location", Contact.location),
    column("linkedin_url", Contact.linkedin_url),
    column("company", Company.name),
    column("company_domain", Company.domain),
    column("source", Contact.source),
    # The imported file's other columns, as a JSON object.
    Column("extra", func.nullif(cast(Contact.extra, Text), "{}")),
    column("created_at", Contact.created_at),
    column("updated_at", Contact.updated_at),
)
COMPANY_COLUMNS = (
    column("id", Company.id),
    column("name", Company.name),
    column("domain", Company.domain),
    column("registration_number", Company.registration_number),
    column("created_at", Company.created_at),
    column("updated_at", Company.updated_at),
)
PROFILE_COLUMNS = tuple(
    column(name, getattr(PersonProfile, name))
    for name in (
        "full_name", "job_title", "company_name", "email", "linkedin_url",
        "location", "provider_record_id",
    )
)  # fmt: skip
PROSPECT_COLUMNS = (
    *(
        column(name, getattr(Prospect, name))
        for name in ("name", "title", "company", "location")
    ),
    column("connection_degree", Prospect.connection_degree),
    column("linkedin_url", Prospect.linkedin_url),
    column("provider_id", Prospect.provider_id),
    column("batch", Prospect.batch),
)


def table(base: Select, key, columns: list[Column]) -> Table:
    """The header and text rows of `columns` over `base` (a select of no
    columns yet, its FROM and WHERE set), read in `key` order."""
    stmt = base.add_columns(*(c.expr for c in columns))
    return [c.name for c in columns], keyset_rows(stmt, key)


def contacts(
    workspace_id: int,
    where: "ContactFilter | None" = None,
    *,
    columns: str | None = None,
) -> Table:
    """The contacts the book's filter shows (the whole book by default): the
    filter of the book's page and of the JSON API, so an export holds what the
    page lists."""
    # Imported here: the contacts package imports the services that import this.
    from prospecting.services.contacts.query import ContactFilter
    from prospecting.services.contacts.query import contacts_query

    matching = contacts_query(workspace_id, where or ContactFilter())
    base = (
        select()
        .select_from(Contact)
        .outerjoin(Company, Contact.company_id == Company.id)
        .where(
            Contact.workspace_id == workspace_id,
            Contact.id.in_(matching.with_only_columns(Contact.id).order_by(None)),
        )
    )
    return table(base, Contact.id, pick(CONTACT_COLUMNS, columns))


def companies(
    workspace_id: int, *, q: str | None = None, columns: str | None = None
) -> Table:
    """The workspace's companies, or those whose name or domain holds `q`."""
    base = select().select_from(Company).where(Company.workspace_id == workspace_id)
    if q and q.strip():
        like = f"%{q.strip().lower()}%"
        base = base.where(
            or_(func.lower(Company.name).like(like), Company.domain.like(like))
        )
    return table(base, Company.id, pick(COMPANY_COLUMNS, columns))


def profiles(search_id: str, *, columns: str | None = None) -> Table:
    """A people search's profiles in arrival order."""
    base = select().select_from(PersonProfile)
    base = base.where(PersonProfile.search_id == search_id)
    return table(base, PersonProfile.id, pick(PROFILE_COLUMNS, columns))


def prospects(job_id: str, *, columns: str | None = None) -> Table:
    """A prospect search's prospects in the order they were found."""
    base = select().select_from(Prospect).where(Prospect.job_id == job_id)
    return table(base, Prospect.id, pick(PROSPECT_COLUMNS, columns))
