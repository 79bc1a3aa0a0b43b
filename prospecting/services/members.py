"""A workspace's members and their roles, and invitations by one-time link."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from prospecting.extensions import db
from prospecting.models import Invitation
from prospecting.models import Membership
from prospecting.models import User
from prospecting.models import Workspace
from prospecting.models.accounts import ROLES
from prospecting.models.base import utcnow
from prospecting.services.accounts import normalise_login
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

INVITATION_DAYS = 7
MIN_PASSWORD = 8


@dataclass
class Member:
    user_id: int
    email: str
    role: str
    joined: datetime | None


def rank(role: str | None) -> int:
    """A role's place in ROLES (-1 for none): higher may do more."""
    return ROLES.index(role) if role in ROLES else -1


def members(workspace_id: int) -> list[Member]:
    """The workspace's members with their roles, owners first, then by email."""
    rows = db.session.execute(
        select(User.id, User.email, Membership.role, User.created_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id)
    ).all()
    found = [Member(*row) for row in rows]
    return sorted(found, key=lambda m: (-rank(m.role), m.email))


def role_of(workspace_id: int, user_id: int) -> str | None:
    """A user's role in a workspace, None when they are not a member."""
    membership = db.session.get(Membership, (user_id, workspace_id))
    return membership.role if membership else None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"A role is one of {', '.join(ROLES)}.", code="bad_role")


def _check_reach(by_role: str, *roles: str) -> None:
    """Only an owner gives or takes the owner role; an admin manages the others."""
    if rank(by_role) < rank("admin"):
        raise InvalidInput("Managing members needs admin.", code="forbidden")
    if "owner" in roles and by_role != "owner":
        raise InvalidInput(
            "Only an owner can make someone an owner or change an owner's role.",
            code="owner_only",
        )


def _lock(workspace_id: int) -> Workspace:
    # Two owners demoting each other at once must not leave the workspace without
    # one: membership changes of a workspace wait for each other (PostgreSQL).
    workspace = db.session.scalar(
        select(Workspace).where(Workspace.id == workspace_id).with_for_update()
    )
    if workspace is None:
        raise NotFound("No such workspace.")
    return workspace


def _owners(workspace_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.role == "owner")
    )


def _membership(workspace_id: int, user_id: int) -> Membership:
    membership = db.session.get(Membership, (user_id, workspace_id))
    if membership is None:
        raise NotFound("No such member.")
    return membership


def change_role(workspace_id: int, user_id: int, role: str, *, by_role: str) -> str:
    """Give a member another role; never demotes the last owner. Returns the old
    role."""
    _check_role(role)
    _lock(workspace_id)
    membership = _membership(workspace_id, user_id)
    old = membership.role
    _check_reach(by_role, role, old)
    if old == "owner" and role != "owner" and _owners(workspace_id) <= 1:
        db.session.rollback()
        raise Conflict(
            "This is the workspace's last owner: make someone else owner first.",
            code="last_owner",
        )
    membership.role = role
    db.session.commit()
    return old


def remove(workspace_id: int, user_id: int, *, by_role: str) -> str:
    """Remove a member from the workspace (never its last owner); their sessions
    lose it at their next request. Returns the removed member's email."""
    _lock(workspace_id)
    membership = _membership(workspace_id, user_id)
    _check_reach(by_role, membership.role)
    if membership.role == "owner" and _owners(workspace_id) <= 1:
        db.session.rollback()
        raise Conflict(
            "This is the workspace's last owner: make someone else owner first, "
            "or delete the workspace.",
            code="last_owner",
        )
    email = membership.user.email
    db.session.delete(membership)
    db.session.commit()
    return email


# Invitations


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def invite(
    workspace_id: int, email: str, role: str, *, by_user_id: int, by_role: str
) -> tuple[Invitation, str]:
    """Invite an email address in a role; returns the invitation and the raw token
    of its link (stored hashed). A new invitation replaces a pending one to the
    same address."""
    email = normalise_login(email or "")
    if "@" not in email or len(email) > 320 or email.startswith("@"):
        raise InvalidInput(f"'{email}' is not an email address.", code="bad_email")
    _check_role(role)
    _check_reach(by_role, role)
    already = db.session.scalar(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, User.email == email)
    )
    if already is not None:
        raise Conflict(f"{email} is already a member.", code="already_member")
    now = utcnow()
    for earlier in pending(workspace_id, email=email):
        earlier.revoked_at = now
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        workspace_id=workspace_id,
        email=email,
        role=role,
        token_hash=_hash(raw),
        invited_by_id=by_user_id,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation, raw


def pending(workspace_id: int, *, email: str | None = None) -> list[Invitation]:
    """The workspace's invitations still open (not accepted, revoked or expired)."""
    stmt = select(Invitation).where(
        Invitation.workspace_id == workspace_id,
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow(),
    )
    if email is not None:
        stmt = stmt.where(Invitation.email == email)
    return list(db.session.scalars(stmt.order_by(Invitation.created_at.desc())))


def revoke_invitation(workspace_id: int, invitation_id: int, *, by_role: str) -> str:
    """Revoke an open invitation: its link stops working. Returns its email."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.workspace_id != workspace_id:
        raise NotFound("No such invitation.")
    _check_reach(by_role, invitation.role)
    invitation.revoked_at = invitation.revoked_at or utcnow()
    db.session.commit()
    return invitation.email


def open_invitation(raw: str) -> Invitation:
    """The open invitation of a link, else NotFound saying why it cannot be used."""
    invitation = None
    if raw and len(raw) <= 100:
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.token_hash == _hash(raw))
        )
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound(
            "This invitation link is not valid (it may have been replaced or "
            "revoked): ask the workspace's admin for a new one.",
            code="invitation_invalid",
        )
    if invitation.accepted_at is not None:
        raise NotFound(
            "This invitation link has been used already: sign in instead.",
            code="invitation_used",
        )
    if invitation.expires_at <= utcnow():
        raise NotFound(
            f"This invitation link expired on {invitation.expires_at:%Y-%m-%d}: "
            "ask the workspace's admin for a new one.",
            code="invitation_expired",
        )
    return invitation


def user_exists(email: str) -> bool:
    return (
        db.session.scalar(select(User.id).where(User.email == normalise_login(email)))
        is not None
    )


def accept_as_new_user(raw: str, password: str) -> User:
    """Accept an invitation by creating the invited address's account."""
    invitation = open_invitation(raw)
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(
            f"Passwords need at least {MIN_PASSWORD} characters.", code="short_password"
        )
    if user_exists(invitation.email):
        raise Conflict(
            f"{invitation.email} already has an account: sign in to accept.",
            code="account_exists",
        )
    _claim(invitation)
    user = User(email=invitation.email, password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.flush()
    _join(invitation, user)
    return user


def accept_as(raw: str, user_id: int) -> Invitation:
    """Accept an invitation as the signed-in user, who must be the one invited."""
    invitation = open_invitation(raw)
    user = db.session.get(User, user_id)
    if user is None or user.email != invitation.email:
        raise InvalidInput(
            f"This invitation is for {invitation.email}: sign out and accept it "
            "signed in as that address.",
            code="wrong_user",
        )
    _claim(invitation)
    _join(invitation, user)
    return invitation


def _claim(invitation: Invitation) -> None:
    # One use: of two requests with the same link, only the first one claims it.
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(accepted_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise NotFound(
            "This invitation link has been used already: sign in instead.",
            code="invitation_used",
        )


def _join(invitation: Invitation, user: User) -> None:
    """Make the user a member in the invitation's role (a member keeps theirs)."""
    if db.session.get(Membership, (user.id, invitation.workspace_id)) is None:
        db.session.add(
            Membership(
                user_id=user.id,
                workspace_id=invitation.workspace_id,
                role=invitation.role,
            )
        )
    db.session.commit()
