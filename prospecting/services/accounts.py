"""Users, workspaces, memberships and API tokens."""

import hashlib
import hmac
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from prospecting.extensions import db
from prospecting.models import ApiToken
from prospecting.models import Membership
from prospecting.models import User
from prospecting.models import Workspace
from prospecting.models.base import utcnow
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound


def normalise_login(email: str) -> str:
    return email.strip().lower()


def get_or_create_workspace(name: str) -> Workspace:
    """The workspace with this name, created when missing."""
    name = name.strip()
    if not name:
        raise InvalidInput("A workspace needs a name.")
    workspace = db.session.scalar(select(Workspace).where(Workspace.name == name))
    if workspace is None:
        workspace = Workspace(name=name)
        db.session.add(workspace)
        db.session.commit()
    return workspace


def create_user(email: str, password: str, *, workspace: str) -> User:
    """Create a user (or reset their password) as a member of a workspace."""
    email = normalise_login(email)
    if "@" not in email:
        raise InvalidInput(f"'{email}' is not an email address.")
    if len(password) < 8:
        raise InvalidInput("Passwords need at least 8 characters.")
    ws = get_or_create_workspace(workspace)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, password_hash="")
        db.session.add(user)
    user.password_hash = generate_password_hash(password)
    db.session.flush()
    if db.session.get(Membership, (user.id, ws.id)) is None:
        db.session.add(Membership(user_id=user.id, workspace_id=ws.id, role="owner"))
    db.session.commit()
    return user


def set_password(email: str, password: str) -> User:
    """Replace a user's password."""
    user = db.session.scalar(select(User).where(User.email == normalise_login(email)))
    if user is None:
        raise NotFound(f"No user {email}.")
    if len(password) < 8:
        raise InvalidInput("Passwords need at least 8 characters.")
    user.password_hash = generate_password_hash(password)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user whose email and password match, else None."""
    user = db.session.scalar(select(User).where(User.email == normalise_login(email)))
    if user is None:
        # Hash anyway so that response time does not reveal which emails exist.
        check_password_hash(generate_password_hash("x"), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def workspaces_of(user_id: int) -> list[Workspace]:
    """The workspaces a user belongs to, oldest first."""
    stmt = (
        select(Workspace)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
        .order_by(Workspace.id)
    )
    return list(db.session.scalars(stmt))


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(workspace_id: int, name: str = "API token") -> tuple[ApiToken, str]:
    """Create an API token; returns the row and the raw token, which is never stored."""
    raw = f"psk_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        workspace_id=workspace_id,
        name=name.strip() or "API token",
        token_hash=_hash_token(raw),
        prefix=raw[:10],
    )
    db.session.add(token)
    db.session.commit()
    return token, raw


def tokens_of(workspace_id: int) -> list[ApiToken]:
    stmt = (
        select(ApiToken)
        .where(ApiToken.workspace_id == workspace_id)
        .order_by(ApiToken.id.desc())
    )
    return list(db.session.scalars(stmt))


def revoke_token(workspace_id: int, token_id: int) -> ApiToken:
    """Revoke one of the workspace's tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.workspace_id != workspace_id:
        raise NotFound("No such token.")
    token.revoked_at = token.revoked_at or utcnow()
    db.session.commit()
    return token


def workspace_for_token(raw: str) -> int | None:
    """The workspace id of a live token, compared in constant time, else None."""
    if not raw:
        return None
    digest = _hash_token(raw)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash, so timing reveals nothing about the raw token; the
    # constant-time compare guards against a collation-insensitive match.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None:
        return None
    now = utcnow()
    # At most one write a minute per token: pollers call the API every second.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        db.session.commit()
    return token.workspace_id
