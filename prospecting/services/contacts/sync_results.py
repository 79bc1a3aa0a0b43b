"""What an Airtable sync job did, record by record: the records of its finished
chunks (newest first) with their outcome, and its counts by kind."""

from dataclasses import dataclass

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.services.contacts.airtable_sync import COMPANIES
from prospecting.services.contacts.airtable_sync import CONTACTS

RESULTS_SHOWN = 50


@dataclass(frozen=True)
class SyncRow:
    kind: str  # company | contact
    id: int
    name: str
    outcome: str  # synced | failed
    record_id: str | None
    error: str | None


def sync_results(job: Job, limit: int = RESULTS_SHOWN) -> list[SyncRow]:
    """The records of the job's last finished chunks, newest first (at most
    `limit`): read from the chunks' ids, so as many queries as chunks shown."""
    chunks = db.session.execute(
        select(JobBatch.kind, JobBatch.params)
        .where(
            JobBatch.job_id == job.id,
            JobBatch.kind.in_((COMPANIES, CONTACTS)),
            JobBatch.status == "done",
        )
        .order_by(JobBatch.updated_at.desc(), JobBatch.seq.desc())
        .limit(max(1, limit // 10 + 1))
    ).all()
    rows: list[SyncRow] = []
    for kind, params in chunks:
        model = Company if kind == COMPANIES else Contact
        ids = list((params or {}).get("ids") or [])
        records = db.session.execute(
            select(
                model.id, model.name, model.crm_record_id, model.sync_failed,
                model.sync_error,
            )
            .where(model.workspace_id == job.workspace_id, model.id.in_(ids))
            .order_by(model.id.desc())
        ).all()  # fmt: skip
        for record in records:
            rows.append(
                SyncRow(
                    kind="company" if kind == COMPANIES else "contact",
                    id=record.id,
                    name=record.name or "",
                    outcome="failed" if record.sync_failed else "synced",
                    record_id=record.crm_record_id,
                    error=record.sync_error if record.sync_failed else None,
                )
            )
    return rows[:limit]


def sync_counts(job: Job) -> dict[str, dict[str, int]]:
    """Records synced and failed so far, by kind (companies, contacts), from the
    counts the job's chunks keep."""
    counts = {"companies": {"synced": 0, "failed": 0},
              "contacts": {"synced": 0, "failed": 0}}  # fmt: skip
    for kind, success, failed in db.session.execute(
        select(JobBatch.kind, JobBatch.success_count, JobBatch.failed_count).where(
            JobBatch.job_id == job.id, JobBatch.kind.in_((COMPANIES, CONTACTS))
        )
    ):
        bucket = counts["companies" if kind == COMPANIES else "contacts"]
        bucket["synced"] += success or 0
        bucket["failed"] += failed or 0
    return counts
