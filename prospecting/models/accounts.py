"""Users, workspaces, memberships and API tokens."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import false
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from prospecting.extensions import db
from prospecting.models.base import utcnow

# A workspace member's role, least to most: each may do what the ones before may
# (the rule table in prospecting/auth.py says who may call what).
ROLES = ("viewer", "member", "admin", "owner")
# An API token acts as one of these; no token manages caps or deletes a workspace.
TOKEN_ROLES = ("viewer", "member", "admin")


def new_session_generation() -> str:
    return secrets.token_hex(16)


class Workspace(db.Model):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Workspace {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    # Part of every session and remember cookie (get_id); a new value (logout,
    # password change) makes every earlier cookie of the user worthless.
    session_generation: Mapped[str] = mapped_column(
        String(32), default=new_session_generation
    )
    # May see and run the whole system's operations (workers, queue, periodic tasks).
    is_operator: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Membership(db.Model):
    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), default="member")
    user: Mapped[User] = relationship(back_populates="memberships")
    workspace: Mapped[Workspace] = relationship()

    def __repr__(self) -> str:
        return f"<Membership {self.user_id}@{self.workspace_id} {self.role}>"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # sha256 of the raw token; the raw token is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    # What the token may do, as a member of this role would (TOKEN_ROLES).
    role: Mapped[str] = mapped_column(
        String(20), default="member", server_default="member"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    workspace: Mapped[Workspace] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}…>"


class Invitation(db.Model):
    """A one-time link that makes its holder a member of a workspace in a role."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    # sha256 of the link's token; the link is shown (or emailed) once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    workspace: Mapped[Workspace] = relationship()
    invited_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Invitation {self.email} {self.role}@{self.workspace_id}>"
