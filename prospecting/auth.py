"""Login for every page, workspace scoping and API tokens."""

import functools
import hmac
from urllib.parse import urlsplit

from flask import abort
from flask import current_app
from flask import g
from flask import jsonify
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user
from sqlalchemy import bindparam
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.extensions import login_manager
from prospecting.models import Membership
from prospecting.models import User
from prospecting.models import Workspace
from prospecting.services import accounts

# Endpoints reachable without a logged-in user; API endpoints check their own token.
PUBLIC_ENDPOINTS = {"accounts.login", "static", "api.health"}
PUBLIC_BLUEPRINTS = {"sandbox", "api"}

# One query for the user and their workspaces: every page (and every progress poll)
# needs both. Built once; building the statement cost more than running it.
USER_WITH_WORKSPACES = (
    select(User, Workspace)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Workspace, Workspace.id == Membership.workspace_id)
    .where(User.id == bindparam("user_id"))
    .order_by(Workspace.id)
)


def init_app(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to continue."
    # Before require_login, which runs the request's first query (the user).
    app.before_request(_read_without_transaction)
    app.before_request(require_login)


def read_only(view):
    """Mark a GET view that never writes: its queries run outside a transaction."""
    view.read_only = True
    return view


def _read_without_transaction():
    # Autocommit saves the BEGIN and ROLLBACK round trips, two of the five a
    # progress poll made; each statement still reads committed data, as before.
    # A session already in a transaction (a test's) keeps it.
    view = current_app.view_functions.get(request.endpoint)
    if request.method != "GET" or not getattr(view, "read_only", False):
        return
    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@login_manager.user_loader
def load_user(session_id: str):
    """The user of a session or remember cookie ("<id>:<generation>", see
    User.get_id), unless the user has since logged out or changed password."""
    user_id, _, generation = str(session_id).partition(":")
    if not (user_id.isascii() and user_id.isdigit() and generation):
        return _forget_identity()
    rows = db.session.execute(USER_WITH_WORKSPACES, {"user_id": int(user_id)}).all()
    if not rows or not hmac.compare_digest(
        rows[0][0].session_generation.encode(), generation.encode()
    ):
        return _forget_identity()
    user = rows[0][0]
    g.user_workspaces = [ws for _, ws in rows if ws is not None]
    return user


def _forget_identity() -> None:
    # A stale cookie is dropped (the remember cookie cleared) rather than tried
    # again on every request.
    session.pop("_user_id", None)
    session["_remember"] = "clear"
    return None


def require_login():
    """Every page but the public ones needs a logged-in user with a workspace."""
    if request.endpoint is None:
        return None
    blueprint = request.endpoint.split(".")[0]
    if request.endpoint in PUBLIC_ENDPOINTS or blueprint in PUBLIC_BLUEPRINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    g.workspace = _current_workspace()
    if g.workspace is None:
        abort(403)
    return None


def _current_workspace():
    workspaces = g.get("user_workspaces")
    if workspaces is None:
        workspaces = accounts.workspaces_of(current_user.id)
    chosen = session.get("workspace_id")
    for ws in workspaces:
        if ws.id == chosen:
            return ws
    return workspaces[0] if workspaces else None


def workspace_id() -> int:
    """The current request's workspace id (page or API)."""
    return g.workspace.id if "workspace" in g else g.api_workspace_id


def operator_required(view):
    """Pages of the whole system (workers, queue, periodic tasks): operators only."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def token_required(fn):
    """API views: a token in X-API-Key or Authorization: Bearer, else 401 JSON."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        raw = request.headers.get("X-API-Key") or ""
        header = request.headers.get("Authorization", "")
        if not raw and header.lower().startswith("bearer "):
            raw = header[7:].strip()
        if not raw:
            raw = request.headers.get("X-INFound-Inner-Service-Token", "")
        ws = accounts.workspace_for_token(raw)
        if ws is None:
            return jsonify(
                {
                    "error": {
                        "code": "unauthorized",
                        "message": "A valid API token is required (X-API-Key or "
                        "Authorization: Bearer).",
                        "details": None,
                    }
                }
            ), 401
        g.api_workspace_id = ws
        return fn(*args, **kwargs)

    return wrapper


def safe_next(target: str | None) -> str:
    """A same-site relative path to go to after login, else the home page."""
    if not target:
        return url_for("main.index")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return url_for("main.index")
    if "\\" in target:
        return url_for("main.index")
    return target


def redirect_next():
    return redirect(safe_next(request.args.get("next") or request.form.get("next")))
