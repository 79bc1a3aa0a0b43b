"""Airtable sync at its ceiling: N contacts synced by `flask worker` (Redis, PostgreSQL)
to the sandbox Airtable at Airtable's own limit (5 requests/s per base, 10 records a
request, a 30 s lockout after a 429), as records/s over the 50 records/s ceiling
(target ≥ 0.9) with the count of 429s answered (target 0). The target is the writes'
(the "overwrite" update strategy, median of ROUNDS runs); one run of the default
"fill" strategy, whose reads take requests that carry no records, is printed beside
it with the best its pacing allows. Each run a fresh workspace and base; the time is
the job's, from its start (the schema read and the plan included) to its end."""

import statistics
import time
import uuid
from pathlib import Path

import redis
import requests
from sqlalchemy import create_engine
from sqlalchemy import text

from bench import common

CONTACTS = 1500
ROUNDS = 3
CEILING = 5 * 10  # records/s: 5 requests/s x 10 records
TARGET = 0.9
WORKER_THREADS = 8
TOKEN = "patBenchAirtable"
# The writes alone (the target), then the sync's default, whose every 100 records
# are read before they are written.
STRATEGIES = ["overwrite"] * ROUNDS + ["fill"]


def run(tmp: Path = Path("/tmp")) -> dict:
    from prospecting.providers.airtable import WINDOW_MARGIN

    url = common.fresh_database()
    redis.Redis.from_url(common.REDIS_URL).flushdb()
    port = common.free_port()
    env = common.enrichment_env(
        url,
        tmp,
        port,
        AIRTABLE_URL=f"http://127.0.0.1:{port}/sandbox/airtable",
        SANDBOX_AIRTABLE_RATE="5",
        SANDBOX_AIRTABLE_LOCKOUT_SECONDS="30",
        AIRTABLE_LOCKOUT_SECONDS="30",
        AIRTABLE_RATE_LIMIT="5/second",
    )
    web = common.serve(env, port, tmp)
    worker = common.worker(env, tmp, threads=WORKER_THREADS)
    ratios, refused, fill = [], [], None
    try:
        for n, strategy in enumerate(STRATEGIES):
            ratio, too_many, latency, calls = _round(url, env, port, n, strategy)
            refused.append(too_many)
            # A request holds its slot until 1 s + margin after its answer, and
            # the reads and the schema read take slots that carry no records: the
            # best the pacing can do at this latency.
            writes = calls.get("records.write", 0)
            best = writes / max(1, sum(calls.values())) / (1 + WINDOW_MARGIN + latency)
            if strategy == "fill":
                fill = (ratio, best)
            else:
                ratios.append(ratio)
            print(
                f"  round {n + 1} ({strategy}): {ratio:.3f} of {CEILING} records/s, "
                f"{too_many} x 429 ({writes} writes, {calls.get('records', 0)} reads, "
                f"{calls.get('schema', 0)} schema read; median request "
                f"{latency * 1000:.0f} ms: at best {best:.3f})"
            )
    finally:
        common.stop(worker)
        common.stop(web)
        common.drop_database(url)
    median, total_429 = statistics.median(ratios), sum(refused)
    return common.report(
        f"airtable sync, {CONTACTS} contacts / {CEILING} rec/s",
        f"{median:.3f} (median of {ROUNDS}), {total_429} x 429; "
        f"fill {fill[0]:.3f} of at best {fill[1]:.3f}",
        f">= {TARGET}, 0 x 429",
        median >= TARGET and total_429 == 0,
    )


def _round(url: str, env: dict, port: int, n: int, strategy: str) -> tuple:
    base = "app" + uuid.uuid4().hex[:14]
    sandbox = f"http://127.0.0.1:{port}/sandbox/airtable"
    requests.put(f"{sandbox}/_bases/{base}", json={}, timeout=10).raise_for_status()
    name = f"Airtable bench {n}"
    _seed(url, name, base)
    common.run_flask(
        ["sync", "airtable", "--workspace", name, "--update-strategy", strategy],
        env,
    )
    engine = create_engine(url)
    try:
        while True:
            with engine.connect() as conn:
                job = conn.execute(
                    text(
                        "SELECT j.id, j.status, j.success_count, "
                        "EXTRACT(EPOCH FROM j.completed_at - j.started_at) "
                        "FROM jobs j JOIN workspaces w ON w.id = j.workspace_id "
                        "WHERE w.name = :n AND j.kind = 'airtable_sync'"
                    ),
                    {"n": name},
                ).one()
            if job[1] in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.5)
        with engine.connect() as conn:
            latency = conn.execute(
                text(
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) "
                    "FROM provider_calls WHERE provider = 'airtable' "
                    "AND status_code = 200 AND created_at >= (SELECT started_at "
                    "FROM jobs WHERE id = :j)"
                ),
                {"j": job[0]},
            ).scalar()
            too_many = conn.execute(
                text(
                    "SELECT count(*) FROM provider_calls WHERE provider = 'airtable' "
                    "AND status_code = 429 AND created_at >= (SELECT created_at "
                    "FROM jobs WHERE id = :j)"
                ),
                {"j": job[0]},
            ).scalar()
            calls = dict(
                conn.execute(
                    text(
                        "SELECT endpoint, count(*) FROM provider_calls "
                        "WHERE provider = 'airtable' AND created_at >= (SELECT "
                        "created_at FROM jobs WHERE id = :j) GROUP BY endpoint"
                    ),
                    {"j": job[0]},
                ).all()
            )
    finally:
        engine.dispose()
    if job[1] != "completed" or job[2] != CONTACTS:
        raise RuntimeError(f"the sync ended {job[1]} with {job[2]} of {CONTACTS}")
    ratio = CONTACTS / float(job[3]) / CEILING
    return ratio, int(too_many or 0), float(latency or 0) / 1000, calls


def _seed(url: str, name: str, base: str) -> None:
    """A workspace with Airtable settings on `base` and CONTACTS pending contacts."""
    from prospecting import create_app
    from prospecting.extensions import db
    from prospecting.services import accounts
    from prospecting.services import contacts
    from prospecting.services.contacts import ContactInput

    app = create_app(None, SQLALCHEMY_DATABASE_URI=url, HUEY_STORAGE="memory")
    with app.app_context():
        user = accounts.create_user(
            f"{uuid.uuid4().hex[:8]}@bench.test", "bench-password", workspace=name
        )
        ws = user.memberships[0].workspace_id
        contacts.save_settings(
            ws,
            token=TOKEN,
            base_id=base,
            contacts_table="Contacts",
            companies_table="Companies",
            contact_fields=dict(contacts.CONTACT_FIELDS),
            company_fields=dict(contacts.COMPANY_FIELDS),
        )
        people = [
            ContactInput(name=f"Person {i}", email=f"p{i}@bench-{base}.io")
            for i in range(CONTACTS)
        ]
        for start in range(0, CONTACTS, 500):
            contacts.upsert_contacts(ws, people[start : start + 500])
        db.session.remove()
        db.engine.dispose()
