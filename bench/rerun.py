"""A cached re-run: "re-run exactly" of a finished enrichment job whose every
answer is in the provider cache (the first run put it there), end to end from the
click to the job's completion, with two worker processes on PostgreSQL and Redis.
Rows a second (target ≥ 3,000), with the workers' CPU a row."""

import json
import statistics
import time
from pathlib import Path

import redis

from bench import common
from bench.throughput import contact_lines

ROWS = 10_000
REPEAT = 3
TARGET = 3000


def run(tmp: Path = Path("/tmp")) -> dict:
    url = common.fresh_database()
    redis.Redis.from_url(common.REDIS_URL).flushdb()
    port = common.free_port()
    # The first run fills the cache as fast as the sandbox answers.
    env = common.enrichment_env(
        url,
        tmp,
        port,
        PROVIDER_RATE_LIMITS=json.dumps({}),
        SANDBOX=json.dumps({"latency_ms": 0, "rate_limit": 0}),
    )
    procs = [common.serve(env, port, tmp)]
    try:
        token = common.api_token(env)
        procs += [common.worker(env, tmp) for _ in range(2)]
        time.sleep(2)
        first = common.upload_csv(port, token, contact_lines(ROWS))
        status = common.wait_job(port, token, first)
        assert status["status"] == "completed", status
        app = _app(url, env)
        rates, cpus = [], []
        for _ in range(REPEAT):
            cpu_before = [common.cpu_seconds(p.pid) for p in procs[1:]]
            started = time.monotonic()
            job_id = _rerun_exactly(app, first)
            status = common.wait_job(port, token, job_id, every=0.1)
            elapsed = time.monotonic() - started
            cpu = sum(
                common.cpu_seconds(p.pid) - b
                for p, b in zip(procs[1:], cpu_before, strict=True)
            )
            calls = _calls_of(app, job_id)
            print(
                f"  re-run of {ROWS} rows in {elapsed:.2f}s = "
                f"{ROWS / elapsed:,.0f} rows/s; workers {1000 * cpu / ROWS:.2f} ms "
                f"of CPU a row; {calls} provider calls; job {status['status']}"
            )
            assert status["status"] == "completed" and calls == 0, (status, calls)
            rates.append(ROWS / elapsed)
            cpus.append(1000 * cpu / ROWS)
    finally:
        for proc in reversed(procs):
            common.stop(proc)
        common.drop_database(url)
    rate = statistics.median(rates)
    return common.report(
        "cached re-run exactly, rows/s",
        f"{rate:,.0f} rows/s (median of {REPEAT}; "
        f"{statistics.median(cpus):.2f} ms CPU a row)",
        f">= {TARGET:,}",
        rate >= TARGET,
    )


def _app(url: str, env: dict):
    from prospecting import create_app

    return create_app(
        None,
        SQLALCHEMY_DATABASE_URI=url,
        REDIS_URL=env["REDIS_URL"],
        HUEY_STORAGE="redis",
        RATELIMIT_STORAGE_URL=env["REDIS_URL"],
        UPLOAD_DIR=env["UPLOAD_DIR"],
    )


def _rerun_exactly(app, job_id: str) -> str:
    """What the "Re-run exactly" button does: the new job, its batches sent."""
    from prospecting import tasks
    from prospecting.extensions import db
    from prospecting.models import Job
    from prospecting.services import jobs

    with app.app_context():
        job = db.session.get(Job, job_id)
        new = jobs.rerun_exactly(job.workspace_id, job_id)
        tasks.enqueue_batches(jobs.open_batches(new.id))
        return new.id


def _calls_of(app, job_id: str) -> int:
    from prospecting.extensions import db
    from prospecting.models import Job

    with app.app_context():
        return db.session.get(Job, job_id).call_count
