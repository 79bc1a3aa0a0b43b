"""The contact book's list: one filter for the HTML book, the JSON API and exports."""

import re
from dataclasses import dataclass

from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models import ContactCompany
from prospecting.models import ContactEmail
from prospecting.models import ContactList
from prospecting.models import ContactSource
from prospecting.models import ContactTag
from prospecting.models import ListMember
from prospecting.services.contacts.sync_state import SYNC_STATES
from prospecting.services.contacts.sync_state import sync_filter
from prospecting.services.errors import InvalidInput

# Verdicts an email can be filtered on; "unverified" is an email never verified.
VERDICTS = ("valid", "risky", "invalid", "unknown", "unverified")
SORTS = {
    "name": (Contact.name, Contact.id),
    "-name": (Contact.name.desc(), Contact.id.desc()),
    "created": (Contact.created_at, Contact.id),
    "-created": (Contact.created_at.desc(), Contact.id.desc()),
    "updated": (Contact.updated_at, Contact.id),
    "-updated": (Contact.updated_at.desc(), Contact.id.desc()),
    "email": (Contact.email, Contact.id),
    "-email": (Contact.email.desc(), Contact.id.desc()),
}


@dataclass
class ContactFilter:
    """What a list of the book is narrowed to; every field optional."""

    q: str | None = None
    verdict: str | None = None
    company_id: int | None = None
    source: str | None = None
    sync: str | None = None
    sort: str = "name"
    # Lists and tags: a list's members (a smart list: its saved filter), a tag,
    # and the people whose address went bad at re-verification.
    list_id: int | None = None
    tag: str | None = None
    went_bad: bool = False

    def check(self) -> "ContactFilter":
        """InvalidInput naming the field when a value is not one we know."""
        if self.verdict and self.verdict not in VERDICTS:
            raise InvalidInput(
                f"verdict must be one of {', '.join(VERDICTS)}.", code="bad_verdict"
            )
        if self.sort not in SORTS:
            raise InvalidInput(
                f"sort must be one of {', '.join(SORTS)}.", code="bad_sort"
            )
        if self.sync and self.sync not in SYNC_STATES:
            raise InvalidInput(
                f"sync must be one of {', '.join(SYNC_STATES)}.", code="bad_sync"
            )
        return self


def contacts_query(workspace_id: int, where: ContactFilter):
    """The SELECT of the workspace's contacts matching the filter, sorted."""
    stmt = select(Contact).where(Contact.workspace_id == workspace_id)
    q = (where.q or "").strip()
    if q:
        like = f"%{q.lower()}%"
        terms = [
            func.lower(Contact.name).like(like),
            Contact.email.like(like),
            exists().where(
                ContactEmail.contact_id == Contact.id, ContactEmail.email.like(like)
            ),
            exists().where(
                Company.id == Contact.company_id, func.lower(Company.name).like(like)
            ),
        ]
        digits = re.sub(r"\D", "", q)
        if digits:
            terms.append(Contact.phone.like(f"%{digits}%"))
        stmt = stmt.where(or_(*terms))
    if where.verdict:
        verdict = (
            ContactEmail.verdict.is_(None)
            if where.verdict == "unverified"
            else ContactEmail.verdict == where.verdict
        )
        stmt = stmt.where(
            exists().where(ContactEmail.contact_id == Contact.id, verdict)
        )
    if where.company_id:
        stmt = stmt.where(
            or_(
                Contact.company_id == where.company_id,
                exists().where(
                    ContactCompany.contact_id == Contact.id,
                    ContactCompany.company_id == where.company_id,
                ),
            )
        )
    if where.source:
        stmt = stmt.where(
            exists().where(
                ContactSource.contact_id == Contact.id,
                ContactSource.source == where.source,
            )
        )
    if where.sync in SYNC_STATES:
        stmt = stmt.where(sync_filter(Contact, where.sync))
    stmt = _lists_and_tags(stmt, workspace_id, where)
    return stmt.order_by(*SORTS.get(where.sort, SORTS["name"]))


def _lists_and_tags(stmt, workspace_id: int, where: ContactFilter):
    """The list, tag and went-bad conditions of the filter."""
    if where.list_id:
        found = db.session.get(ContactList, where.list_id)
        if found is None or found.workspace_id != workspace_id:
            stmt = stmt.where(False)
        elif found.kind == "smart":
            saved = ContactFilter(**_saved(found.filter))
            ids = contacts_query(workspace_id, saved).with_only_columns(Contact.id)
            stmt = stmt.where(Contact.id.in_(ids.order_by(None)))
        else:
            stmt = stmt.where(
                exists().where(
                    ListMember.contact_id == Contact.id,
                    ListMember.list_id == where.list_id,
                )
            )
    if where.tag:
        stmt = stmt.where(
            exists().where(
                ContactTag.contact_id == Contact.id, ContactTag.tag == where.tag
            )
        )
    if where.went_bad:
        stmt = stmt.where(Contact.email_bad.is_(True))
    return stmt


def _saved(values: dict) -> dict:
    """A smart list's saved filter as ContactFilter's arguments: unknown keys are
    dropped, and a list inside it is followed only when static (no loops)."""
    known = set(ContactFilter.__dataclass_fields__) - {"sort"}
    saved = {k: v for k, v in (values or {}).items() if k in known}
    if saved.get("list_id"):
        inner = db.session.get(ContactList, saved["list_id"])
        if inner is None or inner.kind != "static":
            saved["list_id"] = -1  # matches nothing, never loops
    return saved


def list_contacts(
    workspace_id: int, where: ContactFilter, *, page: int = 1, per_page: int = 50
) -> tuple[list[Contact], int]:
    """A page of the book matching the filter (with its emails, phones, companies
    and sources loaded in one query each) and the total."""
    stmt = contacts_query(workspace_id, where)
    total = db.session.scalar(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    )
    rows = db.session.scalars(
        stmt.options(
            selectinload(Contact.company),
            selectinload(Contact.emails),
            selectinload(Contact.phones),
            selectinload(Contact.links),
            selectinload(Contact.sources),
        )
        .offset((max(1, page) - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total or 0


def search_contacts(
    workspace_id: int,
    *,
    q: str | None = None,
    company_id: int | None = None,
    sync: str | None = None,
    verdict: str | None = None,
    source: str | None = None,
    sort: str = "name",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Contact], int]:
    """A page of the contact book matching a search and filters, and the total."""
    where = ContactFilter(
        q=q,
        company_id=company_id,
        sync=sync if sync in SYNC_STATES else None,
        verdict=verdict if verdict in VERDICTS else None,
        source=source or None,
        sort=sort if sort in SORTS else "name",
    )
    return list_contacts(workspace_id, where, page=page, per_page=per_page)
