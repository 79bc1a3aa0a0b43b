"""The de-duplicated contact book: the upsert matched on email then phone, the
search of the book and a user's edit of a contact."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import OperationalError

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models.base import utcnow
from prospecting.services.contacts.companies import get_company
from prospecting.services.contacts.normalise import normalise_email
from prospecting.services.contacts.normalise import normalise_phone
from prospecting.services.contacts.sync_state import SYNC_STATES
from prospecting.services.contacts.sync_state import sync_filter
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

# PostgreSQL deadlock and serialization failure: safe to run the contact again.
RETRYABLE_SQLSTATES = ("40P01", "40001")


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
