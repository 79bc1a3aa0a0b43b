"""The background step of a people search: submit the filter, poll the provider
until the batch is ready, store its profiles; and find steps whose message was lost."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import PeopleSearch
from prospecting.models import PersonProfile
from prospecting.models.base import utcnow
from prospecting.providers import reachstream
from prospecting.providers.errors import ProviderOutcomeUnknown
from prospecting.providers.http import MAY_BE_CHARGED
from prospecting.services import jobs
from prospecting.services.searches.runs import STEP

LABEL = reachstream.LABEL


def advance(run: jobs.Run) -> jobs.Result:
    """Take a search one step: submit it, or poll it and store the records if ready."""
    search = db.session.get(PeopleSearch, run.job_id)
    if search.reachstream_batch_id is None:
        return _submit(run, search)
    return _poll(search)


def poll_delay(attempt: int) -> float:
    """Seconds before the next poll: doubling from the initial delay up to the cap."""
    cfg = current_app.config
    initial, cap = cfg["REACHSTREAM_POLL_INITIAL"], cfg["REACHSTREAM_POLL_MAX"]
    return min(cap, initial * 2 ** min(attempt, 20))


def _submit(run: jobs.Run, search: PeopleSearch) -> jobs.Result:
    """Start the search at the provider, once. The step notes that it is sending
    before it sends: a step that finds the note without a batch id was stopped (a
    worker died) after the start may have reached the provider, so it asks the user
    instead of paying again (the note goes, so "Send again" sends)."""
    if run.params.get("start_sent_at"):
        _forget_sending(run)
        raise ProviderOutcomeUnknown(
            f"Outcome unknown: the worker stopped while sending the search to {LABEL}. "
            + MAY_BE_CHARGED
        )
    run.batch.params = {**run.params, "start_sent_at": utcnow().isoformat()}
    db.session.commit()
    try:
        ref = reachstream.start(search.query_filter, search.fetch_count)
    except BaseException:
        # Answered, refused before sending, or unknown (which pauses): the next
        # step, or the user's "Send again", may send it.
        db.session.rollback()
        _forget_sending(run)
        raise
    search.reachstream_batch_id = ref
    search.submitted_at = utcnow()
    search.job.provider_ref = ref[:255]
    db.session.commit()
    return jobs.Later(poll_delay(0), counts=jobs.PROGRESS)


def _forget_sending(run: jobs.Run) -> None:
    run.batch.params = {k: v for k, v in run.params.items() if k != "start_sent_at"}
    db.session.commit()


def _poll(search: PeopleSearch) -> jobs.Result:
    max_wait = current_app.config["REACHSTREAM_MAX_WAIT"]
    waited = (utcnow() - (search.submitted_at or search.created_at)).total_seconds()
    if waited > max_wait:
        return jobs.Failed(_timeout_message(max_wait))
    result = reachstream.poll(search.reachstream_batch_id)
    if not result.ready:
        search.poll_attempts += 1
        db.session.commit()
        return jobs.Later(poll_delay(search.poll_attempts), counts=jobs.PROGRESS)
    count = _store(search, result.records)
    search.profile_count = count
    search.new_count = _new_since_previous_run(search)
    return jobs.Done(success=count, total=count)


def _timeout_message(max_wait: int) -> str:
    span = f"{max_wait // 60} min" if max_wait >= 120 else f"{max_wait} s"
    return (
        f"{LABEL} had not finished the search after {span} (the maximum wait); "
        "run it again later or ask for fewer records."
    )


def _store(search: PeopleSearch, records: list[dict]) -> int:
    """Insert the profiles of a ready batch once each; returns the search's count."""
    now, seen, rows = utcnow(), set(), []
    for record in records:
        fields = reachstream.profile_fields(record)
        if fields["provider_record_id"] in seen:
            continue
        seen.add(fields["provider_record_id"])
        rows.append(
            {**fields, "search_id": search.id, "raw_data": record, "created_at": now}
        )
    for start_at in range(0, len(rows), 500):
        db.session.execute(_insert_ignore(), rows[start_at : start_at + 500])
    return db.session.scalar(
        select(func.count()).where(PersonProfile.search_id == search.id)
    )


def _insert_ignore():
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = pg_insert(PersonProfile)
    elif dialect == "sqlite":
        stmt = sqlite_insert(PersonProfile)
    else:
        return insert(PersonProfile)
    return stmt.on_conflict_do_nothing(
        index_elements=["search_id", "provider_record_id"]
    )


def _new_since_previous_run(search: PeopleSearch) -> int | None:
    if search.saved_search_id is None:
        return None
    previous = db.session.scalar(
        select(PeopleSearch.id)
        .join(Job, Job.id == PeopleSearch.id)
        .where(
            PeopleSearch.saved_search_id == search.saved_search_id,
            PeopleSearch.id != search.id,
            Job.status == "completed",
        )
        .order_by(Job.completed_at.desc())
        .limit(1)
    )
    mine = select(func.count()).where(PersonProfile.search_id == search.id)
    if previous is None:
        return db.session.scalar(mine)
    old_ids = select(PersonProfile.provider_record_id).where(
        PersonProfile.search_id == previous
    )
    return db.session.scalar(
        mine.where(PersonProfile.provider_record_id.not_in(old_ids))
    )


def stranded_batches() -> list[tuple[int, str]]:
    """Steps of open searches whose scheduled message looks lost, to send again.

    A step is stranded when it has been due for REACHSTREAM_STRANDED_AFTER seconds
    without running, or its lease expired. Sending one twice is harmless: only the
    worker that claims it runs it.
    """
    now = utcnow()
    cutoff = now - timedelta(seconds=current_app.config["REACHSTREAM_STRANDED_AFTER"])
    due = func.coalesce(JobBatch.not_before, JobBatch.updated_at)
    rows = db.session.execute(
        select(JobBatch.id, JobBatch.kind)
        .join(Job, Job.id == JobBatch.job_id)
        .where(
            Job.status.in_(("queued", "running")),
            JobBatch.kind == STEP,
            or_(
                and_(JobBatch.status == "pending", due <= cutoff),
                and_(JobBatch.status == "running", JobBatch.lease_until < now),
            ),
        )
    ).all()
    return [(r[0], r[1]) for r in rows]
