"""Pages flat in job size: the job page and its results page of a 1,000,000-row
enrichment job against those of a 1,000-row job, finished and while running, on
PostgreSQL (median server time, in process; target ≤ 1.5×). Each job has the
provider calls a real run leaves (two a row), a cache hit for every tenth row, and
the counters a run keeps on its job row."""

import statistics
import time
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import text

from bench import common

BIG, SMALL = 1_000_000, 1_000
REPEAT = 15
TARGET = 1.5


def run(tmp: Path = Path("/tmp")) -> dict:
    url = common.fresh_database()
    try:
        user_id, workspace_id = _seed(url)
        jobs = {}
        for rows in (SMALL, BIG):
            for state in ("completed", "running"):
                jobs[(rows, state)] = _fabricate(url, workspace_id, rows, state)
        timings = _time(url, user_id, jobs)
    finally:
        common.drop_database(url)
    worst = 0.0
    for state in ("completed", "running"):
        for page in ("job page", "results page"):
            small, big = timings[(SMALL, state, page)], timings[(BIG, state, page)]
            ratio = big / small
            worst = max(worst, ratio)
            print(
                f"  {state:<9} {page:<12} 1k rows {small * 1000:7.2f} ms, "
                f"1M rows {big * 1000:7.2f} ms, {ratio:.2f}x"
            )
    return common.report(
        "job / results page, 1M-row job / 1k-row job",
        f"{worst:.2f}x (worst of 4)",
        f"<= {TARGET}x",
        worst <= TARGET,
    )


def _seed(url: str) -> tuple[int, int]:
    from prospecting import create_app
    from prospecting.services import accounts

    app = create_app(None, SQLALCHEMY_DATABASE_URI=url, HUEY_STORAGE="memory")
    with app.app_context():
        user = accounts.create_user("big@bench.test", "bench-password", workspace="Big")
        return user.id, user.memberships[0].workspace_id


def _fabricate(url: str, workspace_id: int, rows: int, state: str) -> str:
    """A job of `rows` rows as a run leaves it: rows processed (all, or the first
    half while running), two provider calls a processed row, a cache hit a tenth."""
    from prospecting import create_app
    from prospecting.extensions import db
    from prospecting.services import jobs

    app = create_app(None, SQLALCHEMY_DATABASE_URI=url, HUEY_STORAGE="memory")
    with app.app_context():
        job = jobs.create(
            "enrichment",
            {
                "filename": f"bench-{rows}.csv",
                "headers": ["name", "email", "website"],
                "mapping": {"name": "name", "email": "email", "website": "website"},
            },
            workspace_id=workspace_id,
            title=f"bench {rows}",
            total=rows,
        )
        db.session.commit()
        job_id = job.id
    done = rows if state == "completed" else rows // 2
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("""
            INSERT INTO enrichment_rows (job_id, row_number, data, status, name,
                email, email_normalized, email_valid, email_verdict, company_domain,
                processed_at)
            SELECT :job, n,
                   '["P' || n || '", "p' || n || '@c' || (n % 997) || '.com", ""]',
                   CASE WHEN n > :done THEN 'pending'
                        WHEN n % 10 = 0 THEN 'failed' ELSE 'success' END,
                   CASE WHEN n > :done THEN NULL ELSE 'P' || n END,
                   CASE WHEN n > :done THEN NULL ELSE 'p' || n || '@c.com' END,
                   CASE WHEN n > :done THEN NULL ELSE 'p' || n || '@c.com' END,
                   CASE WHEN n > :done THEN NULL ELSE n % 10 <> 0 END,
                   CASE WHEN n > :done THEN NULL
                        WHEN n % 10 = 0 THEN 'invalid' ELSE 'valid' END,
                   CASE WHEN n > :done THEN NULL ELSE 'c' || (n % 997) || '.com' END,
                   CASE WHEN n > :done THEN NULL ELSE now() END
            FROM generate_series(1, :rows) AS n
            """),
            {"job": job_id, "rows": rows, "done": done},
        )
        conn.execute(
            text("""
            INSERT INTO provider_calls (provider, endpoint, method, status_code,
                latency_ms, attempts, job_id, cost, created_at)
            SELECT CASE WHEN n % 2 = 0 THEN 'emails' ELSE 'companies' END,
                   CASE WHEN n % 2 = 0 THEN 'check_email'
                        ELSE 'organizations/enrich' END,
                   'GET', 200, 50, 1, :job,
                   CASE WHEN n % 2 = 0 THEN 0.002 ELSE 0.01 END,
                   now() - (n || ' milliseconds')::interval
            FROM generate_series(1, :calls) AS n
            """),
            {"job": job_id, "calls": 2 * done},
        )
        conn.execute(
            text("""
            INSERT INTO cache_hits (provider, endpoint, job_id, created_at)
            SELECT 'emails', 'check_email', :job, now()
            FROM generate_series(1, :hits) AS n
            """),
            {"job": job_id, "hits": done // 10},
        )
        failed = done // 10
        conn.execute(
            text("""
            UPDATE jobs SET status = :state, started_at = now() - interval '1 hour',
                completed_at = CASE WHEN :finished THEN now() END,
                progress_current = :done, success_count = :ok, failed_count = :bad,
                cost = 0.012 * :done, call_count = 2 * :done,
                cache_hit_count = :hits
            WHERE id = :job
            """),
            {"job": job_id, "state": state, "finished": state == "completed",
             "done": done, "ok": done - failed, "bad": failed, "hits": done // 10},
        )  # fmt: skip
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return job_id


def _time(url: str, user_id: int, jobs: dict) -> dict:
    from prospecting import create_app

    app = create_app(
        None,
        SQLALCHEMY_DATABASE_URI=url,
        HUEY_STORAGE="memory",
        WTF_CSRF_ENABLED=False,
    )
    client = app.test_client()
    signed_in = client.post(
        "/login", data={"email": "big@bench.test", "password": "bench-password"}
    )
    assert signed_in.status_code == 302, signed_in.status_code
    timings = {}
    for (rows, state), job_id in jobs.items():
        for page, path in (
            ("job page", f"/enrichment/jobs/{job_id}"),
            ("results page", f"/enrichment/jobs/{job_id}/results"),
        ):
            client.get(path)  # warm
            times = []
            for _ in range(REPEAT):
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.status_code)
            timings[(rows, state, page)] = statistics.median(times)
    return timings
