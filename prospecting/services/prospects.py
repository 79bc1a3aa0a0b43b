"""LinkedIn prospect search: the connected account, search jobs walking cursor pages,
and their prospects (one page per job batch, stored once per job and provider id)."""

import math
from collections.abc import Iterator
from datetime import timedelta

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from prospecting import crypto
from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import LinkedInAccount
from prospecting.models import Prospect
from prospecting.models.base import utcnow
from prospecting.providers import netguard
from prospecting.providers import unipile
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderError
from prospecting.services import csvfiles
from prospecting.services import jobs
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

KIND = "prospect_search"
PAGE = "prospects.page"
NO_ACCOUNT = "No active LinkedIn account found"
TIMEOUT = "Job timeout"
API_LABELS = {
    "classic": "LinkedIn classic",
    "sales_navigator": "Sales Navigator",
    "recruiter": "Recruiter",
}
HEADCOUNTS = {
    "1-10": {"min": 1, "max": 10},
    "11-50": {"min": 11, "max": 50},
    "51-200": {"min": 51, "max": 200},
    "201-500": {"min": 201, "max": 500},
    "501-1000": {"min": 501, "max": 1000},
    "1001-5000": {"min": 1001, "max": 5000},
    "5001-10000": {"min": 5001, "max": 10000},
    "10001+": {"min": 10001},
}
EXPORT_COLUMNS = (
    "name",
    "title",
    "company",
    "location",
    "connection_degree",
    "linkedin_url",
    "provider_id",
    "batch",
)
MAX_LOCATIONS = 20


# The connected account


def get_account(workspace_id: int) -> LinkedInAccount | None:
    return db.session.scalar(
        select(LinkedInAccount).where(LinkedInAccount.workspace_id == workspace_id)
    )


def save_account(
    workspace_id: int, *, dsn: str, api_key: str, account_id: str
) -> LinkedInAccount:
    """Connect (or update) the workspace's account; a blank key keeps the stored one."""
    dsn, account_id, api_key = dsn.strip(), account_id.strip(), api_key.strip()
    if not dsn:
        raise InvalidInput("Enter the DSN (base URL) of your Unipile account.")
    check_base_url(unipile.base_url(dsn))
    if not account_id or len(account_id) > 120:
        raise InvalidInput("Enter the Unipile account id (up to 120 characters).")
    account = get_account(workspace_id)
    if account is None and not api_key:
        raise InvalidInput("Enter the API key of your Unipile account.")
    if account is None:
        account = LinkedInAccount(workspace_id=workspace_id)
        db.session.add(account)
    account.dsn = dsn[:255]
    account.account_id = account_id
    if api_key:
        account.api_key_encrypted = crypto.encrypt(api_key)
    account.status, account.last_error, account.checked_at = "active", None, None
    account.updated_at = utcnow()
    db.session.commit()
    return account


def check_base_url(url: str) -> None:
    """Refuse a DSN that the provider client would refuse to call (netguard): not
    http(s), unresolvable, or (outside the development sandbox) not https to a
    public address. Every call checks again; this is early feedback."""
    try:
        netguard.check_url(url, label="The DSN")
    except ProviderError as exc:
        raise InvalidInput(exc.message) from exc


def remove_account(workspace_id: int) -> None:
    """Forget the workspace's account and its encrypted key."""
    account = get_account(workspace_id)
    if account is not None:
        db.session.delete(account)
        db.session.commit()


def credentials(account: LinkedInAccount) -> unipile.Credentials:
    """The decrypted credentials of an account (raises crypto.SecretUnreadable)."""
    return unipile.Credentials(
        base_url=account.dsn,
        api_key=crypto.decrypt(account.api_key_encrypted),
        account_id=account.account_id,
    )


def active_account(workspace_id: int) -> LinkedInAccount:
    """The workspace's connected account, or InvalidInput naming the problem."""
    account = get_account(workspace_id)
    if account is None or not account.is_active:
        raise InvalidInput(NO_ACCOUNT, code="no_account")
    return account


def check_account(workspace_id: int) -> LinkedInAccount:
    """Test the stored credentials with one parameters call and record the outcome."""
    account = get_account(workspace_id)
    if account is None:
        raise NotFound("No LinkedIn account is connected yet.")
    try:
        unipile.parameters(credentials(account), keywords="a", limit=1)
    except ProviderAuthError as exc:
        _record_error(account, exc.message, disconnect=exc.status == 401)
    except ProviderError as exc:
        _record_error(account, exc.message, disconnect=False)
    except crypto.SecretUnreadable as exc:
        _record_error(account, f"{exc} Enter the API key again.", disconnect=True)
    else:
        account.status, account.last_error = "active", None
    account.checked_at = utcnow()
    db.session.commit()
    return account


def _record_error(account: LinkedInAccount, message: str, *, disconnect: bool) -> None:
    account.last_error = message
    if disconnect:
        account.status = "disconnected"
    account.checked_at = account.updated_at = utcnow()


def disconnect(workspace_id: int, message: str) -> None:
    """Mark the workspace's account disconnected with the provider's message."""
    account = get_account(workspace_id)
    if account is not None:
        _record_error(account, message, disconnect=True)
        db.session.commit()


def search_locations(workspace_id: int, keywords: str, api: str = "classic"):
    """Location ids and titles matching keywords, from the parameters endpoint."""
    keywords = keywords.strip()[:100]
    if len(keywords) < 2:
        return []
    account = active_account(workspace_id)
    try:
        creds = credentials(account)
    except crypto.SecretUnreadable as exc:
        raise InvalidInput(f"{exc} Enter the API key again.") from exc
    return unipile.parameters(
        creds, type="LOCATION", keywords=keywords, api=api, limit=10
    )


# Criteria, caps and estimates


def cap(api: str) -> int:
    return int(current_app.config["UNIPILE_RESULT_CAPS"][api])


def page_size(api: str) -> int:
    return int(current_app.config["UNIPILE_PAGE_SIZES"][api])


def estimate(api: str, target: int) -> dict:
    """Pages and expected seconds of a search: pages × page time + pauses between."""
    cfg = current_app.config
    size = page_size(api)
    pages = max(1, math.ceil(min(target, cap(api)) / size))
    seconds = (
        pages * cfg["PROSPECT_EXPECTED_PAGE_SECONDS"]
        + (pages - 1) * cfg["PROSPECT_PAGE_DELAY_SECONDS"]
    )
    return {
        "pages": pages,
        "page_size": size,
        "seconds": math.ceil(seconds),
        "cap": cap(api),
        "api": api,
    }


def clean_request(data: dict) -> dict:
    """Validate a create-job request (§7.3 shape) into the job's params."""
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.")
    api = data.get("search_source") or "classic"
    if api not in unipile.APIS:
        raise InvalidInput(
            "search_source must be one of classic, sales_navigator, recruiter."
        )
    target = _target(data.get("target_count"), api)
    criteria = data.get("search_criteria") or {}
    if not isinstance(criteria, dict):
        raise InvalidInput("search_criteria must be an object.")
    if criteria.get("category", "people") != "people":
        raise InvalidInput("Only the people category can be searched.")
    clean = {
        "category": "people",
        "keywords": _text(criteria.get("keywords"), "keywords"),
        "title": _text(criteria.get("title"), "title"),
        "location": _locations(criteria.get("location")),
        "company_headcount": _headcounts(criteria.get("company_headcount")),
    }
    if not (clean["keywords"] or clean["title"] or clean["location"]):
        raise InvalidInput("Give keywords, a title or a location to search for.")
    return {"api": api, "criteria": clean, "target": target, "search_type": "linkedin"}


def _target(value, api: str) -> int:
    try:
        target = int(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput("target_count must be a whole number.") from None
    if target < 1:
        raise InvalidInput("target_count must be at least 1.")
    if target > cap(api):
        raise InvalidInput(
            f"target_count {target:,} is above the {API_LABELS[api]} cap of "
            f"{cap(api):,} results per search.",
            code="above_cap",
        )
    return target


def _text(value, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text.")
    if len(value) > 200:
        raise InvalidInput(f"{name} must be at most 200 characters.")
    return value.strip()


def _locations(value) -> list[str]:
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or len(value) > MAX_LOCATIONS:
        raise InvalidInput(f"location must be a list of up to {MAX_LOCATIONS} ids.")
    ids = [str(v).strip() for v in value]
    if not all(i.isdigit() for i in ids):
        raise InvalidInput("location ids must be numbers (from the location search).")
    return list(dict.fromkeys(ids))


def _headcounts(value) -> list[str]:
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or any(
        not isinstance(v, str) or v not in HEADCOUNTS for v in value
    ):
        raise InvalidInput(
            f"company_headcount must be a list of: {', '.join(HEADCOUNTS)}."
        )
    return list(dict.fromkeys(value))


def provider_params(api: str, criteria: dict) -> dict:
    """The Unipile body of page one for cleaned criteria."""
    body = {"api": api, "category": "people"}
    if criteria.get("keywords"):
        body["keywords"] = criteria["keywords"]
    if criteria.get("location"):
        body["location"] = criteria["location"]
    title = criteria.get("title")
    if title and api == "recruiter":
        body["role"] = [
            {"keywords": title, "priority": "MUST_HAVE", "scope": "CURRENT_OR_PAST"}
        ]
    elif title:
        body["advanced_keywords"] = {"title": title}
    # LinkedIn classic search has no company size filter.
    if criteria.get("company_headcount") and api != "classic":
        body["company_headcount"] = [
            HEADCOUNTS[b] for b in criteria["company_headcount"]
        ]
    return body


# Jobs


def create_job(
    workspace_id: int,
    user_id: int | None,
    data: dict,
    *,
    location_titles: dict[str, str] | None = None,
) -> Job:
    """Create a queued search job and its first page batch (committed, not enqueued)."""
    params = clean_request(data)
    account = active_account(workspace_id)
    criteria = params["criteria"]
    params.update(
        provider_params=provider_params(params["api"], criteria),
        account_id=account.account_id,
        location_titles={
            i: (location_titles or {}).get(i, i) for i in criteria["location"]
        },
    )
    what = criteria["keywords"] or criteria["title"] or "people"
    job = jobs.create(
        KIND,
        params,
        [jobs.NewBatch(PAGE, seq=1)],
        workspace_id=workspace_id,
        user_id=user_id,
        title=f"{what} · {API_LABELS[params['api']]} · {params['target']:,}",
        total=params["target"],
    )
    db.session.commit()
    return job


def fetch_page(run: jobs.Run) -> jobs.Result:
    """Fetch one page, store its new prospects, and add the next page, in one commit.

    The page's prospects, the job's progress and the next page's batch (carrying
    the provider's cursor) commit together with this page's completion, so a
    killed worker resumes from the stored cursor and a page run twice stores
    nothing twice. The next page runs after PROSPECT_PAGE_DELAY_SECONDS.
    """
    job, batch = run.job, run.batch
    if _timed_out(job):
        return jobs.Failed(TIMEOUT)
    account = get_account(job.workspace_id)
    if account is None or not account.is_active:
        return jobs.Failed(NO_ACCOUNT)
    try:
        page = _search(job, batch, account)
    except crypto.SecretUnreadable as exc:
        db.session.rollback()
        disconnect(job.workspace_id, str(exc))
        return jobs.Failed(f"{exc} Enter the API key again in the account settings.")
    return _store_page(run, page)


def _disconnect_on_401(run: jobs.Run, exc: ProviderAuthError) -> None:
    if exc.status == 401:
        disconnect(run.job.workspace_id, exc.message)


def _search(job: Job, batch: JobBatch, account) -> unipile.SearchPage:
    api = job.params["api"]
    cursor = batch.params.get("cursor")
    return unipile.search(
        credentials(account),
        limit=page_size(api),
        params=None if cursor else job.params["provider_params"],
        cursor=cursor,
    )


def _timed_out(job: Job) -> bool:
    limit = current_app.config["PROSPECT_JOB_TIME_LIMIT_SECONDS"]
    started = job.started_at or job.created_at
    return utcnow() - started > timedelta(seconds=limit)


def _store_page(run: jobs.Run, page) -> jobs.Result:
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
        if more:
            next_batch = jobs.add_batch(
                job.id, kind=PAGE, seq=batch.seq + 1, params={"cursor": page.cursor}
            )
            db.session.flush()
    except IntegrityError:
        # Another run of this page committed first: its result stands.
        db.session.rollback()
        return None
    then = ()
    if next_batch is not None:
        then = ((next_batch.id, current_app.config["PROSPECT_PAGE_DELAY_SECONDS"]),)
    return jobs.Done(success=inserted, then=then)


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


# Results and exports


def get_job(workspace_id: int, job_id: str) -> Job:
    """A prospect search job of the workspace, or NotFound."""
    return jobs.get(workspace_id, job_id, kind=KIND)


def count(job_id: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Prospect).where(Prospect.job_id == job_id)
    )


def prospects_page(job_id: str, *, page: int, per_page: int) -> tuple[list, int]:
    """Page N of a job's prospects in the order they were found, and the total."""
    rows = db.session.scalars(
        select(Prospect)
        .where(Prospect.job_id == job_id)
        .order_by(Prospect.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), count(job_id)


def export_lines(job: Job) -> Iterator[str]:
    """Formula-safe CSV text of the job's prospects."""
    job_id = job.id

    def rows():
        after = 0
        while True:
            chunk = db.session.scalars(
                select(Prospect)
                .where(Prospect.job_id == job_id, Prospect.id > after)
                .order_by(Prospect.id)
                .limit(1000)
            ).all()
            if not chunk:
                return
            for p in chunk:
                yield [
                    "" if getattr(p, c) is None else getattr(p, c)
                    for c in EXPORT_COLUMNS
                ]
            after = chunk[-1].id
            db.session.expunge_all()

    return csvfiles.write_csv(list(EXPORT_COLUMNS), rows())


def rerun_exactly(job: Job, user_id: int | None) -> Job:
    """A new search with the same criteria, source, target and cap (commits)."""
    params = job.params
    data = {
        "search_source": params["api"],
        "target_count": params["target"],
        "search_criteria": params["criteria"],
    }
    new = create_job(
        job.workspace_id,
        user_id,
        data,
        location_titles=params.get("location_titles"),
    )
    if "cost_cap" in params:
        new.params = {**new.params, "cost_cap": params["cost_cap"]}
        db.session.commit()
    return new


jobs.register(
    jobs.JobKind(
        name=KIND,
        label="Prospect search",
        unit="prospects",
        batches=(
            jobs.BatchKind(
                PAGE,
                fetch_page,
                jobs.Policy(
                    attempts="PROSPECT_PAGE_ATTEMPTS",
                    backoff=jobs.Backoff(
                        base="PROSPECT_BACKOFF_SECONDS",
                        cap="PROSPECT_MAX_BACKOFF_SECONDS",
                    ),
                    rate_limit="backoff",
                    on_auth=_disconnect_on_401,
                ),
            ),
        ),
        page="prospects.show",
        headline="prospects/_headline.html",
        providers=("unipile",),
        rerun=rerun_exactly,
        # The seed's statuses: queued, processing, completed, failed.
        api_statuses={
            "running": "processing",
            "paused": "processing",
            "cancelled": "failed",
        },
    )
)
