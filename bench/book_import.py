"""Rows into the contact book ("Add to contacts" as a job) on PostgreSQL, next to
COPY of the same rows into tables shaped as the book's (same columns and
indexes): 20,000 enrichment rows, each a new person with a verified email, a
phone and one of 200 companies, become contacts with their email, phone, company
link and source, as "Add to contacts" does it: the job's batches sent to one
`flask worker` (its default four threads), timed from the start to the job's
completion. The median of a few rounds, each timing COPY and then the job, so
both see the same machine."""

import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import redis
from sqlalchemy.engine import make_url

from bench import common

TABLES = {
    "contacts": "id, workspace_id, company_id, name, email, phone, title, location, "
    "linkedin_url, linkedin_key, addresses, source, provider_ids, sync_failed, "
    "created_at, updated_at",
    "contact_emails": "id, workspace_id, contact_id, email, verdict, flags, "
    "verified_at, is_primary, source, created_at",
    "contact_phones": "id, workspace_id, contact_id, phone, is_primary, source, "
    "created_at",
    "contact_companies": "contact_id, company_id, role, created_at",
    "contact_sources": "id, contact_id, source, ref, created_at",
}


def _person(i: int, r: int) -> tuple[str, str, str]:
    return (
        f"Person {i}",
        f"person{i}.r{r}@company{i % 200}.com",
        f"+1415{r}{i:06d}"[:12],
    )


def copy_seconds(url: str, rows: int, r: int) -> float:
    """COPY the rows the import writes into copies of the book's tables."""
    dsn = (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    now = "2026-12-07 00:00:00"
    data = {name: io.StringIO() for name in TABLES}
    for i in range(1, rows + 1):
        name, email, phone = _person(i, r)
        data["contacts"].write(
            f"{i}\t1\t{i % 200 + 1}\t{name}\t{email}\t{phone}\t\\N\t\\N\t\\N\t\\N\t"
            f"[]\tenrichment\t{{}}\tf\t{now}\t{now}\n"
        )
        data["contact_emails"].write(
            f"{i}\t1\t{i}\t{email}\tvalid\t[]\t{now}\tt\tenrichment\t{now}\n"
        )
        data["contact_phones"].write(f"{i}\t1\t{i}\t{phone}\tt\tenrichment\t{now}\n")
        data["contact_companies"].write(f"{i}\t{i % 200 + 1}\t\\N\t{now}\n")
        data["contact_sources"].write(f"{i}\t{i}\tenrichment\tjob-{r}\t{now}\n")
    with psycopg.connect(dsn) as conn:
        for name in TABLES:
            conn.execute(
                f"CREATE TABLE copy_{name}_{r} (LIKE {name} INCLUDING DEFAULTS "
                "INCLUDING INDEXES)"
            )
        conn.commit()
        started = time.perf_counter()
        for name, columns in TABLES.items():
            with conn.cursor().copy(
                f"COPY copy_{name}_{r} ({columns}) FROM STDIN"
            ) as cp:
                cp.write(data[name].getvalue())
        conn.commit()
        return time.perf_counter() - started


CHILD = """
import json, sys, time
from prospecting import create_app
from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import EnrichmentRow, Job, Contact
from prospecting.models.base import utcnow
from prospecting.services import accounts, contacts, jobs
from sqlalchemy import func, select
app = create_app(None, SQLALCHEMY_DATABASE_URI=sys.argv[1], REDIS_URL=sys.argv[4],
                 HUEY_STORAGE="redis")
rows, r = int(sys.argv[2]), int(sys.argv[3])
with app.app_context():
    user = accounts.create_user(f"bench{r}@x.test", "bench-password",
                                workspace=f"Bench {r}")
    ws = user.memberships[0].workspace
    job = Job(workspace_id=ws.id, kind="enrichment", status="completed",
              params={}, title="bench")
    db.session.add(job)
    db.session.commit()
    now = utcnow()
    values = []
    for i in range(1, rows + 1):
        name, email, phone = f"Person {i}", f"person{i}.r{r}@company{i % 200}.com", \
            f"+1415{r}{i:06d}"[:12]
        values.append(dict(job_id=job.id, row_number=i, data=[], name=name,
            email=email, company=f"Company {i % 200}", phone=phone,
            status="success", email_normalized=email, email_valid=True,
            email_verdict="valid", email_flags=[], phone_e164=phone,
            company_domain=f"company{i % 200}.com", company_name=f"Company {i % 200}",
            processed_at=now))
    for start in range(0, rows, 5000):
        db.session.execute(EnrichmentRow.__table__.insert(), values[start:start + 5000])
    db.session.commit()
    # What "Add to contacts" does: the job and its batches, sent to the workers.
    started = time.perf_counter()
    imported = contacts.start_import(ws.id, user.id, "enrichment", job.id)
    tasks.enqueue_batches(jobs.open_batches(imported.id))
    while True:
        db.session.expire_all()
        status = db.session.scalar(select(Job.status).where(Job.id == imported.id))
        if status in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    stored = db.session.scalar(select(func.count()).select_from(Contact)
                               .where(Contact.workspace_id == ws.id))
    print(json.dumps({"seconds": elapsed, "contacts": stored, "status": status}))
"""


def book_import(url: str, rows: int, r: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(rows), str(r), common.REDIS_URL],
        cwd=common.ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=common.env_with({"DATABASE_URL": url}),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(rows: int = 20_000, tmp=None, rounds: int = 3) -> dict:
    url = common.fresh_database()
    redis.Redis.from_url(common.REDIS_URL).flushdb()
    env = {"DATABASE_URL": url, "REDIS_URL": common.REDIS_URL, "HUEY_STORAGE": "redis"}
    # One `flask worker` with its default threads, as `make run` starts it.
    worker = common.worker(env, Path(tmp or "/tmp"), threads=4)
    ratios = []
    try:
        time.sleep(2)
        for r in range(rounds):
            copy_s = copy_seconds(url, rows, r)
            cpu = common.cpu_seconds(worker.pid)
            result = book_import(url, rows, r)
            cpu = common.cpu_seconds(worker.pid) - cpu
            assert result["contacts"] == rows and result["status"] == "completed", (
                result
            )
            ours, theirs = rows / result["seconds"], rows / copy_s
            ratios.append(ours / theirs)
            print(
                f"  round {r + 1}: book {ours:,.0f} rows/s "
                f"({result['seconds']:.2f}s; worker {1000 * cpu / rows:.3f} ms CPU "
                f"a row), COPY {theirs:,.0f} rows/s ({copy_s:.2f}s), "
                f"ratio {ratios[-1]:.2f}"
            )
    finally:
        common.stop(worker)
        common.drop_database(url)
    ratio = statistics.median(ratios)
    return common.report(
        f"book_import {rows:,} rows into the contact book vs COPY (PostgreSQL)",
        f"{ratio:.2f} of COPY (median of {rounds})",
        ">= 0.3",
        ratio >= 0.3,
    )
