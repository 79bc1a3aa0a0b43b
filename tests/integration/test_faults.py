"""Faults on PostgreSQL + Redis with real `flask worker` processes: SIGKILLed workers,
a provider storm, two workers on one queue, and Redis and PostgreSQL outages.

The outage tests stop and restart private servers (tests/integration/
private_servers.py), never the shared ones other runs depend on.
"""

import io
import os
import random
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config import TestConfig
from prospecting import create_app
from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import PeopleSearch
from prospecting.models import PeriodicRun
from prospecting.models import Prospect
from prospecting.models.base import utcnow
from prospecting.sandbox import faults
from prospecting.services import contacts
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services import prospects
from prospecting.services import searches
from prospecting.services.contacts import ContactInput
from tests import factories
from tests.integration.conftest import Worker
from tests.integration.conftest import _truncate_all
from tests.integration.conftest import wait_for
from tests.integration.private_servers import PrivatePostgres
from tests.integration.private_servers import PrivateRedis
from tests.integration.private_servers import require
from tests.integration.test_enrichment_pg import FAST_LIMITS
from tests.integration.test_enrichment_pg import assert_every_row_counted_once
from tests.integration.test_enrichment_pg import job_state
from tests.integration.test_enrichment_pg import start_job

pytestmark = pytest.mark.integration

REAPER = "prospecting.tasks.reap_batches"
BANNER = 'id="ops-banner"'


def _running_batches(job_id: str, at) -> list[tuple[int, int]]:
    """Batches running under a live lease at `at` (expired ones ran at an earlier
    kill and wait in the queue to be re-sent)."""
    db.session.expire_all()
    return db.session.execute(
        select(JobBatch.id, JobBatch.seq).where(
            JobBatch.job_id == job_id,
            JobBatch.status == "running",
            JobBatch.lease_until >= at,
        )
    ).all()


def _rows_in(job_id: str, seqs: list[int]) -> int:
    """Rows held by the batches (an import's batch holds a range of row numbers)."""
    ranges = db.session.scalars(
        select(JobBatch.params).where(JobBatch.job_id == job_id, JobBatch.seq.in_(seqs))
    )
    return sum(p["last_row"] - p["first_row"] + 1 for p in ranges)


class SandboxCalls:
    """Requests each sandbox provider received, and how many got a fault.

    Counted on the provider's side: a call whose worker was SIGKILLed before it
    could write its call log still counts.
    """

    def __init__(self):
        self.calls, self.faults = Counter(), Counter()
        self.forced: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._inject = faults.inject

    def inject(self, name, **kwargs):
        with self._lock:
            n = self.calls[name]
            self.calls[name] += 1
        if n < len(self.forced):
            # The first requests of every provider get these faults for sure.
            cfg = faults.settings()
            response = faults._fault(
                self.forced[n],
                cfg,
                kwargs.get("error_body"),
                kwargs.get("rate_body") or {"error": "Too many requests"},
                str(cfg.get("retry_after", 1)),
            )
        else:
            response = self._inject(name, **kwargs)
        with self._lock:
            self.faults[name] += response is not None
        return response


@pytest.fixture
def sandbox_calls(monkeypatch):
    counter = SandboxCalls()
    # Every sandbox provider calls faults.inject once per request it receives.
    monkeypatch.setattr(faults, "inject", counter.inject)
    return counter


def _assert_every_row_has_one_verdict(job_id: str, rows: int) -> None:
    numbers = db.session.execute(
        select(func.count(), func.count(func.distinct(EnrichmentRow.row_number))).where(
            EnrichmentRow.job_id == job_id
        )
    ).one()
    assert tuple(numbers) == (rows, rows)
    assert enrichment.status_counts(job_id).get("pending", 0) == 0, "rows in pages"
    unexplained = db.session.scalar(
        select(func.count())
        .select_from(EnrichmentRow)
        .where(
            EnrichmentRow.job_id == job_id,
            (
                (EnrichmentRow.status == "success")
                & EnrichmentRow.email_verdict.is_(None)
            )
            | (
                (EnrichmentRow.status == "failed")
                & EnrichmentRow.error_message.is_(None)
            )
            | EnrichmentRow.processed_at.is_(None),
        )
    )
    assert unexplained == 0


def _leases_expired(batch_ids: list[int]) -> bool:
    db.session.expire_all()
    now = utcnow()
    leases = db.session.execute(
        select(JobBatch.status, JobBatch.lease_until).where(JobBatch.id.in_(batch_ids))
    ).all()
    return all(s != "running" or (lease and lease < now) for s, lease in leases)


def test_five_sigkills_during_a_5000_row_job_lose_and_double_count_nothing(
    pg_app, start_worker, sandbox_calls
):
    rows = 5000
    seed = int(os.environ.get("FAULTS_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    faults.set_overrides({"latency_ms": 2})
    env = {**FAST_LIMITS, "BATCH_LEASE_SECONDS": "5", "OPS_HEARTBEAT_SECONDS": "1"}
    job_id = start_job(rows)
    worker = start_worker(threads=8, **env)
    # Random moments, at least ~300 rows apart so every restarted worker gets going.
    marks = [250 + 750 * i + rng.randrange(450) for i in range(5)]
    in_flight_rows, killed_at, last_kill = [], [], None
    for n, mark in enumerate(marks):
        wait_for(
            lambda m=mark: job_state(job_id).progress_current >= m,
            timeout=120,
            message=f"no progress to row {mark} before kill {n + 1}",
        )
        time.sleep(rng.uniform(0, 0.4))
        worker.kill()
        last_kill = utcnow()
        running = _running_batches(job_id, last_kill)
        in_flight_rows.append(_rows_in(job_id, [seq for _, seq in running]))
        killed_at.append(job_state(job_id).progress_current)
        ids = [batch_id for batch_id, _ in running]
        if n < len(marks) - 1:
            worker = start_worker(threads=8, **env)
            # The operator command, once the leases of the killed batches expire.
            wait_for(lambda i=ids: _leases_expired(i), timeout=30, message="lease")
            result = pg_app.test_cli_runner().invoke(args=["jobs", "requeue-stale"])
            assert result.exit_code == 0, result.output
        else:
            # Last kill: no operator. The consumer's periodic reaper (run at start
            # and every minute) must re-send the killed batches by itself.
            wait_for(lambda i=ids: _leases_expired(i), timeout=30, message="lease")
            worker = start_worker(threads=8, **env)
    wait_for(
        lambda: job_state(job_id).is_terminal,
        timeout=150,
        interval=0.5,
        message="the job did not finish after five kills",
    )
    assert_every_row_counted_once(job_id, rows)
    _assert_every_row_has_one_verdict(job_id, rows)
    reaper = db.session.scalar(
        select(PeriodicRun).where(PeriodicRun.task_name == REAPER)
    )
    assert reaper is not None and reaper.last_run_at >= last_kill
    repeated = sandbox_calls.calls["reacher"] - rows
    print(
        f"\nseed {seed}: killed at rows {killed_at}; rows in running batches at "
        f"each kill {in_flight_rows}; email verifications repeated: {repeated}"
    )
    assert 0 <= repeated <= sum(in_flight_rows)


# The storm: every job kind under 5xx, 429, timeouts and malformed JSON

STORM = {
    "error_rate": 0.2,
    "rate_limit_rate": 0.1,
    "retry_after": 1,
    "timeout_rate": 0.05,
    "timeout_seconds": 3,
    "malformed_rate": 0.02,
    "latency_ms": 5,
    "reachstream_ready_after": 1,
}
STORM_ENV = {
    **FAST_LIMITS,
    "PROVIDER_READ_TIMEOUT": "1.5",
    "PROVIDER_READ_TIMEOUTS": "{}",
    "BATCH_LEASE_SECONDS": "30",
    "REACHSTREAM_POLL_INITIAL": "0.5",
    "REACHSTREAM_POLL_MAX": "1",
    "PROSPECT_PAGE_DELAY_SECONDS": "0.2",
    "PROSPECT_BACKOFF_SECONDS": "0.5",
    "PROSPECT_MAX_BACKOFF_SECONDS": "2",
    "AIRTABLE_LOCKOUT_SECONDS": "1",
    "AIRTABLE_PHASE_WAIT_SECONDS": "0.5",
}
CIN = "U74999TG2017PTC118280"


def _assert_clean(response, path: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code < 500, f"{path}: {response.status_code} {body[:300]}"
    assert "Traceback" not in body, path
    assert 'File "' not in body, path


def _storm_jobs() -> dict:
    """Start one job of every kind (committed, not enqueued yet)."""
    user = factories.make_user(email="storm@acme.test", workspace="Storm")
    ws = user.memberships[0].workspace
    csv = factories.contacts_csv(300)
    started = {"enrichment": factories.enrichment_job(ws.id, csv, user_id=user.id).id}
    started["people_search"] = searches.start(
        ws.id, user.id, {"job_title": ["CTO"]}, 30
    ).id
    prospects.save_account(
        ws.id,
        dsn=current_app.config["UNIPILE_DEFAULT_DSN"],
        api_key="sandbox-key",
        account_id="acc-storm",
    )
    body = {
        "search_criteria": {"category": "people", "keywords": "engineer"},
        "search_type": "linkedin",
        "search_source": "classic",
        "target_count": 150,
    }
    started["prospect_search"] = prospects.create_job(ws.id, user.id, body).id
    company = contacts.save_company(ws.id, name="Acme", registration_number=CIN)
    started["contact_fetch"] = contacts.start_fetch(ws.id, user.id, company.id).id
    # The sync runs in its own workspace, so the fetch adds no contact to it.
    other = factories.make_user(email="storm-sync@acme.test", workspace="Storm sync")
    ws2 = other.memberships[0].workspace
    contacts.save_settings(
        ws2.id,
        token="patStorm",
        base_id=factories.airtable_base(),
        contacts_table="Contacts",
        companies_table="Companies",
        contact_fields=dict(contacts.CONTACT_FIELDS),
        company_fields=dict(contacts.COMPANY_FIELDS),
    )
    globex = contacts.save_company(ws2.id, name="Globex")
    contacts.upsert_contacts(
        ws2.id,
        [
            ContactInput(email=f"s{i}@globex.io", company_id=globex.id)
            for i in range(25)
        ],
    )
    started["airtable_sync"] = contacts.start_sync(ws2.id).id
    return {"user": user, "ws": ws, "other": other, "ws2": ws2, "jobs": started}


def _storm_urls(started: dict) -> tuple[list[str], list[str], str]:
    e, s, p = (
        started["enrichment"],
        started["people_search"],
        started["prospect_search"],
    )
    f, a = started["contact_fetch"], started["airtable_sync"]
    pages = [
        f"/enrichment/jobs/{e}",
        f"/enrichment/jobs/{e}/results",
        f"/jobs/{e}/progress",
        f"/searches/{s}",
        f"/searches/{s}/status",
        f"/searches/{s}/profiles",
        f"/prospects/jobs/{p}",
        f"/prospects/jobs/{p}/progress",
        f"/prospects/jobs/{p}/table",
        f"/contacts/jobs/{f}/fetch",
        f"/jobs/{f}/progress",
        "/ops/",
        "/ops/jobs",
        "/ops/failed",
        "/ops/providers",
    ]
    api = [
        f"/jobs/{e}/status",
        f"/jobs/{e}/results",
        f"/api/v1/people-search/{s}/",
        f"/api/v1/people-search/{s}/results/",
        f"/api/linkedin/search/create-job?job_id={p}",
        f"/api/linkedin/search/results?job_id={p}",
    ]
    return pages, api, f"/contacts/jobs/{a}/sync"


def _settled(job) -> bool:
    outcome_unknown = (job.error_message or "").startswith("Outcome unknown")
    return job.is_terminal or (job.status == "paused" and outcome_unknown)


def test_storm_every_job_kind_ends_with_verdicts_and_no_traceback_reaches_a_page(
    pg_app, start_worker, sandbox_calls
):
    setup = _storm_jobs()
    started = setup["jobs"]
    client = pg_app.test_client()
    factories.login(client, setup["user"].email)
    sync_client = pg_app.test_client()
    factories.login(sync_client, setup["other"].email)
    headers = {"X-API-Key": factories.make_token(setup["ws"].id)}
    pages, api, sync_page = _storm_urls(started)
    faults.set_overrides(STORM)
    # Beside the random storm, each provider's first two requests get a 5xx and a
    # 429, so every job kind meets both however few calls it makes.
    sandbox_calls.forced = ("error_rate", "rate_limit_rate")
    for _ in range(2):
        start_worker(threads=4, **STORM_ENV)
    for job_id in started.values():
        tasks.enqueue_batches(jobs.open_batches(job_id))

    fetched = 0

    def all_terminal() -> bool:
        nonlocal fetched
        for path in pages:
            _assert_clean(client.get(path), path)
        for path in api:
            _assert_clean(client.get(path, headers=headers), path)
        _assert_clean(sync_client.get(sync_page), sync_page)
        fetched += len(pages) + len(api) + 1
        db.session.expire_all()
        # A billable call whose outcome is unknown pauses its job for the user.
        return all(_settled(db.session.get(Job, j)) for j in started.values())

    wait_for(all_terminal, timeout=240, interval=0.5, message="storm jobs to finish")
    faults.set_overrides({})
    outcome = {kind: db.session.get(Job, j) for kind, j in started.items()}
    print("\nstorm:", {k: (j.status, j.error_message) for k, j in outcome.items()})
    print(f"storm: {fetched} page and API responses checked, none 5xx")

    # Enrichment: every row has a verdict or a reason, counted once.
    assert_every_row_counted_once(started["enrichment"], 300)
    _assert_every_row_has_one_verdict(started["enrichment"], 300)
    # People search: every profile stored once, or a failure that says why.
    search = db.session.get(PeopleSearch, started["people_search"])
    if search.status == "COMPLETED":
        assert search.profile_count == 30
    elif search.job.status == "paused":
        assert search.error_message.startswith("Outcome unknown")
    else:
        assert search.status == "FAILED" and search.error_message
    # Prospect search: no duplicate, the target reached, or a reasoned failure.
    job = outcome["prospect_search"]
    ids = db.session.scalars(
        select(Prospect.provider_id).where(Prospect.job_id == job.id)
    ).all()
    assert len(ids) == len(set(ids)) == job.progress_current == job.success_count
    if job.status == "completed":
        assert job.progress_current == job.progress_total == 150
    else:
        assert job.status == "failed" and job.error_message
    # Contact fetch: the outcome of every contact, or a reasoned failure.
    job = outcome["contact_fetch"]
    if job.status == "completed":
        assert job.success_count + job.failed_count == job.progress_total > 0
        assert len(contacts.fetch_outcomes(job)) == job.progress_total
    elif job.status == "paused":
        assert job.error_message.startswith("Outcome unknown")
    else:
        assert job.status == "failed" and job.error_message
    # Airtable sync: every contact synced or marked failed with its error.
    job = outcome["airtable_sync"]
    assert job.status == "completed", job.error_message
    assert job.success_count + job.failed_count == job.progress_total == 26
    people = db.session.scalars(
        select(Contact).where(Contact.workspace_id == setup["ws2"].id)
    ).all()
    assert len(people) == 25
    assert all(c.crm_record_id or (c.sync_failed and c.sync_error) for c in people)
    # The storm did hit every provider involved.
    print(f"storm: sandbox calls {dict(sandbox_calls.calls)}")
    print(f"storm: faults injected {dict(sandbox_calls.faults)}")
    # A search or fetch whose billable first call met the 5xx pauses there (its
    # outcome is unknown): it is never sent again to meet the forced 429.
    paused = {
        "reachstream": outcome["people_search"].status == "paused",
        "attestr": outcome["contact_fetch"].status == "paused",
    }
    for name in ("reacher", "apollo", "reachstream", "unipile", "attestr", "airtable"):
        assert sandbox_calls.faults[name] >= (1 if paused.get(name) else 2), name
    assert sandbox_calls.faults["reacher"] > 0.2 * sandbox_calls.calls["reacher"]


# Two workers, two processes, one database, one queue

AUDIT_SQL = [
    """CREATE TABLE fault_audit (
        id bigserial PRIMARY KEY, tbl text, job_id text, seq int, batch_id bigint,
        old_status text, new_status text, owner text, app text,
        at timestamp DEFAULT clock_timestamp())""",
    """CREATE FUNCTION fault_audit_batch() RETURNS trigger AS $$ BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status
           OR NEW.owner IS DISTINCT FROM OLD.owner THEN
          INSERT INTO fault_audit (tbl, job_id, seq, batch_id, old_status,
                                   new_status, owner, app)
          VALUES ('batch', NEW.job_id, NEW.seq, NEW.id, OLD.status, NEW.status,
                  COALESCE(NEW.owner, OLD.owner), current_setting('application_name'));
        END IF;
        RETURN NEW; END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION fault_audit_row() RETURNS trigger AS $$ BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status THEN
          INSERT INTO fault_audit (tbl, job_id, seq, old_status, new_status, app)
          VALUES ('row', NEW.job_id,
                  (SELECT b.seq FROM job_batches b WHERE b.job_id = NEW.job_id
                     AND b.kind = 'enrichment.rows'
                     AND NEW.row_number BETWEEN (b.params ->> 'first_row')::int
                                            AND (b.params ->> 'last_row')::int),
                  OLD.status, NEW.status,
                  current_setting('application_name'));
        END IF;
        RETURN NEW; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER fault_audit_batch AFTER UPDATE ON job_batches
        FOR EACH ROW EXECUTE FUNCTION fault_audit_batch()""",
    """CREATE TRIGGER fault_audit_row AFTER UPDATE ON enrichment_rows
        FOR EACH ROW EXECUTE FUNCTION fault_audit_row()""",
]
AUDIT_DROP = [
    "DROP TRIGGER IF EXISTS fault_audit_batch ON job_batches",
    "DROP TRIGGER IF EXISTS fault_audit_row ON enrichment_rows",
    "DROP FUNCTION IF EXISTS fault_audit_batch()",
    "DROP FUNCTION IF EXISTS fault_audit_row()",
    "DROP TABLE IF EXISTS fault_audit",
]


@pytest.fixture
def audit(pg_app):
    """Triggers that log every batch claim/release/finish and every row write, with
    the writing process's application_name, in the database's own clock order."""
    with db.engine.begin() as conn:
        for sql in AUDIT_DROP + AUDIT_SQL:
            conn.execute(text(sql))
    yield
    db.session.remove()
    with db.engine.begin() as conn:
        for sql in AUDIT_DROP:
            conn.execute(text(sql))


def _with_app_name(url: str, name: str) -> str:
    parsed = make_url(url).update_query_dict({"application_name": name})
    return parsed.render_as_string(hide_password=False)


def processing_windows(events) -> tuple[dict, list[str]]:
    """Per batch, the (app, owner, start, end) windows from claim to finish/release,
    and every violation: a claim while another owner's window is open, or a row
    written by a process that did not hold its batch at that moment."""
    windows, open_, problems = {}, {}, []
    for e in events:
        if e.tbl != "batch":
            continue
        key = (e.job_id, e.seq)
        if e.new_status == "running" and (
            e.old_status != "running" or key not in open_ or open_[key][1] != e.owner
        ):
            if key in open_:
                problems.append(
                    f"batch {key} claimed by {e.app} at {e.at} while {open_[key]}"
                )
            open_[key] = [e.app, e.owner, e.at, None]
            windows.setdefault(key, []).append(open_[key])
        elif e.old_status == "running" and e.new_status != "running" and key in open_:
            open_.pop(key)[3] = e.at
    for e in events:
        if e.tbl != "row":
            continue
        held = [
            w
            for w in windows.get((e.job_id, e.seq), [])
            if w[0] == e.app and w[2] <= e.at and (w[3] is None or e.at <= w[3])
        ]
        if not held:
            problems.append(f"row of batch {e.seq} written by {e.app} at {e.at}")
    return windows, problems


def test_two_worker_processes_never_process_the_same_batch_at_once(
    pg_app, pg_config, start_worker, audit, sandbox_calls
):
    rows = 1000
    faults.set_overrides({"latency_ms": 5})
    job_id = start_job(rows)
    url = pg_config["SQLALCHEMY_DATABASE_URI"]
    for name in ("worker-a", "worker-b"):
        start_worker(threads=4, DATABASE_URL=_with_app_name(url, name), **FAST_LIMITS)
    # A second message for every batch: both processes race for the same batches.
    tasks.enqueue_batches(jobs.open_batches(job_id))
    wait_for(
        lambda: job_state(job_id).progress_total >= rows,
        timeout=60,
        message="the rows to be planned",
    )
    tasks.enqueue_batches(jobs.open_batches(job_id))
    wait_for(
        lambda: job_state(job_id).is_terminal,
        timeout=180,
        message="the job with two workers did not finish",
    )
    assert_every_row_counted_once(job_id, rows)
    events = db.session.execute(
        text("SELECT * FROM fault_audit WHERE job_id = :j ORDER BY id"), {"j": job_id}
    ).all()
    windows, problems = processing_windows(events)
    assert problems == []
    apps = {w[0] for ws in windows.values() for w in ws}
    assert apps == {"worker-a", "worker-b"}
    # The processes really ran side by side: windows of both overlap in time.
    spans = [w for ws in windows.values() for w in ws if w[3] is not None]
    overlapping = sum(
        1
        for a in spans
        for b in spans
        if a[0] == "worker-a" and b[0] == "worker-b" and a[2] < b[3] and b[2] < a[3]
    )
    row_batches = db.session.scalar(
        select(func.count())
        .select_from(JobBatch)
        .where(JobBatch.job_id == job_id, JobBatch.kind == enrichment.ROWS)
    )
    claims = sum(len(ws) for ws in windows.values())
    print(
        f"\ntwo workers: {claims} claims of {row_batches + 1} batches, "
        f"{overlapping} overlapping cross-process windows, no batch held twice"
    )
    assert overlapping > 0
    # With no kill and no lost lease, each row was verified exactly once.
    assert sandbox_calls.calls["reacher"] == rows


# Outages of private Redis and PostgreSQL servers


@pytest.fixture
def spawn(tmp_path):
    """Start worker processes with any settings; all are stopped at the end."""
    started = []

    def start(config: dict, threads: int = 4, **extra_env) -> Worker:
        log = tmp_path / f"outage-worker-{len(started)}.log"
        worker = Worker(config, log, threads, extra_env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def private_redis(tmp_path):
    require(PrivateRedis.unavailable())
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.close()


@pytest.fixture
def private_postgres():
    require(PrivatePostgres.unavailable())
    server = PrivatePostgres()
    try:
        server.init()
        yield server
    finally:
        server.close()


def _app_on(config: dict):
    app = create_app(TestConfig, **config)
    with app.app_context():
        db.create_all()  # tables of areas not migrated yet
    return app


def _page(client, path: str, **kwargs) -> str:
    response = client.get(path, **kwargs)
    _assert_clean(response, path)
    return response.get_data(as_text=True)


def test_redis_down_30s_keeps_pages_up_with_the_banner_and_the_job_completes(
    pg_config, private_redis, spawn
):
    config = {
        **pg_config,
        "REDIS_URL": private_redis.url,
        "RATELIMIT_STORAGE_URL": private_redis.url,
        "BATCH_LEASE_SECONDS": 5,
    }
    app = _app_on(config)
    with app.app_context():
        _truncate_all(db.engine)
        faults.set_overrides({"latency_ms": 10})
        rows = 800
        job_id = start_job(rows)
        job = job_state(job_id)
        client = app.test_client()
        factories.login(client, f"it{rows}@x.test")
        headers = {"X-API-Key": factories.make_token(job.workspace_id)}
        spawn(config, threads=4, **FAST_LIMITS)
        wait_for(
            lambda: job_state(job_id).progress_current >= 100,
            timeout=60,
            message="no progress before the outage",
        )
        private_redis.kill()  # no persistence: the queued messages die with it
        down_at = time.monotonic()
        # Pages answer with the banner (the status check is cached a few seconds).
        wait_for(
            lambda: BANNER in _page(client, f"/enrichment/jobs/{job_id}"),
            timeout=15,
            message="the banner during the Redis outage",
        )
        health = client.get("/health")
        assert health.status_code == 503
        assert health.get_json()["queue"] == "unavailable"
        assert health.get_json()["database"] == "ok"
        upload = client.post(
            "/jobs/upload",
            headers=headers,
            data={"file": (io.BytesIO(factories.contacts_csv(20)), "late.csv")},
        )
        # Saved, not sent: 202 saying it starts once the queue is back (a 503
        # for work that runs anyway would make a client pay twice).
        assert upload.status_code == 202, upload.get_data(as_text=True)
        assert "once the queue is back" in upload.get_json()["notice"]
        while time.monotonic() - down_at < 30:
            for path in (f"/enrichment/jobs/{job_id}", "/ops/", "/enrichment/"):
                assert BANNER in _page(client, path), path
            _page(client, f"/jobs/{job_id}/progress")
            status = client.get(f"/jobs/{job_id}/status", headers=headers)
            assert status.status_code == 200, status.get_data(as_text=True)
            time.sleep(1)
        at_restart = job_state(job_id).progress_current
        private_redis.start()  # same port, empty: the reaper must re-send the work
        wait_for(
            lambda: client.get("/health").status_code == 200,
            timeout=15,
            message="/health after Redis came back",
        )
        wait_for(
            lambda: job_state(job_id).is_terminal,
            timeout=150,
            interval=0.5,
            message="the job did not resume after the Redis outage",
        )
        assert_every_row_counted_once(job_id, rows)
        _assert_every_row_has_one_verdict(job_id, rows)
        # The upload accepted during the outage ran, once, when Redis was back.
        late = db.session.scalars(
            select(Job).where(Job.workspace_id == job.workspace_id, Job.id != job_id)
        ).all()
        assert [o.id for o in late] == [upload.get_json()["job_id"]]
        for other in late:
            wait_for(
                lambda o=other.id: job_state(o).is_terminal,
                timeout=60,
                message="the job saved during the outage",
            )
            assert_every_row_counted_once(other.id, 20)
        wait_for(
            lambda: BANNER not in _page(client, f"/enrichment/jobs/{job_id}"),
            timeout=15,
            message="the banner to go away",
        )
        print(
            f"\nredis outage: {at_restart}/{rows} rows done when Redis came back; "
            f"{len(late)} job(s) saved during the outage completed too"
        )
        db.session.remove()
        db.engine.dispose()


def _in(app, fn, *args):
    """Run fn in a fresh app context: requests get their own context, as in a real
    deployment, instead of sharing the test's session and `g`."""
    with app.app_context():
        try:
            return fn(*args)
        finally:
            db.session.remove()


def _progress(job_id: str) -> tuple[int, bool]:
    job = job_state(job_id)
    return job.progress_current, job.is_terminal


def _start_job_with_token(rows: int) -> tuple[str, str]:
    job_id = start_job(rows)
    return job_id, factories.make_token(job_state(job_id).workspace_id)


def test_postgresql_restart_mid_job_answers_503_then_the_job_completes(
    pg_config, private_postgres, spawn
):
    config = {
        **pg_config,
        "SQLALCHEMY_DATABASE_URI": private_postgres.url,
        "BATCH_LEASE_SECONDS": 5,
        "OPS_STATUS_CACHE_SECONDS": 0,
    }
    app = _app_on(config)
    faults.set_overrides({"latency_ms": 10})
    rows = 600
    job_id, token = _in(app, _start_job_with_token, rows)
    headers = {"X-API-Key": token}
    client = app.test_client()
    factories.login(client, f"it{rows}@x.test")
    spawn(config, threads=4, **FAST_LIMITS)
    wait_for(
        lambda: _in(app, _progress, job_id)[0] >= 100,
        timeout=60,
        message="no progress before the restart",
    )
    private_postgres.stop()
    try:
        for path in (f"/enrichment/jobs/{job_id}", "/ops/", "/enrichment/"):
            response = client.get(path)
            body = response.get_data(as_text=True)
            assert response.status_code == 503, (path, body[:300])
            assert BANNER in body and "Traceback" not in body, path
        response = client.get(f"/jobs/{job_id}/status", headers=headers)
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "unavailable"
        health = client.get("/health")
        assert health.status_code == 503
        assert health.get_json()["database"] == "unavailable"
        time.sleep(3)
    finally:
        private_postgres.start()
    wait_for(
        lambda: client.get("/health").status_code == 200,
        timeout=20,
        message="/health after PostgreSQL came back",
    )
    wait_for(
        lambda: _in(app, _progress, job_id)[1],
        timeout=150,
        interval=0.5,
        message="the job did not finish after the PostgreSQL restart",
    )
    _in(app, assert_every_row_counted_once, job_id, rows)
    _in(app, _assert_every_row_has_one_verdict, job_id, rows)
    page = client.get(f"/enrichment/jobs/{job_id}")
    assert page.status_code == 200
    assert BANNER not in page.get_data(as_text=True)
    _in(app, lambda: db.engine.dispose())


def test_processing_windows_flag_a_second_claim_and_a_foreign_row_write():
    """The audit check itself can fail: overlapping claims and stray writes show."""

    class E:
        def __init__(self, tbl, seq, old, new, owner, app, at):
            self.tbl, self.job_id, self.seq = tbl, "j", seq
            self.old_status, self.new_status = old, new
            self.owner, self.app = owner, app
            self.at = utcnow() + timedelta(seconds=at)

    clean = [
        E("batch", 1, "pending", "running", "o1", "a", 0),
        E("row", 1, "pending", "success", None, "a", 1),
        E("batch", 1, "running", "done", "o1", "a", 2),
    ]
    assert processing_windows(clean)[1] == []
    twice = [
        E("batch", 1, "pending", "running", "o1", "a", 0),
        E("batch", 1, "running", "running", "o2", "b", 1),
        E("row", 1, "pending", "success", None, "c", 1.5),
    ]
    problems = processing_windows(twice)[1]
    assert len(problems) == 2
