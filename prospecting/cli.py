"""flask CLI commands for operators."""

import logging
import os
import sys
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import Workspace
from prospecting.models.accounts import ROLES
from prospecting.models.accounts import TOKEN_ROLES
from prospecting.services import accounts
from prospecting.services import jobs as jobs_service
from prospecting.services import members
from prospecting.services.errors import ServiceError

users = AppGroup("users", help="Manage users.")
tokens = AppGroup("tokens", help="Manage API tokens.")
jobs = AppGroup("jobs", help="Inspect and repair background jobs.")
demo = AppGroup("demo", help="Demo data.")
sync = AppGroup("sync", help="Sync the contact book to the CRM.")
providers = AppGroup("providers", help="Check the configured data providers.")
outreach = AppGroup("outreach", help="Creator outreach: publish due messages.")
keys = AppGroup("keys", help="SECRET_KEY rotation.")


def init_app(app) -> None:
    for group in (users, tokens, jobs, demo, keys):
        app.cli.add_command(group)
    app.cli.add_command(worker)
    app.cli.add_command(sync)
    app.cli.add_command(providers)
    app.cli.add_command(outreach)


def _fail(message: str):
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@users.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--workspace", required=True, help="Workspace name (created if missing).")
@click.option(
    "--operator",
    is_flag=True,
    default=None,
    help="May see and run the whole system's operations (workers, queue, "
    "periodic tasks).",
)
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="owner",
    show_default=True,
    help="Their role when they join the workspace (a member keeps theirs).",
)
def users_create(email, password, workspace, operator, role):
    """Create a user in a workspace (or reset the password of an existing one,
    ending their sessions)."""
    try:
        user = accounts.create_user(
            email, password, workspace=workspace, is_operator=operator, role=role
        )
    except ServiceError as exc:
        _fail(exc.message)
    operator_note = " (operator)" if user.is_operator else ""
    ws = _workspace(workspace)
    click.echo(
        f"User {user.email}{operator_note} is "
        f"{members.role_of(ws.id, user.id)} of workspace '{workspace}'."
    )


@users.command("set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_set_password(email, password):
    """Replace a user's password and end every session they had."""
    try:
        accounts.set_password(email, password)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"Password of {email} changed; their earlier sessions are ended.")


@users.command("set-operator")
@click.argument("email")
@click.option("--on/--off", "on", required=True, help="Grant or revoke.")
def users_set_operator(email, on):
    """Grant or revoke the operator flag (workers, queue, periodic tasks)."""
    try:
        user = accounts.set_operator(email, on)
    except ServiceError as exc:
        _fail(exc.message)
    state = "is now an operator" if user.is_operator else "is no longer an operator"
    click.echo(f"{user.email} {state}.")


@keys.command("rotate")
def keys_rotate():
    """Re-encrypt every stored provider secret under the current SECRET_KEY (run
    with the old key in SECRET_KEY_FALLBACKS, before removing it)."""
    from prospecting.services import keys as keys_service

    result = keys_service.rotate_stored_secrets()
    click.echo(f"Re-encrypted {result.rotated} stored secret(s) under SECRET_KEY.")
    if result.unreadable:
        _fail(
            f"{result.unreadable} stored secret(s) cannot be read with SECRET_KEY or "
            "SECRET_KEY_FALLBACKS; list the key they were written with, or enter "
            "them again."
        )


def _workspace(name: str) -> Workspace:
    ws = db.session.scalar(select(Workspace).where(Workspace.name == name))
    if ws is None:
        _fail(f"No workspace named '{name}'.")
    return ws


@tokens.command("create")
@click.option("--workspace", required=True, help="Workspace name.")
@click.option("--name", default="CLI token", help="A label for the token.")
@click.option(
    "--role",
    type=click.Choice(TOKEN_ROLES),
    default="member",
    show_default=True,
    help="What the token may do: viewer reads, member also starts jobs and ingests.",
)
def tokens_create(workspace, name, role):
    """Create an API token; the raw token is printed as the last line, once."""
    ws = _workspace(workspace)
    token, raw = accounts.create_token(ws.id, name, role=role)
    click.echo(f"Token {token.id} ({role}) for workspace '{ws.name}' (shown once):")
    click.echo(raw)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.option("--workspace", required=True, help="Workspace name.")
def tokens_revoke(token_id, workspace):
    """Revoke an API token by id."""
    ws = _workspace(workspace)
    try:
        accounts.revoke_token(ws.id, token_id)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"Token {token_id} revoked.")


@jobs.command("list")
@click.option("--status", default=None, help="Only jobs with this status.")
@click.option("--limit", default=20, show_default=True)
def jobs_list(status, limit):
    """List recent jobs of every workspace."""
    stmt = select(Job).order_by(Job.created_at.desc()).limit(limit)
    if status:
        stmt = stmt.where(Job.status == status)
    for job in db.session.scalars(stmt):
        click.echo(
            f"{job.id}  {job.kind:<12} {job.status:<10} "
            f"{job.progress_current}/{job.progress_total}  {job.title}"
        )


@jobs.command("show")
@click.argument("job_id")
def jobs_show(job_id):
    """Show one job's state and counters."""
    job = db.session.get(Job, job_id)
    if job is None:
        _fail(f"No job {job_id}.")
    for key in (
        "id",
        "kind",
        "status",
        "title",
        "progress_current",
        "progress_total",
        "success_count",
        "failed_count",
        "error_message",
        "created_at",
        "started_at",
        "completed_at",
    ):
        click.echo(f"{key}: {getattr(job, key)}")


@jobs.command("cancel")
@click.argument("job_id")
def jobs_cancel(job_id):
    """Cancel a queued or running job."""
    job = db.session.get(Job, job_id)
    if job is None:
        _fail(f"No job {job_id}.")
    try:
        jobs_service.cancel(job.workspace_id, job_id)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"Job {job_id} cancelled.")


def _send(batches) -> None:
    """Enqueue committed batches; say so when the queue cannot be reached."""
    from prospecting import tasks

    if not tasks.enqueue_batches(batches):
        click.echo(tasks.NOT_SENT_NOTICE, err=True)


@jobs.command("requeue-stale")
def jobs_requeue_stale():
    """Re-enqueue batches whose lease expired or that sat pending too long."""
    reaped = jobs_service.reap(include_pending=True)
    _send(reaped.requeue)
    click.echo(
        f"Re-enqueued {len(reaped.requeue)} batch(es); "
        f"gave up on {len(reaped.exhausted)}; "
        f"finished {len(reaped.finalised)} job(s)."
    )


@click.command("worker")
@click.option("-w", "--workers", default=4, show_default=True, help="Worker threads.")
def worker(workers):
    """Run the Huey consumer (threads); SIGINT lets running tasks finish."""
    from prospecting import tasks  # noqa: F401  (registers every task)
    from prospecting.extensions import huey

    if current_app.config["HUEY_STORAGE"] == "memory":
        _fail("HUEY_STORAGE is 'memory': a worker needs Redis or SQLite storage.")
    # An idle consumer polls at most once a second (Huey's default backs off to 10 s),
    # so a job started on a quiet system begins at once rather than seconds later.
    consumer = huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
        max_delay=1.0,
    )
    click.echo(
        f"Worker {os.getpid()} consuming {current_app.config['HUEY_STORAGE']} "
        f"queue with {workers} thread(s)."
    )
    from prospecting.tasks import ops as ops_tasks

    # The heartbeat feeds the ops page's worker list (alive / stale / gone).
    ops_tasks.start_heartbeat(current_app._get_current_object(), threads=workers)
    try:
        consumer.run()
    finally:
        ops_tasks.stop_heartbeat()


@demo.command("seed")
@click.option("--email", default="demo@example.com", show_default=True)
@click.option("--password", default="demo-password", show_default=True)
@click.option("--workspace", default="Demo", show_default=True)
def demo_seed(email, password, workspace):
    """Create the demo workspace and login and print them; with the sandbox on,
    fill the workspace so every page has something to show (idempotent).
    Outside production the demo user is an operator."""
    operator = None if current_app.config["PRODUCTION"] else True
    user = accounts.create_user(
        email, password, workspace=workspace, is_operator=operator
    )
    if current_app.config["SANDBOX_ENABLED"]:
        _seed_demo_workspace(_workspace(workspace), user)
    click.echo(f"Demo login: {email} / {password} (workspace '{workspace}')")


# Provider settings pointed at the sandbox while the demo's jobs run.
PROVIDER_URLS = {
    "EMAIL_VERIFIER_URL": "reacher",
    "COMPANY_ENRICHER_URL": "apollo",
    "ATTESTR_URL": "attestr",
    "AIRTABLE_URL": "airtable",
    "UNIPILE_DEFAULT_DSN": "unipile",
    "REACHSTREAM_URL": "reachstream",
    "OUTREACH_SENDER_URL": "chat",
}


def _seed_demo_workspace(ws, user) -> None:
    """Settings and outreach data; the first time, jobs that run at once on the
    engine against the sandbox, served by this process while they run (the app
    is not serving yet when `make run` seeds)."""
    from prospecting import tasks
    from prospecting.extensions import huey
    from prospecting.services import contacts
    from prospecting.services import demo as demo_service

    app = current_app._get_current_object()
    path = demo_service.seed_settings_and_outreach(
        ws.id, sandbox_url=app.config["SANDBOX_URL"]
    )
    click.echo(f"Email finder demo: /finder (contacts and companies), {path}")
    if demo_service.has_jobs(ws.id):
        click.echo("Demo workspace: already seeded.")
        return
    from werkzeug.serving import make_server

    quiet = logging.getLogger("werkzeug")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # not one access-log line per sandbox call
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sandbox = f"http://127.0.0.1:{server.server_port}/sandbox"
    saved = {key: app.config.get(key) for key in (*PROVIDER_URLS, "SANDBOX_URL")}
    immediate = huey.immediate
    try:
        app.config.update({k: f"{sandbox}/{path}" for k, path in PROVIDER_URLS.items()})
        app.config["SANDBOX_URL"] = sandbox
        huey.immediate = True
        job = demo_service.start_enrichment(ws.id, user.id)
        tasks.enqueue_batches(jobs_service.open_batches(job.id))
        added = contacts.start_import(ws.id, user.id, "enrichment", job.id)
        tasks.enqueue_batches(jobs_service.open_batches(added.id))
        fetch = demo_service.start_fetch(ws.id, user.id)
        tasks.enqueue_batches(jobs_service.open_batches(fetch.id))
    finally:
        huey.immediate = immediate
        app.config.update(saved)
        server.shutdown()
        thread.join(5)
        quiet.setLevel(level)
    for job_id in (job.id, fetch.id):
        done = jobs_service.get(ws.id, job_id)
        click.echo(f"Demo job {done.title}: {jobs_service.outcome(done).label}")


@sync.command("airtable")
@click.option("--workspace", default=None, help="Only this workspace (default: all).")
@click.option("--retry-failed", is_flag=True, help="Retry records whose sync failed.")
@click.option(
    "--update-strategy",
    type=click.Choice(["fill", "overwrite"]),
    default="fill",
    show_default=True,
    help="fill: write only the fields empty in Airtable; overwrite: the book wins.",
)
def sync_airtable(workspace, retry_failed, update_strategy):
    """Queue an Airtable sync of pending companies and contacts per workspace."""
    from prospecting.models import AirtableSettings
    from prospecting.services import contacts

    if workspace:
        targets = [_workspace(workspace)]
    else:
        targets = list(
            db.session.scalars(
                select(Workspace)
                .join(AirtableSettings, AirtableSettings.workspace_id == Workspace.id)
                .order_by(Workspace.name)
            )
        )
    if not targets:
        _fail("No workspace has Airtable configured.")
    errors = 0
    for ws in targets:
        try:
            job = contacts.start_sync(
                ws.id, retry_failed=retry_failed, update_strategy=update_strategy
            )
        except ServiceError as exc:
            click.echo(f"{ws.name}: {exc.message}", err=True)
            errors += 1
            continue
        _send(jobs_service.open_batches(job.id))
        db.session.refresh(job)
        click.echo(
            f"{ws.name}: sync job {job.id} {job.status} "
            f"({job.success_count} synced, {job.failed_count} failed so far)."
        )
    if errors:
        sys.exit(1)


@jobs.command("retry")
@click.argument("job_id")
def jobs_retry(job_id):
    """Retry a job's failed batches with their stored arguments."""
    from prospecting.services import ops

    try:
        batches = ops.retry_job(job_id)
    except ServiceError as exc:
        _fail(exc.message)
    _send([(b.id, b.kind) for b in batches])
    click.echo(f"Sent {len(batches)} failed batch(es) of job {job_id} again.")


@jobs.command("purge")
@click.option(
    "--older-than",
    required=True,
    help="Age of finished jobs to delete: 30d, 12h or 90m.",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def jobs_purge(older_than, dry_run):
    """Delete finished jobs (completed, failed, cancelled) older than an age, with
    their batches and rows."""
    from prospecting.services import ops

    try:
        age = ops.parse_age(older_than)
    except ServiceError as exc:
        _fail(exc.message)
    count = ops.purge_jobs(age, dry_run=dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb} {count} finished job(s) older than {older_than}.")


@providers.command("check")
@click.option("--only", default=None, help="Check only this provider.")
@click.option(
    "--spend",
    is_flag=True,
    help="Also run the checks that cost credits (Reacher, Apollo, Attestr).",
)
def providers_check(only, spend):
    """Call each configured provider once and report ok or the error; exits 1 if
    any failed. Says whether each check costs credits; those run only with
    --spend."""
    from prospecting.services import ops

    try:
        results = ops.check_providers(only, spend=spend)
    except ServiceError as exc:
        _fail(exc.message)
    for r in results:
        cost = "costs credits" if r.costs else "free"
        click.echo(f"{r.state:<7} {r.name:<14} {cost:<13} {r.ms:>6} ms  {r.detail}")
    failed = [r.name for r in results if not r.ok]
    if failed:
        _fail(f"{len(failed)} provider(s) failed: {', '.join(failed)}.")


@outreach.command("publish")
def outreach_publish():
    """Run the outreach publisher once (what the worker does every minute)."""
    from prospecting.services import outreach as outreach_service

    batches = outreach_service.publish()
    _send(batches)
    click.echo(f"Queued {len(batches)} dispatch batch(es).")
