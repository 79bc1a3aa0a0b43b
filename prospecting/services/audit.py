"""Audit: what a job ran with, recorded once when its row is inserted (inputs digest,
the kind's audit fields, providers with their URLs and prices, app version), and
the trail of actions on people's data (`record`: who deleted, erased or merged)."""

import functools
import hashlib
import json
import os
import subprocess
import tomllib
from pathlib import Path

from flask import current_app
from flask import has_app_context
from sqlalchemy import event

from prospecting.extensions import db
from prospecting.models import AuditEvent
from prospecting.models import Job
from prospecting.models.base import utcnow
from prospecting.services.jobs import kinds

ROOT = Path(__file__).resolve().parents[2]
# provider -> (config key of its base URL, the API contract our client speaks)
PROVIDER_APIS = {
    "emails": ("EMAIL_VERIFIER_URL", "Reacher /v1/check_email"),
    "companies": ("COMPANY_ENRICHER_URL", "Apollo /api/v1/organizations/enrich"),
    "hunter": ("HUNTER_URL", "Hunter /v2 email-finder, email-verifier"),
    "pdl": ("PDL_URL", "People Data Labs /v5/company/enrich"),
    "reachstream": ("REACHSTREAM_URL", "ReachStream /api/v2 async records"),
    "unipile": ("UNIPILE_DEFAULT_DSN", "Unipile /api/v1 linkedin/search"),
    "attestr": ("ATTESTR_URL", "Attestr /api/v2 mca-cin-contact"),
    "airtable": ("AIRTABLE_URL", "Airtable /v0 records"),
    "sender": ("OUTREACH_SENDER_URL", "message sender webhook"),
}
# Params that steer a run without changing what it computes.
NOT_INPUTS = ("audit", "cost_cap")


@functools.cache
def app_version() -> str:
    """The app's version from pyproject.toml."""
    try:
        with open(ROOT / "pyproject.toml", "rb") as f:
            return tomllib.load(f)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


@functools.cache
def git_commit() -> str | None:
    """The deployed commit: GIT_COMMIT, else `git rev-parse HEAD`, else None."""
    if os.environ.get("GIT_COMMIT"):
        return os.environ["GIT_COMMIT"][:40]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=2,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()[:40] or None


def inputs_of(params: dict) -> dict:
    return {k: v for k, v in (params or {}).items() if k not in NOT_INPUTS}


def inputs_digest(params: dict) -> str:
    """sha256 of a job's inputs in canonical JSON: equal digests, equal inputs."""
    canonical = json.dumps(inputs_of(params), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def audit_inputs(kind: str, params: dict) -> dict:
    """The audit record of a job: inputs digest, the kind's audit fields,
    providers, versions."""
    cfg = current_app.config
    spec = kinds.get(kind)
    providers = {}
    for name in spec.providers:
        key, api = PROVIDER_APIS[name]
        providers[name] = {
            "base_url": cfg.get(key),
            "api": api,
            "prices": cfg["PROVIDER_PRICES"].get(name, {}),
        }
    record = {
        "recorded_at": utcnow().isoformat(timespec="seconds"),
        "app_version": app_version(),
        "git_commit": git_commit(),
        "inputs_sha256": inputs_digest(params),
        "providers": providers,
    }
    for audit_key, param_key in spec.audit_fields.items():
        record[audit_key] = (params or {}).get(param_key)
    return record


@event.listens_for(Job, "before_insert")
def _record_audit(mapper, connection, job: Job) -> None:
    # One hook for every kind: however a job row is built, it is audited.
    if not has_app_context():
        return
    params = dict(job.params or {})
    if "audit" not in params:
        params["audit"] = audit_inputs(job.kind, params)
        job.params = params


def record(
    workspace_id: int,
    action: str,
    subject: str,
    *,
    user_id: int | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (who: `user_id`, or None
    for an API token; when: now). Never pass personal data in `details`."""
    event = AuditEvent(
        workspace_id=workspace_id,
        user_id=user_id,
        action=action,
        subject=subject[:120],
        details=dict(details or {}),
    )
    db.session.add(event)
    return event


def trail(workspace_id: int, *, subject: str | None = None) -> list[AuditEvent]:
    """The workspace's audit events, newest first (of one subject if given)."""
    query = db.session.query(AuditEvent).filter_by(workspace_id=workspace_id)
    if subject:
        query = query.filter_by(subject=subject)
    return query.order_by(AuditEvent.id.desc()).limit(500).all()
