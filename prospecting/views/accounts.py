"""Login, logout, the password change, switching workspace, and workspace settings
(API tokens, cost caps, deletion)."""

import logging
import time

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from limits import parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from prospecting import crypto
from prospecting.auth import redirect_next
from prospecting.auth import user_workspaces
from prospecting.errors import error_response
from prospecting.forms import CapsForm
from prospecting.forms import ConfirmForm
from prospecting.forms import DeleteWorkspaceForm
from prospecting.forms import LoginForm
from prospecting.forms import PasswordForm
from prospecting.forms import SwitchWorkspaceForm
from prospecting.forms import TokenForm
from prospecting.models.accounts import ROLES
from prospecting.models.accounts import TOKEN_ROLES
from prospecting.services import accounts
from prospecting.services import ledger
from prospecting.services import workspaces
from prospecting.services.errors import ServiceError

logger = logging.getLogger(__name__)

bp = Blueprint("accounts", __name__)
_login_limiters: dict[str, FixedWindowRateLimiter] = {}
# Storage that failed, and until when (monotonic) this process counts in memory.
_storage_down_until: dict[str, float] = {}
STORAGE_RETRY_SECONDS = 30.0
LOCAL_STORAGE = "memory://"


def _limiter(uri: str) -> FixedWindowRateLimiter:
    if uri not in _login_limiters:
        # A Redis that does not answer must not hold a sign-in for long.
        options = {"socket_connect_timeout": 1, "socket_timeout": 1}
        if not uri.startswith(("redis://", "rediss://", "redis+")):
            options = {}
        storage = storage_from_string(uri, wrap_exceptions=True, **options)
        _login_limiters[uri] = FixedWindowRateLimiter(storage)
    return _login_limiters[uri]


def _hit(limiter: FixedWindowRateLimiter, rule, email: str) -> bool:
    return limiter.hit(rule, "login", request.remote_addr or "?") and limiter.hit(
        rule, "login-email", email.lower()
    )


def _allow_login_attempt(email: str) -> bool:
    """Count a sign-in attempt per client address and per email; when the shared
    storage (Redis) is down, count in this process's memory instead of refusing."""
    uri = current_app.config["RATELIMIT_STORAGE_URL"]
    rule = parse(current_app.config["LOGIN_RATE_LIMIT"])
    if time.monotonic() >= _storage_down_until.get(uri, 0.0):
        try:
            return _hit(_limiter(uri), rule, email)
        except StorageError as exc:
            _storage_down_until[uri] = time.monotonic() + STORAGE_RETRY_SECONDS
            logger.warning(
                "login rate limit storage unreachable (%s: %s); counting sign-in "
                "attempts in this process's memory for %.0f s",
                type(exc.storage_error).__name__,
                exc.storage_error,
                STORAGE_RETRY_SECONDS,
            )
    return _hit(_limiter(LOCAL_STORAGE), rule, email)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password (attempts are rate limited)."""
    if current_user.is_authenticated:
        return redirect_next()
    form = LoginForm()
    if form.validate_on_submit():
        if not _allow_login_attempt(form.email.data):
            flash("Too many sign-in attempts; wait a minute and try again.", "error")
            return render_template("accounts/login.html", form=form), 429
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect_next()
        flash("Wrong email or password.", "error")
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out, ending every session and remember cookie of the user."""
    accounts.end_sessions(current_user.id)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


def _settings(status: int = 200, **context):
    ws = g.workspace
    token_form = context.setdefault("form", TokenForm(formdata=None))
    token_form.role.choices = _token_roles()
    context.setdefault("password_form", PasswordForm(formdata=None))
    caps_form = context.setdefault("caps_form", CapsForm(formdata=None))
    daily = ledger.daily_cap(ws.id)
    if caps_form.daily_cap.data is None:
        caps_form.daily_cap.data = str(daily.normalize())
    page = render_template(
        "accounts/settings.html",
        tokens=accounts.tokens_of(ws.id),
        new_token=pop_secret("new_token"),
        daily_cap=daily,
        spent_today=ledger.spent_today(ws.id),
        **context,
    )
    return page, status


def _token_roles() -> list[str]:
    """The roles a token created by the current member may have (up to theirs)."""
    mine = ROLES.index(g.role)
    return [r for r in TOKEN_ROLES if ROLES.index(r) <= mine]


def stash_secret(key: str, value: str) -> None:
    """Keep a secret for the next page view only (Post/Redirect/Get): encrypted,
    since the session is a cookie the browser can read."""
    session[key] = crypto.encrypt(value)


def pop_secret(key: str) -> str | None:
    stored = session.pop(key, None)
    if not stored:
        return None
    try:
        return crypto.decrypt(stored)
    except crypto.SecretUnreadable:
        return None


@bp.get("/settings")
def settings():
    """Workspace settings: API tokens, cost caps, the workspace, and the user's
    password."""
    return _settings()


@bp.post("/settings/password")
def change_password():
    """Change one's own password; every other session of the user ends."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _settings(422, password_form=form)
    if not _allow_login_attempt(current_user.email):
        flash("Too many attempts; wait a minute and try again.", "error")
        return _settings(429, password_form=form)
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    try:
        user = accounts.change_password(
            current_user.id, form.current.data, form.new.data
        )
    except ServiceError as exc:
        form.current.errors.append(exc.message)
        return _settings(exc.status_code, password_form=form)
    # The new generation signed this session out too: sign it in again.
    login_user(user, remember=remember in request.cookies)
    flash("Password changed; your other sessions are signed out.", "info")
    return redirect(url_for("accounts.settings"))


@bp.post("/settings/tokens")
def create_token():
    """Create an API token, then show it once on the settings page (reloading
    that page creates nothing)."""
    form = TokenForm()
    form.role.choices = _token_roles()
    if not form.validate_on_submit():
        return _settings(422, form=form)
    _, raw = accounts.create_token(
        g.workspace.id, form.name.data, role=form.role.data, by_role=g.role
    )
    stash_secret("new_token", raw)
    return redirect(url_for("accounts.settings", _anchor="tokens"))


@bp.get("/settings/tokens/<int:token_id>/revoke")
def confirm_revoke_token(token_id: int):
    """Ask before revoking an API token."""
    token = accounts.get_token(g.workspace.id, token_id)
    return render_template(
        "components/confirm.html",
        title="Revoke API token",
        lines=[
            f"Revoke the token “{token.name}” ({token.prefix}…, acts as {token.role})?",
            "Every integration that sends it is refused from now on; this cannot "
            "be undone.",
        ],
        action=url_for("accounts.revoke_token", token_id=token.id),
        button="Revoke token",
        cancel=url_for("accounts.settings", _anchor="tokens"),
        form=ConfirmForm(),
    )


@bp.post("/settings/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke an API token."""
    accounts.revoke_token(g.workspace.id, token_id)
    flash("Token revoked.", "info")
    return redirect(url_for("accounts.settings", _anchor="tokens"))


@bp.post("/settings/caps")
def save_caps():
    """Set the workspace's daily cost cap (owners)."""
    form = CapsForm()
    if not form.validate_on_submit():
        return _settings(422, caps_form=form)
    try:
        ledger.set_daily_cap(g.workspace.id, form.daily_cap.data)
    except ServiceError as exc:
        form.daily_cap.errors.append(exc.message)
        return _settings(exc.status_code, caps_form=form)
    flash("Daily cost cap saved; running jobs apply it from their next batch.", "info")
    return redirect(url_for("accounts.settings", _anchor="caps"))


def _delete_page(form, status: int = 200):
    ws = g.workspace
    return render_template(
        "components/confirm.html",
        title=f"Delete the workspace {ws.name}",
        lines=[
            f"Deleting {ws.name} removes its members, invitations, API tokens, "
            "jobs, uploads, contacts, companies, searches, outreach data and "
            "settings, for everyone, at once. It cannot be undone.",
            "Members keep their accounts and their other workspaces.",
        ],
        action=url_for("accounts.delete_workspace"),
        button="Delete this workspace and its data",
        cancel=url_for("accounts.settings", _anchor="workspace"),
        form=form,
    ), status


@bp.get("/settings/workspace/delete")
def confirm_delete_workspace():
    """Ask for the workspace's name before deleting it (owners)."""
    return _delete_page(DeleteWorkspaceForm(formdata=None))


@bp.post("/settings/workspace/delete")
def delete_workspace():
    """Delete the current workspace and all its data (owners)."""
    form = DeleteWorkspaceForm()
    if not form.validate_on_submit():
        return _delete_page(form, 422)
    try:
        name = workspaces.delete_workspace(
            g.workspace.id, confirm_name=form.confirm_name.data
        )
    except ServiceError as exc:
        form.confirm_name.errors.append(exc.message)
        return _delete_page(form, exc.status_code)
    session.pop("workspace_id", None)
    flash(f"The workspace {name} and its data are deleted.", "info")
    return redirect(url_for("main.index"))


@bp.post("/workspaces/switch")
def switch_workspace():
    """Make another of the user's workspaces the current one."""
    form = SwitchWorkspaceForm()
    chosen = form.workspace_id.data if form.validate_on_submit() else None
    for ws, _role in user_workspaces():
        if ws.id == chosen:
            session["workspace_id"] = ws.id
            flash(f"You are now working in {ws.name}.", "info")
            return redirect(url_for("main.index"))
    return error_response(422, "Choose one of your workspaces.", code="no_workspace")
