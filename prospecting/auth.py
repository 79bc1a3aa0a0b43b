"""Login for every page, workspace scoping, roles and API tokens."""

import functools
import hmac
from urllib.parse import urlsplit

from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user
from sqlalchemy import bindparam
from sqlalchemy import select

from prospecting.errors import error_response
from prospecting.extensions import db
from prospecting.extensions import login_manager
from prospecting.models import Membership
from prospecting.models import User
from prospecting.models import Workspace
from prospecting.models.accounts import ROLES
from prospecting.services import accounts

# Who may call what: every endpoint of the app, by the least role it needs. A
# workspace member's role (pages) or an API token's role (the JSON API) is checked
# against it in one before_request hook, `authorize`; the pages ask `can()` to
# hide what the role cannot do. The policy: reading needs viewer; changing
# anything needs member, except managing providers, Airtable, tokens and members
# (admin) and the workspace's daily cap and its deletion (owner); a page that only
# serves one of those actions (its form or its confirmation) needs that action's
# role. A user's own session (sign out, password, switching workspace) needs only
# viewer. An endpoint missing here needs OWNER, so a new route is never open by
# accident (tests/test_security_sweep.py fails until it is listed).
PUBLIC, VIEWER, MEMBER, ADMIN, OWNER = "public", *ROLES
# The whole system's operations (workers, queue, periodic tasks): the user's
# operator flag, whatever their role.
OPERATOR = "operator"
RULES: dict[str, set[str]] = {
    PUBLIC: {
        "accounts.login",
        "members.accept",  # the invitation link: it signs in or signs up itself
        "static",
        "api.health",
        "api.openapi",
    },
    VIEWER: {
        "main.index",
        "accounts.settings",
        "accounts.change_password",
        "accounts.logout",
        "accounts.switch_workspace",
        "members.index",
        "webhooks.index",
        "webhooks.show",
        "api.list_webhooks",
        "api.webhook_deliveries",
        "enrichment.index",
        "enrichment.preview",
        "enrichment.show",
        "enrichment.results",
        "enrichment.export",
        "enrichment.errors",
        "jobs.progress",
        "searches.index",
        "searches.show",
        "searches.profiles",
        "searches.export",
        "prospects.index",
        "prospects.account",
        "prospects.estimate",
        "prospects.locations",
        "prospects.show",
        "prospects.table",
        "prospects.export",
        "contacts.index",
        "finder.index",
        "finder.estimate",
        "finder.job",
        "finder.bad",
        "contacts.export",
        "contacts.export_companies",
        "contacts.show",
        "contacts.companies",
        "contacts.company_options",
        "contacts.company",
        "contacts.fetch_job",
        "contacts.import_job",
        "contacts.kept_out",
        "contacts.sync_job",
        "contacts.airtable",
        "contacts.failed",
        "contacts.pending",
        "contacts.stats",
        "contacts.duplicates_index",
        "contacts.merges",
        "api.list_duplicates",
        "lists.index",
        "lists.show",
        "lists.export",
        "lists.export_selection",
        "lists.job",
        "api.list_lists",
        "api.show_list",
        "api.export_list",
        "outreach.index",
        "outreach.creators_table",
        "outreach.creator",
        "outreach.samples",
        "outreach.task_list",
        "outreach.task",
        "outreach.rules",
        "outreach.rule_reach",
        "outreach.schedules",
        "outreach.messages",
        "outreach.upcoming",
        "ops.index",
        "ops.active",
        "ops.failed",
        "ops.providers",
        "ops.throughput",
        "api.status",
        "api.list_contacts",
        "api.show_contact",
        "api.list_companies",
        "api.show_company",
        "api.import_status",
        "api.results",
        "api.export_contacts",
        "api.export_companies",
        "api.show_people_search",
        "api.people_search_results",
        "api.prospect_job_status",
        "api.prospect_job_results",
    },
    MEMBER: {
        "enrichment.upload",
        "enrichment.start",
        "enrichment.rerun_form",
        "enrichment.rerun",
        "jobs.cancel",
        "jobs.resume",  # its daily_cap field needs OWNER (FIELD_RULES)
        "jobs.retry",
        "jobs.rerun_exactly",
        "searches.create",
        "searches.save",
        "searches.run_saved",
        "searches.delete_saved",
        "prospects.create",
        "contacts.edit",
        "contacts.update",
        "contacts.create_company",
        "contacts.update_company",
        "contacts.fetch",
        "contacts.import_enrichment",
        "contacts.import_people_search",
        "contacts.import_prospects",
        "contacts.import_csv_form",
        "contacts.import_csv",
        "contacts.import_csv_preview",
        "contacts.import_csv_start",
        "contacts.new",
        "contacts.create",
        "contacts.start_sync",
        "contacts.merge_preview",
        "contacts.merge",
        "contacts.undo_merge",
        "contacts.confirm_delete",
        "contacts.delete",
        "contacts.erase_form",
        "contacts.erase",
        "api.erase_contact",
        "api.merge_contacts",
        "lists.create",
        "lists.rename",
        "lists.delete",
        "lists.sync",
        "lists.reverify",
        "lists.bulk",
        "lists.import_to_list",
        "lists.contact_tags",
        "lists.company_tags",
        "api.create_list",
        "api.update_list",
        "api.delete_list",
        "api.add_list_members",
        "api.remove_list_members",
        "outreach.save_rule",
        "outreach.edit_rule",
        "outreach.update_rule",
        "outreach.confirm_delete_rule",
        "outreach.delete_rule",
        "ops.retry",
        "ops.cancel",
        "ops.requeue",
        "api.upload",
        "api.create_people_search",
        "api.create_prospect_job",
        "api.contacts_fetch",
        "api.email_finder",
        "finder.find",
        "finder.start_bulk",
        "finder.reverify",
        "api.create_contact",
        "api.update_contact",
        "api.delete_contact",
        "api.import_contacts",
        "api.ingest_samples",
        "api.ingest_creators",
        "api.ingest_task",
        "api.chatbot_messages",
    },
    ADMIN: {
        "accounts.create_token",
        "accounts.confirm_revoke_token",
        "accounts.revoke_token",
        "members.invite",
        "members.revoke_invitation",
        "members.change_role",
        "members.confirm_remove",
        "members.remove",
        "prospects.save_account",
        "prospects.test_account",
        "prospects.remove_account",
        "contacts.save_airtable",
        "contacts.unmap_missing_fields",
        "finder.save_settings",
        "webhooks.create",
        "webhooks.resend",
        "webhooks.confirm_delete",
        "webhooks.delete",
        "api.create_webhook",
        "api.delete_webhook",
    },
    OWNER: {
        "accounts.save_caps",
        "accounts.confirm_delete_workspace",
        "accounts.delete_workspace",
    },
    OPERATOR: {
        "ops.queue",
        "ops.periodic",
        "ops.run_now",
        "searches.proxies",
    },
}
# Blueprints none of whose routes need a login: the fake providers (development).
PUBLIC_BLUEPRINTS = {"sandbox"}
# Form fields that need more than their endpoint: sent non-blank, they need this role.
FIELD_RULES: dict[str, dict[str, str]] = {"jobs.resume": {"daily_cap": OWNER}}
# What each role may do, in words, for the 403 message.
DOES = {
    MEMBER: "runs jobs and edits contacts",
    ADMIN: "manages providers, Airtable, API tokens and members",
    OWNER: "manages the cost caps and can delete the workspace",
}
_LEVEL_OF = {endpoint: level for level, names in RULES.items() for endpoint in names}

# One query for the user, their workspaces and their role in each: every page (and
# every progress poll) needs them. Built once; building the statement cost more than
# running it.
USER_WITH_WORKSPACES = (
    select(User, Workspace, Membership.role)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Workspace, Workspace.id == Membership.workspace_id)
    .where(User.id == bindparam("user_id"))
    .order_by(Workspace.id)
)


def level_of(endpoint: str) -> str:
    """The least role an endpoint needs (OWNER for one the table does not know)."""
    if endpoint.split(".")[0] in PUBLIC_BLUEPRINTS:
        return PUBLIC
    return _LEVEL_OF.get(endpoint, OWNER)


def allows(role: str | None, level: str, *, operator: bool = False) -> bool:
    """Whether a member of `role` (an operator or not) may do what `level` guards."""
    if level == PUBLIC:
        return True
    if level == OPERATOR:
        return operator and role in ROLES
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(level)


def init_app(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to continue."
    # Before authorize, which runs the request's first query (the user).
    app.before_request(_read_without_transaction)
    app.before_request(authorize)
    app.add_template_global(can)
    app.add_template_global(user_workspaces)


def read_only(view):
    """Mark a GET view that never writes: its queries run outside a transaction.
    (An API view may be marked: the token's last-used stamp, its once-a-minute
    write, is a single statement that commits on its own in autocommit.)"""
    view.read_only = True
    return view


def _read_without_transaction():
    # Autocommit saves the BEGIN and ROLLBACK round trips, two of the five a
    # progress poll made; each statement still reads committed data, as before.
    # A session already in a transaction (a test's) keeps it.
    if request.method != "GET":
        return
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "read_only", False):
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
    g.user_workspaces = [(ws, role) for _, ws, role in rows if ws is not None]
    return user


def _forget_identity() -> None:
    # A stale cookie is dropped (the remember cookie cleared) rather than tried
    # again on every request.
    session.pop("_user_id", None)
    session["_remember"] = "clear"
    return None


def authorize():
    """The one access check of every request: who is calling (a signed-in member
    of the current workspace, or an API token) and whether their role may call
    this endpoint (RULES). Answers 302 to the login page, 401 (API) or 403."""
    if request.endpoint is None:
        return None  # no route: the 404 or 405 answers
    level = level_of(request.endpoint)
    if level == PUBLIC:
        return None
    if request.blueprint == "api":
        if not _authenticate_token():
            return error_response(401, _token_required_message(), code="unauthorized")
        operator = False
    else:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        g.workspace, g.role = _current_workspace()
        if g.workspace is None:
            return error_response(
                403,
                "You are not a member of any workspace: ask a workspace's admin "
                "for an invitation.",
                code="no_workspace",
            )
        operator = current_user.is_operator
    if not allows(g.role, level, operator=operator):
        return error_response(403, _refusal(level), code="forbidden")
    for field, needed in FIELD_RULES.get(request.endpoint, {}).items():
        if (request.form.get(field) or "").strip() and not allows(g.role, needed):
            return error_response(403, _refusal(needed), code="forbidden")
    return None


def can(endpoint: str, field: str | None = None) -> bool:
    """Whether the current user's role may call the endpoint (and send the field):
    the pages show a button, a form or a link only when it would be allowed."""
    if field is not None:
        level = FIELD_RULES.get(endpoint, {}).get(field, level_of(endpoint))
    else:
        level = level_of(endpoint)
    operator = current_user.is_authenticated and current_user.is_operator
    return allows(g.get("role"), level, operator=operator)


def _refusal(level: str) -> str:
    """The 403 message: what is needed, and what the caller is."""
    if level == OPERATOR:
        return "This part shows the whole system: it needs an operator."
    who = "This API token" if request.blueprint == "api" else "Your role"
    role = g.get("role") or "none"
    where = f" in {g.workspace.name}" if "workspace" in g else ""
    return (
        f"{who}{where} is {role}: this needs {level} or above "
        f"(the {level} {DOES.get(level, 'reads')})."
    )


def _token_required_message() -> str:
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "api_family", None) == "ingest":
        return (
            "A valid API token is required (X-INFound-Inner-Service-Token, "
            "X-API-Key or Authorization: Bearer)."
        )
    return "A valid API token is required (X-API-Key or Authorization: Bearer)."


def _authenticate_token() -> bool:
    """Read the request's API token; a live one sets its workspace and role."""
    raw = (request.headers.get("X-API-Key") or "").strip()
    header = request.headers.get("Authorization", "")
    if not raw and header.lower().startswith("bearer "):
        raw = header[7:].strip()
    if not raw:
        raw = request.headers.get("X-INFound-Inner-Service-Token", "").strip()
    found = accounts.token_access(raw)
    if found is None:
        return False
    g.api_workspace_id, g.role = found
    return True


def _current_workspace():
    """The session's workspace (else the user's first) and the user's role in it."""
    choices = g.get("user_workspaces")
    if choices is None:
        choices = accounts.workspaces_with_roles(current_user.id)
    chosen = session.get("workspace_id")
    for ws, role in choices:
        if ws.id == chosen:
            return ws, role
    return choices[0] if choices else (None, None)


def user_workspaces() -> list:
    """The signed-in user's (workspace, role) pairs, oldest workspace first."""
    choices = g.get("user_workspaces")
    if choices is None:
        choices = accounts.workspaces_with_roles(current_user.id)
    return choices


def workspace_id() -> int:
    """The current request's workspace id (page or API)."""
    return g.workspace.id if "workspace" in g else g.api_workspace_id


def token_required(fn):
    """An API view: `authorize` has read the token (RULES lists every API route);
    this only guards a view reached some other way."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if "api_workspace_id" not in g:
            return error_response(401, _token_required_message(), code="unauthorized")
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
