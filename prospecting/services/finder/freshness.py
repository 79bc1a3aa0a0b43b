"""Freshness: contacts whose verification is older than the workspace's window
are verified again by a job under the cost caps; an address that went bad is
flagged (and its contact marked changed, so the next Airtable sync updates it)."""

from datetime import timedelta

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import Job
from prospecting.models import Workspace
from prospecting.models.base import utcnow
from prospecting.services import jobs
from prospecting.services import ledger
from prospecting.services.errors import InvalidInput
from prospecting.services.finder import waterfall
from prospecting.services.finder.settings import freshness_days
from prospecting.services.finder.settings import provider_order
from prospecting.services.jobs.lifecycle import NewBatch

KIND = "freshness"
ROWS = "freshness.rows"
BATCH_SIZE = 50
GOOD = ("valid", "risky")


def conditions_from(values, workspace_id: int) -> dict:
    """A run's conditions from a form: only unknown verdicts, only verifications
    older than N days (default: the workspace's freshness window)."""
    days = str(values.get("older_than_days") or "").strip()
    only_unknown = bool(values.get("only_unknown"))
    if days and not days.isdigit():
        raise InvalidInput("Older than: a whole number of days.", code="bad_days")
    return {
        "only_unknown": only_unknown,
        "older_than_days": int(days) if days else
        (None if only_unknown else freshness_days(workspace_id)),
    }  # fmt: skip


def due_contacts(
    workspace_id: int, days: int | None = None, *, conditions: dict | None = None
) -> list[int]:
    """Ids of the contacts a run would verify: by default those whose last
    verification is older than the freshness window; `conditions` may ask for
    only unknown verdicts and/or verifications older than N days."""
    if conditions is None:
        conditions = {"older_than_days": days or freshness_days(workspace_id)}
    query = (
        select(Contact.id)
        .where(Contact.workspace_id == workspace_id)
        .where(Contact.email.is_not(None))
        .order_by(Contact.id)
    )
    if conditions.get("only_unknown"):
        query = query.where(Contact.email_verdict == "unknown")
    if conditions.get("older_than_days"):
        cutoff = utcnow() - timedelta(days=int(conditions["older_than_days"]))
        query = query.where(Contact.email_verified_at < cutoff)
    return list(db.session.scalars(query))


def estimate(
    workspace_id: int, conditions: dict | None = None, *, ids: list[int] | None = None
) -> ledger.Estimate:
    """The cost of a run: only the contacts it will verify, down the waterfall
    (`ids`: only these contacts, e.g. a list's)."""
    count = len(_only(due_contacts(workspace_id, conditions=conditions), ids))
    order = provider_order(workspace_id, "email_verification")
    lines = [
        (f"Verifications ({adapter.label})", adapter.provider, adapter.endpoint,
         round(calls), 0)
        for adapter, calls in waterfall.expected_calls(
            "email_verification", order, count
        )
    ]  # fmt: skip
    return ledger.estimate(lines)


def _only(due: list[int], ids: list[int] | None) -> list[int]:
    if ids is None:
        return due
    keep = set(ids)
    return [i for i in due if i in keep]


def open_job(workspace_id: int) -> str | None:
    """The id of the workspace's re-verification still queued, running or paused."""
    return db.session.scalar(
        select(Job.id)
        .where(Job.workspace_id == workspace_id, Job.kind == KIND)
        .where(Job.status.in_(("queued", "running", "paused")))
    )


def start(
    workspace_id: int,
    user_id: int | None = None,
    conditions: dict | None = None,
    *,
    ids: list[int] | None = None,
) -> Job | None:
    """A re-verification job over the contacts its conditions select (default:
    the stale ones; `ids`: only among these; committed), or None when none is
    due or one is open."""
    if open_job(workspace_id):
        return None
    ids = _only(due_contacts(workspace_id, conditions=conditions), ids)
    if not ids:
        return None
    job = jobs.create(
        KIND,
        {"days": freshness_days(workspace_id), "conditions": conditions or {}},
        [
            NewBatch(ROWS, params={"ids": ids[i : i + BATCH_SIZE]})
            for i in range(0, len(ids), BATCH_SIZE)
        ],
        workspace_id=workspace_id,
        user_id=user_id,
        title=f"Re-verify {len(ids)} contacts",
        total=len(ids),
    )
    db.session.commit()
    return job


def due_jobs() -> list[Job]:
    """Start the re-verification of every workspace with stale contacts."""
    started = []
    for workspace_id in db.session.scalars(select(Workspace.id)):
        job = start(workspace_id)
        if job is not None:
            started.append(job)
    return started


def work(run: jobs.Run) -> jobs.Result:
    """Verify a batch's contacts again (no cached verdict is trusted)."""
    order = provider_order(run.job.workspace_id, "email_verification")
    contacts = db.session.scalars(
        select(Contact)
        .where(Contact.id.in_(run.batch.params["ids"]))
        .where(Contact.workspace_id == run.job.workspace_id)
        .order_by(Contact.id)
    ).all()
    bad = checked = 0
    for contact in run.each(contacts):
        if not contact.email:
            continue
        answer = waterfall.verify(contact.email, order, fresh=True)
        checked += 1
        if apply(contact, answer):
            bad += 1
        run.extend()
        db.session.commit()
    return jobs.Done(success=checked - bad, failed=bad)


def apply(contact: Contact, answer: waterfall.Answer) -> bool:
    """Record a verification on a contact; True when its address went bad."""
    now = utcnow()
    if answer.value is None:
        return False
    verdict = answer.value.verdict
    went_bad = verdict == "invalid" and contact.email_verdict != "invalid"
    contact.email_verdict, contact.email_verified_at = verdict, now
    contact.email_provenance = answer.provenance()
    if went_bad:
        contact.email_bad = True
        contact.updated_at = now  # pending for the next Airtable sync
    elif verdict in GOOD:
        contact.email_bad = False
    return went_bad


def bad_contacts(workspace_id: int) -> list[Contact]:
    """The smart list of people whose address went bad."""
    return list(
        db.session.scalars(
            select(Contact)
            .where(Contact.workspace_id == workspace_id, Contact.email_bad.is_(True))
            .order_by(Contact.email_verified_at.desc())
        )
    )
