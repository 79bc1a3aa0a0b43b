"""People search at the async batch provider: submit, poll, store the profiles."""

import re
from collections.abc import Iterator
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import PeopleSearch
from prospecting.models import PersonProfile
from prospecting.models import ProxyHealth
from prospecting.models import SavedSearch
from prospecting.models.base import utcnow
from prospecting.models.searches import SEARCH_STATUS_OF_JOB
from prospecting.providers import proxies
from prospecting.providers import reachstream
from prospecting.services import csvfiles
from prospecting.services import jobs
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

KIND = "people_search"
STEP = "searches.people"
LABEL = reachstream.LABEL
DEFAULT_FETCH = 25
MAX_VALUES = 100
MAX_VALUE_CHARS = 200
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
SORTS = {
    "name": (PersonProfile.full_name, PersonProfile.id),
    "-name": (PersonProfile.full_name.desc(), PersonProfile.id.desc()),
    "company": (PersonProfile.company_name, PersonProfile.full_name),
    "-company": (PersonProfile.company_name.desc(), PersonProfile.full_name.desc()),
}
EXPORT_COLUMNS = (
    "full_name", "job_title", "company_name", "email", "linkedin_url", "location",
    "provider_record_id",
)  # fmt: skip


# Input


def normalise_filter(raw) -> dict[str, list[str]]:
    """A filter as {key: [values]}, from arrays, {"0": …} objects or plain text."""
    if not isinstance(raw, dict):
        raise InvalidInput(
            'Send the filter as a JSON object, e.g. {"job_title": ["CTO"]}.',
            code="bad_filter",
        )
    query: dict[str, list[str]] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise InvalidInput(f"{key!r} is not a filter name.", code="bad_filter")
        values = _values(key, value)
        if values:
            query[key] = values
    if not query:
        raise InvalidInput(
            "Give at least one filter value (for example a job title or a country).",
            code="empty_filter",
        )
    return query


def _values(key: str, value) -> list[str]:
    if isinstance(value, dict):
        value = [value[k] for k in sorted(value, key=_index_order)]
    elif not isinstance(value, list):
        value = [value]
    out: list[str] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            if item is None:
                continue
            raise InvalidInput(
                f"Values of {key} must be text.", code="bad_filter", details={key: item}
            )
        text = str(item).strip()
        if len(text) > MAX_VALUE_CHARS:
            raise InvalidInput(
                f"A value of {key} is longer than {MAX_VALUE_CHARS} characters.",
                code="bad_filter",
            )
        if text and text not in out:
            out.append(text)
    if len(out) > MAX_VALUES:
        raise InvalidInput(
            f"{key} has more than {MAX_VALUES} values.", code="bad_filter"
        )
    return out


def _index_order(key) -> tuple:
    text = str(key)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def split_values(text: str | None) -> list[str]:
    """Several values typed in one box, separated by commas, semicolons or lines."""
    return [v.strip() for v in re.split(r"[,;\n]", text or "") if v.strip()]


def parse_fetch_count(value) -> int:
    """The number of records to fetch, 1 to REACHSTREAM_MAX_FETCH (default 25)."""
    top = current_app.config["REACHSTREAM_MAX_FETCH"]
    if value in (None, ""):
        return DEFAULT_FETCH
    try:
        count = int(str(value).strip())
    except ValueError:
        count = 0
    if isinstance(value, bool) or not 1 <= count <= top:
        raise InvalidInput(
            f"The number of records must be a whole number from 1 to {top}.",
            code="bad_fetch_count",
        )
    return count


# Creating and reading searches


def start(
    workspace_id: int,
    user_id: int | None,
    raw_filter,
    fetch_count=None,
    *,
    saved_search_id: int | None = None,
) -> PeopleSearch:
    """Create the search, its job and its first step in one commit; caller enqueues."""
    query = normalise_filter(raw_filter)
    count = parse_fetch_count(fetch_count)
    job = jobs.create(
        KIND,
        {"filter": query, "fetch_count": count},
        [jobs.NewBatch(STEP)],
        workspace_id=workspace_id,
        user_id=user_id,
        title=describe(query),
        total=count,
    )
    search = PeopleSearch(
        id=job.id,
        workspace_id=workspace_id,
        saved_search_id=saved_search_id,
        query_filter=query,
        fetch_count=count,
    )
    db.session.add(search)
    db.session.commit()
    return search


def describe(query: dict[str, list[str]]) -> str:
    """A short title for a filter: 'People search: CTO, VP Engineering · India'."""
    parts = [
        ", ".join(values[:3]) + ("…" if len(values) > 3 else "")
        for values in query.values()
    ]
    return "People search: " + " · ".join(parts)


def get(workspace_id: int, search_id: str) -> PeopleSearch:
    """A search of the workspace, or NotFound (also for another workspace's)."""
    search = db.session.get(PeopleSearch, str(search_id)) if search_id else None
    if search is None or search.workspace_id != workspace_id:
        raise NotFound("No such search.")
    return search


def recent(workspace_id: int, *, limit: int = 20) -> list[PeopleSearch]:
    """The workspace's newest searches."""
    return list(
        db.session.scalars(
            select(PeopleSearch)
            .where(PeopleSearch.workspace_id == workspace_id)
            .order_by(PeopleSearch.created_at.desc())
            .limit(limit)
        )
    )


# The background steps


def advance(run: jobs.Run) -> jobs.Result:
    """Take a search one step: submit it, or poll it and store the records if ready."""
    search = db.session.get(PeopleSearch, run.job.id)
    if search.reachstream_batch_id is None:
        return _submit(search)
    return _poll(search)


def poll_delay(attempt: int) -> float:
    """Seconds before the next poll: doubling from the initial delay up to the cap."""
    cfg = current_app.config
    initial, cap = cfg["REACHSTREAM_POLL_INITIAL"], cfg["REACHSTREAM_POLL_MAX"]
    return min(cap, initial * 2 ** min(attempt, 20))


def _submit(search: PeopleSearch) -> jobs.Result:
    ref = reachstream.start(search.query_filter, search.fetch_count)
    search.reachstream_batch_id = ref
    search.submitted_at = utcnow()
    search.job.provider_ref = ref[:255]
    db.session.commit()
    return jobs.Later(poll_delay(0), counts=jobs.PROGRESS)


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


def _batch_unknown(run: jobs.Run, exc) -> str:
    ref = db.session.get(PeopleSearch, run.job.id).reachstream_batch_id
    return f"{LABEL} no longer knows batch {ref}; run the search again."


def _gave_up(run: jobs.Run, exc) -> jobs.Result:
    return jobs.Failed(
        f"Provider unavailable: {exc.message} Gave up after {run.attempts} "
        "attempts; run the search again later."
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


# Results and exports


def profiles_page(
    search_id: str, *, page: int, per_page: int, sort: str | None = None
) -> tuple[list[PersonProfile], int]:
    """Page N of a search's profiles (in arrival order, or sorted) and the total."""
    order = SORTS.get(sort or "", (PersonProfile.id,))
    total = db.session.scalar(
        select(func.count()).where(PersonProfile.search_id == search_id)
    )
    rows = db.session.scalars(
        select(PersonProfile)
        .where(PersonProfile.search_id == search_id)
        .order_by(*order)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def export_lines(search: PeopleSearch) -> Iterator[str]:
    """CSV text of a search's profiles (formula-safe)."""

    def rows():
        after = 0
        while True:
            page = list(
                db.session.scalars(
                    select(PersonProfile)
                    .where(
                        PersonProfile.search_id == search.id, PersonProfile.id > after
                    )
                    .order_by(PersonProfile.id)
                    .limit(1000)
                )
            )
            if not page:
                return
            for profile in page:
                yield [getattr(profile, column) or "" for column in EXPORT_COLUMNS]
            after = page[-1].id
            db.session.expunge_all()

    return csvfiles.write_csv(list(EXPORT_COLUMNS), rows())


# Saved searches


def save(workspace_id: int, search_id: str, name: str) -> SavedSearch:
    """Keep a search's filter under a name; the search becomes its first run."""
    search = get(workspace_id, search_id)
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise InvalidInput("Give the saved search a name (up to 120 characters).")
    exists = db.session.scalar(
        select(SavedSearch.id).where(
            SavedSearch.workspace_id == workspace_id, SavedSearch.name == name
        )
    )
    if exists:
        raise Conflict(f"A saved search named “{name}” already exists.")
    saved = SavedSearch(
        workspace_id=workspace_id,
        name=name,
        query_filter=search.query_filter,
        fetch_count=search.fetch_count,
        last_run_at=search.created_at,
    )
    db.session.add(saved)
    db.session.flush()
    if search.saved_search_id is None:
        search.saved_search_id = saved.id
    db.session.commit()
    return saved


def saved_searches(workspace_id: int) -> list[tuple[SavedSearch, PeopleSearch | None]]:
    """The workspace's saved searches, each with its latest run."""
    items = db.session.scalars(
        select(SavedSearch)
        .where(SavedSearch.workspace_id == workspace_id)
        .order_by(SavedSearch.name)
    ).all()
    return [(saved, _latest_run(saved.id)) for saved in items]


def _latest_run(saved_id: int) -> PeopleSearch | None:
    return db.session.scalar(
        select(PeopleSearch)
        .where(PeopleSearch.saved_search_id == saved_id)
        .order_by(PeopleSearch.created_at.desc())
        .limit(1)
    )


def get_saved(workspace_id: int, saved_id: int) -> SavedSearch:
    """A saved search of the workspace, or NotFound."""
    saved = db.session.get(SavedSearch, saved_id)
    if saved is None or saved.workspace_id != workspace_id:
        raise NotFound("No such saved search.")
    return saved


def run_saved(workspace_id: int, user_id: int | None, saved_id: int) -> PeopleSearch:
    """Run a saved filter again as a new search (the caller enqueues)."""
    saved = get_saved(workspace_id, saved_id)
    saved.last_run_at = utcnow()
    return start(
        workspace_id,
        user_id,
        saved.query_filter,
        saved.fetch_count,
        saved_search_id=saved.id,
    )


def delete_saved(workspace_id: int, saved_id: int) -> None:
    """Forget a saved search (its past runs stay)."""
    saved = get_saved(workspace_id, saved_id)
    db.session.execute(
        update(PeopleSearch)
        .where(PeopleSearch.saved_search_id == saved.id)
        .values(saved_search_id=None)
    )
    db.session.delete(saved)
    db.session.commit()


# Proxy health


def proxy_health() -> list[dict]:
    """Each configured proxy with requests, failures and cooldown (all processes)."""
    urls = current_app.config.get("PROVIDER_PROXIES") or []
    rows = {row.proxy: row for row in db.session.scalars(select(ProxyHealth))}
    now = utcnow()
    items = []
    for url in urls:
        label = proxies.mask(url)
        row = rows.get(label)
        cooling = (
            row is not None
            and row.cooling_until is not None
            and row.cooling_until > now
        )
        items.append(
            {
                "proxy": label,
                "requests": row.requests if row else 0,
                "failures": row.failures if row else 0,
                "cooling_for": int((row.cooling_until - now).total_seconds())
                if cooling
                else 0,
                "last_error": row.last_error if row else None,
                "last_used_at": row.last_used_at if row else None,
            }
        )
    return items


def rerun_exactly(job: Job, user_id: int | None) -> Job:
    """A new search with the same filter, count and cap (commits)."""
    search = start(
        job.workspace_id, user_id, job.params["filter"], job.params["fetch_count"]
    )
    new = db.session.get(Job, search.id)
    if "cost_cap" in job.params:
        new.params = {**new.params, "cost_cap": job.params["cost_cap"]}
    db.session.commit()
    return new


jobs.register(
    jobs.JobKind(
        name=KIND,
        label="People search",
        unit="profiles",
        batches=(
            jobs.BatchKind(
                STEP,
                advance,
                # Errors count from the last answered poll; a poll that answers
                # "not ready" is progress, not a try.
                jobs.Policy(
                    attempts="REACHSTREAM_MAX_ERRORS",
                    backoff=jobs.Backoff(
                        base="REACHSTREAM_POLL_INITIAL", cap="REACHSTREAM_POLL_MAX"
                    ),
                    errors=jobs.RETRY,
                    not_found=_batch_unknown,
                    fatal=(reachstream.ProviderOutOfCredits,),
                    give_up=_gave_up,
                ),
            ),
        ),
        page="searches.show",
        headline="searches/_headline.html",
        providers=("reachstream",),
        rerun=rerun_exactly,
        api_statuses=SEARCH_STATUS_OF_JOB,
    )
)
