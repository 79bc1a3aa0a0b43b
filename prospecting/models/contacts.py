"""Companies, the de-duplicated contact book and each workspace's Airtable settings."""

from datetime import datetime

from sqlalchemy import DDL
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import event
from sqlalchemy import false
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from prospecting.extensions import db
from prospecting.models.base import JSONType
from prospecting.models.base import utcnow


def _partial_unique(name: str, *columns: str, where: str) -> Index:
    # The same partial unique index on PostgreSQL and SQLite: NULLs stay allowed.
    return Index(
        name,
        *columns,
        unique=True,
        sqlite_where=text(where),
        postgresql_where=text(where),
    )


def _trigram(name: str, column: str) -> Index:
    # Substring search (ILIKE '%text%') served by an index: PostgreSQL only (the
    # pg_trgm extension); SQLite scans, which is fine at its sizes.
    return Index(
        name,
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")


# `create_all` on PostgreSQL (tests, benchmarks) needs the extension the
# migration creates before the trigram indexes.
event.listen(
    db.metadata,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


class Company(db.Model):
    __tablename__ = "companies"
    __table_args__ = (
        _partial_unique(
            "uq_companies_workspace_reg",
            "workspace_id",
            "registration_number",
            where="registration_number IS NOT NULL",
        ),
        _partial_unique(
            "uq_companies_workspace_domain",
            "workspace_id",
            "domain",
            where="domain IS NOT NULL",
        ),
        Index("ix_companies_workspace_name", "workspace_id", "name"),
        Index("ix_companies_workspace_name_key", "workspace_id", "name_key"),
        _trigram("ix_companies_name_trgm", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    # An Indian CIN (21 characters) or LLPIN (AAA-1234), upper case.
    registration_number: Mapped[str | None] = mapped_column(String(21))
    # The name without case, punctuation, spacing or legal suffix
    # (normalise.company_name_key): the de-duplication key without a domain.
    name_key: Mapped[str | None] = mapped_column(String(255))
    crm_record_id: Mapped[str | None] = mapped_column(String(32))
    synced_at: Mapped[datetime | None]
    sync_failed: Mapped[bool] = mapped_column(default=False)
    sync_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="company", order_by="Contact.name"
    )

    def __repr__(self) -> str:
        return f"<Company {self.id} {self.name}>"


class Contact(db.Model):
    __tablename__ = "contacts"
    __table_args__ = (
        _partial_unique(
            "uq_contacts_workspace_email",
            "workspace_id",
            "email",
            where="email IS NOT NULL",
        ),
        _partial_unique(
            "uq_contacts_workspace_phone",
            "workspace_id",
            "phone",
            where="phone IS NOT NULL",
        ),
        _partial_unique(
            "uq_contacts_workspace_linkedin",
            "workspace_id",
            "linkedin_key",
            where="linkedin_key IS NOT NULL",
        ),
        Index("ix_contacts_workspace_name", "workspace_id", "name"),
        Index("ix_contacts_workspace_sync", "workspace_id", "sync_failed", "synced_at"),
        Index("ix_contacts_workspace_created", "workspace_id", "created_at"),
        _trigram("ix_contacts_name_trgm", "name"),
        _trigram("ix_contacts_email_trgm", "email"),
        _trigram("ix_contacts_phone_trgm", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), default="")
    # Normalised (email-validator, lower case) and E.164: the de-duplication keys.
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(255))
    location: Mapped[str | None] = mapped_column(String(255))
    linkedin_url: Mapped[str | None] = mapped_column(String(500))
    # "linkedin.com/in/<slug>" in lower case: the third de-duplication key.
    linkedin_key: Mapped[str | None] = mapped_column(String(255))
    addresses: Mapped[list] = mapped_column(JSONType, default=list)
    source: Mapped[str] = mapped_column(String(40), default="manual")
    # Provider identifiers such as {"din": "07864946"}.
    provider_ids: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The columns of an imported file that map to no field ({header: value}).
    extra: Mapped[dict | None] = mapped_column(JSONType)
    crm_record_id: Mapped[str | None] = mapped_column(String(32))
    synced_at: Mapped[datetime | None]
    sync_failed: Mapped[bool] = mapped_column(default=False)
    sync_error: Mapped[str | None] = mapped_column(Text)
    # The address's last verification: verdict, when, and who gave it
    # ({provider, at, cost, raw}); `email_bad` flags an address that went bad.
    email_verdict: Mapped[str | None] = mapped_column(String(12))
    email_verified_at: Mapped[datetime | None]
    email_bad: Mapped[bool] = mapped_column(default=False, server_default=false())
    email_provenance: Mapped[dict | None] = mapped_column(JSONType)
    # Fields a person edited by hand: no import or sync overwrites them.
    locked_fields: Mapped[list] = mapped_column(
        JSONType, default=list, server_default=text("'[]'")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[Company | None] = relationship(back_populates="contacts")
    # Every address, number, company and source; `email`, `phone` and
    # `company_id` above are the primary ones.
    emails: Mapped[list["ContactEmail"]] = relationship(
        order_by="(ContactEmail.is_primary.desc(), ContactEmail.id)",
        cascade="all, delete-orphan",
    )
    phones: Mapped[list["ContactPhone"]] = relationship(
        order_by="(ContactPhone.is_primary.desc(), ContactPhone.id)",
        cascade="all, delete-orphan",
    )
    links: Mapped[list["ContactCompany"]] = relationship(
        order_by="ContactCompany.created_at",
        cascade="all, delete-orphan",
    )
    sources: Mapped[list["ContactSource"]] = relationship(
        order_by="ContactSource.id",
        cascade="all, delete-orphan",
    )

    @property
    def sync_state(self) -> str:
        if self.sync_failed:
            return "failed"
        if self.synced_at is None or self.updated_at > self.synced_at:
            return "pending"
        return "synced"

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.email or self.phone}>"


class ContactEmail(db.Model):
    """One address of a contact with what the verifier said of it and when."""

    __tablename__ = "contact_emails"
    __table_args__ = (
        Index(
            "uq_contact_emails_workspace_email", "workspace_id", "email", unique=True
        ),
        _trigram("ix_contact_emails_email_trgm", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    # valid | risky | invalid | unknown, or None when never verified.
    verdict: Mapped[str | None] = mapped_column(String(12))
    flags: Mapped[list] = mapped_column(JSONType, default=list)
    verified_at: Mapped[datetime | None]
    is_primary: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(40), default="manual")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactPhone(db.Model):
    """One phone number (E.164) of a contact."""

    __tablename__ = "contact_phones"
    __table_args__ = (
        Index(
            "uq_contact_phones_workspace_phone", "workspace_id", "phone", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str] = mapped_column(String(20))
    is_primary: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(40), default="manual")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactCompany(db.Model):
    """A contact's link to one of its companies, with the role held there."""

    __tablename__ = "contact_companies"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[Company] = relationship()


class ContactSource(db.Model):
    """Where a contact came from: a source kind and the job (or "") it came with."""

    __tablename__ = "contact_sources"
    __table_args__ = (
        Index("uq_contact_sources", "contact_id", "source", "ref", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE")
    )
    source: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactMerge(db.Model):
    """A merge of duplicates into one contact, with what undoing it needs: the
    losers' rows, the rows that moved as they were, the winner's values before."""

    __tablename__ = "contact_merges"
    __table_args__ = (Index("ix_contact_merges_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    # No foreign key: the record outlives a winner deleted later (undo refuses).
    winner_id: Mapped[int]
    loser_ids: Mapped[list] = mapped_column(JSONType, default=list)
    snapshot: Mapped[dict] = mapped_column(JSONType, default=dict)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]


class Suppression(db.Model):
    """An erased person's email or phone, kept only as a hash so that later imports
    and fetches of the workspace skip them."""

    __tablename__ = "suppressions"
    __table_args__ = (
        Index(
            "uq_suppressions_workspace_digest", "workspace_id", "digest", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(8))  # email | phone
    # sha256 hex of "<kind>:<normalised email or E.164 phone>".
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AirtableSettings(db.Model):
    __tablename__ = "airtable_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), unique=True)
    # Fernet token of the personal access token (prospecting.crypto).
    token_encrypted: Mapped[str | None] = mapped_column(Text)
    base_id: Mapped[str] = mapped_column(String(40), default="")
    contacts_table: Mapped[str] = mapped_column(String(120), default="Contacts")
    companies_table: Mapped[str] = mapped_column(String(120), default="Companies")
    # Our attribute -> Airtable field name; an empty name leaves the attribute out.
    contact_fields: Mapped[dict] = mapped_column(JSONType, default=dict)
    company_fields: Mapped[dict] = mapped_column(JSONType, default=dict)
    merge_field: Mapped[str] = mapped_column(String(40), default="email")
    company_merge_field: Mapped[str] = mapped_column(String(40), default="name")
    sync_interval_minutes: Mapped[int] = mapped_column(default=0)
    last_auto_sync_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def has_token(self) -> bool:
        return bool(self.token_encrypted)

    def __repr__(self) -> str:
        return f"<AirtableSettings workspace={self.workspace_id} base={self.base_id}>"
