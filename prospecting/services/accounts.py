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
from prospecting.models.accounts import ROLES
from prospecting.models.accounts import TOKEN_ROLES
from prospecting.models.accounts import new_session_generation
from prospecting.models.base import utcnow
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

# What an unknown email's password is checked against, so that a sign-in costs one
# hash whether the email exists or not. Made by generate_password_hash() with its
# default method (scrypt, n=32768, r=8, p=1), the method every user's hash has
# (tests pin that the two agree); the password it hashes was random and is gone.
DUMMY_PASSWORD_HASH = (
    "scrypt:32768:8:1$vG0owYe9ua0Mih0P$36bf77cf324a187fb2c600eff475eaca4151fc6b78"
    "cd0fd4fd19e1ccd949568f3caaea1d24677d7e467743fe6dcb068c16e626311e9d324901e4030f"
    "3b8a60ec"
)


def password_method(password_hash: str) -> str:
    """The method and parameters of a password hash ("scrypt:32768:8:1")."""
    return password_hash.split("$", 1)[0]


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


def create_user(
    email: str,
    password: str,
    *,
    workspace: str,
    is_operator: bool | None = None,
    role: str = "owner",
) -> User:
    """Create a user (or reset their password, ending their sessions) as a member
    of a workspace; is_operator sets the operator flag (None keeps it); role is
    theirs when they join the workspace (a member's role stays as it is)."""
    if role not in ROLES:
        raise InvalidInput(f"A role is one of {', '.join(ROLES)}.", code="bad_role")
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
    user.session_generation = new_session_generation()
    if is_operator is not None:
        user.is_operator = is_operator
    db.session.flush()
    if db.session.get(Membership, (user.id, ws.id)) is None:
        db.session.add(Membership(user_id=user.id, workspace_id=ws.id, role=role))
    db.session.commit()
    return user


def _user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalise_login(email)))
    if user is None:
        raise NotFound(f"No user {email}.")
    return user


def set_password(email: str, password: str) -> User:
    """Replace a user's password and end every session they had."""
    user = _user_by_email(email)
    if len(password) < 8:
        raise InvalidInput("Passwords need at least 8 characters.")
    user.password_hash = generate_password_hash(password)
    user.session_generation = new_session_generation()
    db.session.commit()
    return user


def change_password(user_id: int, current: str, new: str) -> User:
    """A user's own password change (the current one is checked); ends every
    session they had, the caller signs the current one in again."""
    user = db.session.get(User, user_id)
    if user is None or not check_password_hash(user.password_hash, current):
        raise InvalidInput("The current password is wrong.", code="wrong_password")
    return set_password(user.email, new)


def set_operator(email: str, is_operator: bool) -> User:
    """Grant or revoke the operator flag (the whole system's operations)."""
    user = _user_by_email(email)
    user.is_operator = is_operator
    db.session.commit()
    return user


def end_sessions(user_id: int) -> None:
    """End every session and remember cookie of the user (all their devices)."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    user.session_generation = new_session_generation()
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    """The user whose email and password match, else None; one password hash
    either way, so the time taken does not reveal which emails exist."""
    user = db.session.scalar(select(User).where(User.email == normalise_login(email)))
    if user is None:
        check_password_hash(DUMMY_PASSWORD_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if password_method(user.password_hash) != password_method(DUMMY_PASSWORD_HASH):
        # A hash from older parameters is brought up to date while the password
        # is at hand, so every known email costs what an unknown one does.
        user.password_hash = generate_password_hash(password)
        db.session.commit()
    return user


def workspaces_with_roles(user_id: int) -> list[tuple[Workspace, str]]:
    """The workspaces a user belongs to with their role in each, oldest first."""
    stmt = (
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
        .order_by(Workspace.id)
    )
    return [(ws, role) for ws, role in db.session.execute(stmt)]


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


def create_token(
    workspace_id: int,
    name: str = "API token",
    *,
    role: str = "member",
    by_role: str | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token acting as `role` (no higher than `by_role`, the creating
    member's, when given); returns the row and the raw token, which is never stored."""
    if role not in TOKEN_ROLES:
        raise InvalidInput(
            f"A token's role is one of {', '.join(TOKEN_ROLES)}.", code="bad_role"
        )
    if by_role is not None and (
        by_role not in ROLES or ROLES.index(role) > ROLES.index(by_role)
    ):
        raise InvalidInput(
            f"You are {by_role}: a token you create can be at most {by_role}.",
            code="bad_role",
        )
    raw = f"psk_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        workspace_id=workspace_id,
        name=name.strip() or "API token",
        token_hash=_hash_token(raw),
        prefix=raw[:10],
        role=role,
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


def get_token(workspace_id: int, token_id: int) -> ApiToken:
    """One of the workspace's tokens, else NotFound."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.workspace_id != workspace_id:
        raise NotFound("No such token.")
    return token


def revoke_token(workspace_id: int, token_id: int) -> ApiToken:
    """Revoke one of the workspace's tokens."""
    token = get_token(workspace_id, token_id)
    token.revoked_at = token.revoked_at or utcnow()
    db.session.commit()
    return token


def workspace_for_token(raw: str) -> int | None:
    """The workspace id of a live token, else None."""
    found = token_access(raw)
    return None if found is None else found[0]


def token_access(raw: str) -> tuple[int, str] | None:
    """The workspace id and role of a live token, compared in constant time, else
    None."""
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
    return token.workspace_id, token.role
