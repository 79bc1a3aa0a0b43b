"""The contact book's list: one filter for the HTML book, the JSON API and exports.

At a million contacts a page stays cheap: substring search is written so that
PostgreSQL's trigram indexes serve it (ILIKE on plain columns, one indexed
lookup per column joined by UNION), the count stops at `COUNT_CAP`, and related
rows load in one query each per page.
"""

import re
from dataclasses import dataclass
from dataclasses import fields
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import case
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union
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
SOURCES = (
    "manual",
    "csv",
    "enrichment",
    "people_search",
    "prospects",
    "attestr",
    "email_finder",
)
# Counting stops here: "10,000+" costs the same at 20,000 contacts as at 2 million.
COUNT_CAP = 10_000

_SYNC_ORDER = case(
    (Contact.sync_failed, 0),
    (Contact.synced_at.is_(None) | (Contact.updated_at > Contact.synced_at), 1),
    else_=2,
)
# Each sortable column of the book: its SQL expression (ties broken by id).
SORT_COLUMNS = {
    "name": Contact.name,
    "email": Contact.email,
    "company": Company.name,
    "verdict": Contact.email_verdict,
    "source": Contact.source,
    "sync": _SYNC_ORDER,
    "created": Contact.created_at,
    "updated": Contact.updated_at,
    "verified": Contact.email_verified_at,
}
NULLABLE_SORTS = ("email", "company", "verdict", "verified")
SORTS = tuple(k for key in SORT_COLUMNS for k in (key, f"-{key}"))
# The book's URL calls two parameters by a shorter name.
URL_NAMES = {"company_id": "company", "list_id": "list"}
TRUE_WORDS = ("1", "true", "on", "yes")
# The filter's date fields (YYYY-MM-DD in the query string).
DATE_FIELDS = ("created_from", "created_to", "verified_from", "verified_to")


@dataclass
class ContactFilter:
    """What a list of the book is narrowed to; every field optional."""

    q: str | None = None
    name: str | None = None
    email: str | None = None
    verdict: str | None = None
    company_id: int | None = None
    # The company filter by search: contacts whose company's name contains this.
    company_name: str | None = None
    source: str | None = None
    sync: str | None = None
    created_from: date | str | None = None
    created_to: date | str | None = None
    verified_from: date | str | None = None
    verified_to: date | str | None = None
    sort: str = "name"
    # Lists and tags: a list's members (a smart list: its saved filter), a tag,
    # and the people whose address went bad at re-verification.
    list_id: int | None = None
    tag: str | None = None
    went_bad: bool = False

    def check(self) -> "ContactFilter":
        """InvalidInput naming the field when a value is not one we know; dates
        given as YYYY-MM-DD text become dates."""
        for name, allowed in (
            ("verdict", VERDICTS),
            ("source", SOURCES),
            ("sync", SYNC_STATES),
            ("sort", SORTS),
        ):
            value = getattr(self, name)
            if value and value not in allowed:
                raise InvalidInput(
                    f"{name} must be one of {', '.join(allowed)}.",
                    code=f"bad_{name}",
                    details={"field": name},
                )
        self.sort = self.sort or "name"
        for name in DATE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, _date(name, value))
        return self

    @classmethod
    def from_args(cls, args) -> "ContactFilter":
        """The filter a query string asks for (`company` or `company_id` for the
        company), checked: InvalidInput names a bad parameter."""
        raw = {f.name: str(args.get(f.name) or "").strip() or None for f in fields(cls)}
        for name, short in (("company_id", "company"), ("list_id", "list")):
            key = name if args.get(name) else short
            text = str(args.get(key) or "").strip()
            field = {"field": key}
            if text and not (text.isascii() and text.isdigit()):
                raise InvalidInput(
                    f"{key} must be an id.", code=f"bad_{key}", details=field
                )
            if len(text) > 9:
                raise InvalidInput(
                    f"{key} is out of range.", code=f"bad_{key}", details=field
                )
            raw[name] = int(text) if text else None
        raw["went_bad"] = str(args.get("went_bad") or "").lower() in TRUE_WORDS
        raw["sort"] = raw["sort"] or "name"
        return cls(**raw).check()

    def to_args(self) -> dict:
        """The filter as query-string parameters (defaults and blanks left out)."""
        args = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, "") or (f.name == "sort" and value == "name"):
                continue
            if value is False:
                continue
            key = URL_NAMES.get(f.name, f.name)
            if value is True:
                value = 1
            args[key] = value.isoformat() if isinstance(value, date) else value
        return args


def _date(name: str, raw: str) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            f"{name} must be a date (YYYY-MM-DD).",
            code=f"bad_{name}",
            details={"field": name},
        ) from None


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _search_parts(workspace_id: int, where: ContactFilter) -> list:
    """The SELECTs of the ids a text search matches, one per column searched (name,
    primary email, every email, company name, phone): each can use its trigram
    index instead of scanning the book."""
    q = (where.q or "").strip()
    if not q:
        return []
    in_ws = Contact.workspace_id == workspace_id
    like = f"%{_escape(q)}%"
    parts = [
        select(Contact.id).where(in_ws, Contact.name.ilike(like, escape="\\")),
        select(Contact.id).where(in_ws, Contact.email.ilike(like, escape="\\")),
        select(Contact.id).where(
            in_ws,
            exists().where(
                ContactEmail.contact_id == Contact.id,
                ContactEmail.workspace_id == workspace_id,
                ContactEmail.email.ilike(like, escape="\\"),
            ),
        ),
        select(Contact.id)
        .join(Company, Company.id == Contact.company_id)
        .where(in_ws, Company.name.ilike(like, escape="\\")),
    ]
    # Only a text that looks like a number searches phones: "ada 2" would
    # otherwise match every phone with a 2 in it.
    digits = re.sub(r"\D", "", q)
    if digits and not re.search(r"[^\W\d_]", q):
        phone = Contact.phone.like(f"%{digits}%")
        parts.append(select(Contact.id).where(in_ws, phone))
    return parts


def _email_ids(workspace_id: int, like: str):
    return select(ContactEmail.contact_id).where(
        ContactEmail.workspace_id == workspace_id,
        ContactEmail.email.ilike(like, escape="\\"),
    )


def _escape(text: str) -> str:
    """The text as a LIKE pattern that matches it literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contacts_query(
    workspace_id: int, where: ContactFilter, *, first: int | None = None
):
    """The SELECT of the workspace's contacts matching the filter, sorted.

    With `first`, only the first `first` rows in the sort's order are sure to be
    there: each column a text search looks at then gives only its own first rows
    (in the order of an index when that is cheaper than fetching every match), so a
    search that matches a tenth of a million contacts costs about a page."""
    stmt = _filtered(workspace_id, where)
    if parts := _search_parts(workspace_id, where):
        order, by_company = _order(where.sort)
        if first is not None and not by_company:
            # The filter's other conditions go into each part so its first rows
            # are the result's.
            parts = [
                select(
                    p.where(stmt.whereclause)
                    .order_by(*order)
                    .limit(first)
                    .subquery()
                    .c.id
                )
                for p in parts
            ]
        stmt = stmt.where(Contact.id.in_(union(*parts)))
    return _sorted(stmt, where.sort)


def _filtered(workspace_id: int, where: ContactFilter):
    """The SELECT of the contacts matching every part of the filter but its text
    search, unsorted."""
    stmt = select(Contact).where(Contact.workspace_id == workspace_id)
    if name := (where.name or "").strip():
        stmt = stmt.where(Contact.name.ilike(f"%{_escape(name)}%", escape="\\"))
    if email := (where.email or "").strip():
        stmt = stmt.where(
            Contact.id.in_(_email_ids(workspace_id, f"%{_escape(email)}%"))
        )
    if company_name := (where.company_name or "").strip():
        stmt = stmt.where(
            Contact.company_id.in_(
                select(Company.id)
                .where(
                    Company.workspace_id == workspace_id,
                    Company.name.ilike(f"%{_escape(company_name)}%", escape="\\"),
                )
                .correlate(None)
            )
        )
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
    stmt = _date_range(stmt, Contact.created_at, where.created_from, where.created_to)
    stmt = _date_range(
        stmt, Contact.email_verified_at, where.verified_from, where.verified_to
    )
    return _lists_and_tags(stmt, workspace_id, where)


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


def _date_range(stmt, column, start, end):
    """Rows whose `column` falls on or after `start` and on or before `end` (days)."""
    if isinstance(start, date):
        stmt = stmt.where(column >= _day_start(start))
    if isinstance(end, date):
        stmt = stmt.where(column < _day_start(end + timedelta(days=1)))
    return stmt


def _order(sort: str) -> tuple[tuple, bool]:
    """The ORDER BY of a sort, and whether it needs the contact's company joined."""
    key = (sort or "name").lstrip("-")
    column = SORT_COLUMNS.get(key, Contact.name)
    descending = (sort or "").startswith("-")
    column = column.desc() if descending else column.asc()
    if key in NULLABLE_SORTS:
        # Blanks last both ways; on NOT NULL columns the plain order keeps the
        # (workspace, column) indexes usable in either direction.
        column = column.nulls_last()
    return (column, Contact.id.desc() if descending else Contact.id), key == "company"


def _sorted(stmt, sort: str):
    order, by_company = _order(sort)
    if by_company:
        stmt = stmt.outerjoin(Company, Company.id == Contact.company_id)
    return stmt.order_by(*order)


def count_matching(
    workspace_id: int, where: ContactFilter, cap: int | None = None
) -> tuple[int, bool]:
    """How many contacts the filter matches, counted no further than `cap`
    (default `COUNT_CAP`): (count, True when there are more). A text search counts
    each column's first matches, in no order, so the cheapest plan serves it."""
    cap = COUNT_CAP if cap is None else cap
    stmt = _filtered(workspace_id, where)
    parts = _search_parts(workspace_id, where)
    if not parts:
        return capped_count(stmt, cap)
    ids = union(
        *(
            select(p.where(stmt.whereclause).limit(cap + 1).subquery().c.id)
            for p in parts
        )
    ).subquery()
    found = db.session.scalar(
        select(func.count()).select_from(select(ids.c.id).limit(cap + 1).subquery())
    )
    return min(found or 0, cap), (found or 0) > cap


def capped_count(stmt, cap: int | None = None) -> tuple[int, bool]:
    """How many rows the SELECT returns, counted no further than `cap` (default
    `COUNT_CAP`): (count, True when there are more)."""
    cap = COUNT_CAP if cap is None else cap
    found = db.session.scalar(
        select(func.count()).select_from(
            stmt.order_by(None).with_only_columns(Contact.id).limit(cap + 1).subquery()
        )
    )
    return min(found or 0, cap), (found or 0) > cap


def page_of_contacts(
    workspace_id: int, where: ContactFilter, *, page: int = 1, per_page: int = 50
) -> tuple[list[Contact], int, bool]:
    """A page of the book matching the filter (with its emails, phones, companies
    and sources loaded in one query each), the count up to `COUNT_CAP` and
    whether there are more than that."""
    total, more = count_matching(workspace_id, where)
    stmt = contacts_query(workspace_id, where, first=max(1, page) * per_page)
    rows = db.session.scalars(
        stmt.options(
            selectinload(Contact.company),
            selectinload(Contact.emails),
            selectinload(Contact.phones),
            selectinload(Contact.links).selectinload(ContactCompany.company),
            selectinload(Contact.sources),
        )
        .offset((max(1, page) - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total, more


def list_contacts(
    workspace_id: int, where: ContactFilter, *, page: int = 1, per_page: int = 50
) -> tuple[list[Contact], int]:
    """A page of the book matching the filter and the total (exact)."""
    rows, total, more = page_of_contacts(
        workspace_id, where, page=page, per_page=per_page
    )
    if more:
        stmt = contacts_query(workspace_id, where).order_by(None)
        total = db.session.scalar(
            select(func.count()).select_from(
                stmt.with_only_columns(Contact.id).subquery()
            )
        )
    return rows, total or 0


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
