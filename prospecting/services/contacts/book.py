"""The de-duplicated contact book: what goes in (`ContactInput`) and what an
upsert reports, a contact, and a user's edit of a contact. The upsert itself is
in `upsert`, the search of the book in `query`."""

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactCompany
from prospecting.models import ContactEmail
from prospecting.models import ContactPhone
from prospecting.models.base import utcnow
from prospecting.services import audit
from prospecting.services import webhooks
from prospecting.services.contacts import strategy
from prospecting.services.contacts.companies import get_company
from prospecting.services.contacts.normalise import normalise_email
from prospecting.services.contacts.normalise import normalise_phone
from prospecting.services.contacts.relations import detach
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound


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
    # What a verifier said of the email (enrichment rows), for the gate.
    email_verdict: str | None = None
    email_flags: list | None = None
    verified_at: datetime | None = None
    # The email and phone are already normalised (lower case, E.164).
    normalised: bool = False
    # The person's role at `company_id` (defaults to the title).
    role: str | None = None
    # The job (or file) it came with, kept in the contact's sources.
    source_ref: str | None = None
    # A file's columns that map to no field ({header: value}), kept on the contact.
    extra: dict = field(default_factory=dict)


@dataclass
class UpsertItem:
    index: int
    status: str  # created | updated | skipped | kept_out
    name: str
    email: str | None
    phone: str | None
    matched_on: str | None = None  # email | phone
    contact_id: int | None = None
    reason: str | None = None
    rule: str | None = None  # the gate's rule that kept the row out
    dropped: list | None = None  # undeliverable addresses not stored

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

    @property
    def kept_out(self) -> int:
        return self.count("kept_out")

    def rules(self) -> dict[str, int]:
        """How many rows each rule of the gate kept out."""
        counts: dict[str, int] = {}
        for item in self.items:
            if item.rule:
                counts[item.rule] = counts.get(item.rule, 0) + 1
        return counts

    def extend(self, other: "UpsertReport") -> None:
        self.items.extend(other.items)


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
    contact.locked_fields = strategy.locks(
        contact,
        {
            "name": (name or "").strip()[:255],
            "email": clean_email,
            "phone": clean_phone,
            "title": _clean(title),
            "location": _clean(location),
            "company_id": company_id or None,
        },
    )
    contact.name = (name or "").strip()[:255]
    _set_primary(contact, ContactEmail, "email", clean_email)
    _set_primary(contact, ContactPhone, "phone", clean_phone)
    contact.email, contact.phone = clean_email, clean_phone
    contact.title = _clean(title)
    contact.location = _clean(location)
    if company_id and company_id != contact.company_id:
        link_company(contact, company_id, role=contact.title)
    contact.company_id = company_id or None
    contact.updated_at = utcnow()
    contact.sync_failed, contact.sync_error = False, None
    try:
        db.session.flush()
        webhooks.emit(workspace_id, "contact.updated", {"contacts": [brief(contact)]})
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise InvalidInput(
            "Another contact already has this email or phone number.", code="duplicate"
        ) from exc
    return contact


def _set_primary(contact: Contact, model, column: str, value: str | None) -> None:
    """The user's new primary email (or phone) replaces the old primary row; the
    contact's additional values stay."""
    old = getattr(contact, column)
    if value == old:
        return
    rows = db.session.scalars(select(model).where(model.contact_id == contact.id)).all()
    for row in rows:
        if getattr(row, column) == old:
            db.session.delete(row)
        elif row.is_primary:
            row.is_primary = False
    db.session.flush()
    if value is None:
        return
    mine = next((r for r in rows if getattr(r, column) == value), None)
    if mine is not None:
        mine.is_primary = True
        return
    db.session.add(
        model(
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            is_primary=True,
            source="manual",
            **{column: value},
        )
    )


def link_company(contact: Contact, company_id: int, *, role: str | None) -> None:
    """Link the contact to one more company (with its role there), once."""
    found = db.session.get(ContactCompany, (contact.id, company_id))
    if found is None:
        db.session.add(
            ContactCompany(
                contact_id=contact.id, company_id=company_id, role=_clean(role)
            )
        )


def delete_contact(
    workspace_id: int, contact_id: int, *, user_id: int | None = None
) -> None:
    """Remove a contact with its emails, phones, company links and sources
    (audited: who and when; `erase` removes the person everywhere)."""
    contact = get_contact(workspace_id, contact_id)
    webhooks.emit(workspace_id, "contact.deleted", {"contacts": [brief(contact)]})
    audit.record(
        workspace_id, "contact.deleted", f"contact #{contact.id}", user_id=user_id
    )
    detach([contact.id])
    db.session.expire(contact)
    db.session.delete(contact)
    db.session.commit()


def brief(contact: Contact) -> dict:
    """A contact as webhook events carry it."""
    return {
        "id": contact.id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
    }
