"""Fetching a prospect search's pages: one provider page per job batch, its new
prospects stored once per job and provider id, the next page carrying the cursor."""

import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from prospecting import crypto
from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import Prospect
from prospecting.models.base import utcnow
from prospecting.providers import unipile
from prospecting.services import jobs
from prospecting.services.prospects.account import NO_ACCOUNT
from prospecting.services.prospects.account import credentials
from prospecting.services.prospects.account import disconnect
from prospecting.services.prospects.account import get_account
from prospecting.services.prospects.criteria import cap
from prospecting.services.prospects.criteria import page_size
from prospecting.services.prospects.runs import PAGE

TIMEOUT = "Job timeout"
_now, _sleep = time.time, time.sleep  # the pacing's clock (tests replace it)


def fetch_page(run: jobs.Run) -> jobs.Result:
    """Fetch one page, store its new prospects, and add the next page, in one commit.

    The page's prospects, the job's progress and the next page's batch (carrying
    the provider's cursor) commit together with this page's completion, so a
    killed worker resumes from the stored cursor and a page run twice stores
    nothing twice. The next page calls the provider PROSPECT_PAGE_DELAY_SECONDS
    after this page's answer (when its headers came): it is queued
    PROSPECT_PAGE_LEAD_SECONDS early (the queue's scheduler wakes once a second
    and an idle worker polls, so a page queued on time starts late) and waits out
    the rest of the delay itself, everything but the request done before.
    """
    job, batch = run.job, run.batch
    if _timed_out(job):
        return jobs.Failed(TIMEOUT)
    account = get_account(job.workspace_id)
    if account is None or not account.is_active:
        return jobs.Failed(NO_ACCOUNT)
    try:
        creds = credentials(account)
    except crypto.SecretUnreadable as exc:
        db.session.rollback()
        disconnect(job.workspace_id, str(exc))
        return jobs.Failed(f"{exc} Enter the API key again in the account settings.")
    _wait_for_its_time(batch)
    page = _search(job, batch, creds)
    # The delay runs from the provider's answer: storing the page overlaps it.
    return _store_page(run, page, answered=page.answered_at or _now())


def _wait_for_its_time(batch: JobBatch) -> None:
    """Sleep until the page's `not_before` when it was sent ahead of its delay: by
    the lead when the queue's scheduler sends it, by more when something else sent
    it early (a resumed job); a page retried or requeued later never waits. At
    most the delay, should a worker's clock be behind the one that set it."""
    not_before = batch.params.get("not_before")
    if not isinstance(not_before, int | float):
        return
    delay, _ = _pacing()
    wait = min(not_before - _now(), delay)
    if wait > 0:
        db.session.commit()  # no transaction is held while waiting
        _sleep(wait)


def _search(job: Job, batch: JobBatch, creds) -> unipile.SearchPage:
    api = job.params["api"]
    cursor = batch.params.get("cursor")
    return unipile.search(
        creds,
        limit=page_size(api),
        params=None if cursor else job.params["provider_params"],
        cursor=cursor,
        clock=_now,
    )


def _timed_out(job: Job) -> bool:
    limit = current_app.config["PROSPECT_JOB_TIME_LIMIT_SECONDS"]
    started = job.started_at or job.created_at
    return utcnow() - started > timedelta(seconds=limit)


def _store_page(run: jobs.Run, page, *, answered: float) -> jobs.Result:
    job, batch = run.job, run.batch
    target = job.params["target"]
    fresh = _unseen(job.id, page.people)[: max(0, target - job.progress_current)]
    run.extend()
    try:
        inserted = _insert(job.id, batch.seq, fresh)
        fetched = job.progress_current + inserted
        more = bool(page.cursor and page.people and fetched < target)
        total = _expected_total(job, page, fetched, more)
        db.session.execute(
            update(Job).where(Job.id == job.id).values(progress_total=total)
        )
        next_batch = None
        delay, lead = _pacing()
        if more:
            params = {"cursor": page.cursor}
            if lead > 0:
                params["not_before"] = answered + delay
            next_batch = jobs.add_batch(
                job.id, kind=PAGE, seq=batch.seq + 1, params=params
            )
            db.session.flush()
    except IntegrityError:
        # Another run of this page committed first: its result stands.
        db.session.rollback()
        return None
    then = ()
    if next_batch is not None:
        # Queued `lead` seconds before its time (never before now).
        then = ((next_batch.id, max(0.0, answered + delay - lead - _now())),)
    return jobs.Done(success=inserted, then=then)


def _pacing() -> tuple[float, float]:
    """The delay between pages, and how much earlier than that a page is sent."""
    cfg = current_app.config
    delay = float(cfg["PROSPECT_PAGE_DELAY_SECONDS"])
    return delay, max(0.0, min(float(cfg["PROSPECT_PAGE_LEAD_SECONDS"]), delay))


def _expected_total(job: Job, page, fetched: int, more: bool) -> int:
    """The target, lowered to what the provider can return (its total and cap)."""
    if not more:
        return fetched
    total = job.params["target"]
    if page.total_count is not None:
        total = min(total, page.total_count, cap(job.params["api"]))
    return max(total, fetched)


def _unseen(job_id: str, people: list) -> list:
    """The page's people not yet stored for the job, without repeats, in page order."""
    ids = [p.provider_id for p in people]
    stored = set(
        db.session.scalars(
            select(Prospect.provider_id).where(
                Prospect.job_id == job_id, Prospect.provider_id.in_(ids)
            )
        )
    )
    unique = {}
    for person in people:
        if person.provider_id not in stored:
            unique.setdefault(person.provider_id, person)
    return list(unique.values())


def _insert(job_id: str, seq: int, people: list) -> int:
    """Insert prospects, skipping any already stored; returns how many were new."""
    if not people:
        return 0
    now = utcnow()
    rows = [
        {
            "job_id": job_id,
            "batch": seq,
            "provider_id": p.provider_id,
            "name": p.name,
            "title": p.title,
            "company": p.company,
            "location": p.location,
            "connection_degree": p.connection_degree,
            "linkedin_url": p.linkedin_url,
            "raw": p.raw,
            "created_at": now,
        }
        for p in people
    ]
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(Prospect)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["job_id", "provider_id"])
        .returning(Prospect.id)
    )
    return len(db.session.execute(stmt).all())
