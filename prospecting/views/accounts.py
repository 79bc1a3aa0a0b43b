"""Login, logout, the password change and workspace settings (API tokens)."""

import logging
import time

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from limits import parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from prospecting.auth import redirect_next
from prospecting.forms import LoginForm
from prospecting.forms import PasswordForm
from prospecting.forms import TokenForm
from prospecting.services import accounts
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
    context.setdefault("form", TokenForm(formdata=None))
    context.setdefault("password_form", PasswordForm(formdata=None))
    context.setdefault("new_token", None)
    page = render_template(
        "accounts/settings.html", tokens=accounts.tokens_of(g.workspace.id), **context
    )
    return page, status


@bp.get("/settings")
def settings():
    """Workspace settings: API tokens, and the user's password."""
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
    """Create an API token and show it once."""
    form = TokenForm()
    if not form.validate_on_submit():
        flash("Give the token a name.", "error")
        return redirect(url_for("accounts.settings"))
    _, raw = accounts.create_token(g.workspace.id, form.name.data)
    return _settings(new_token=raw)


@bp.post("/settings/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke an API token."""
    accounts.revoke_token(g.workspace.id, token_id)
    flash("Token revoked.", "info")
    return redirect(url_for("accounts.settings"))
