"""Lists of the contact book (static ones with their members, smart ones as a
saved filter of the book) and the tags on contacts and companies."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from prospecting.extensions import db
from prospecting.models.base import JSONType
from prospecting.models.base import utcnow

LIST_KINDS = ("static", "smart")


class ContactList(db.Model):
    """A named list of the book: `static` holds members, `smart` a filter of the
    book (the parameters of `ContactFilter`) evaluated when it is read."""

    __tablename__ = "contact_lists"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", name="uq_contact_lists_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10), default="static")
    filter: Mapped[dict] = mapped_column(JSONType, default=dict)
    # A list the product keeps itself ("went_bad"): read-only to people.
    builtin: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def smart(self) -> bool:
        return self.kind == "smart"


class ListMember(db.Model):
    """A contact on a static list."""

    __tablename__ = "list_members"
    __table_args__ = (Index("ix_list_members_contact_id", "contact_id"),)

    list_id: Mapped[int] = mapped_column(
        ForeignKey("contact_lists.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactTag(db.Model):
    __tablename__ = "contact_tags"
    __table_args__ = (Index("ix_contact_tags_workspace_tag", "workspace_id", "tag"),)

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompanyTag(db.Model):
    __tablename__ = "company_tags"
    __table_args__ = (Index("ix_company_tags_workspace_tag", "workspace_id", "tag"),)

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
