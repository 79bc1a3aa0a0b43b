"""Prospect search: 2,500 Sales Navigator prospects against the sandbox at page latency
L and delay D between pages, as a ratio of the ideal pages × (L + D)."""

import json
import statistics
import sys
import time
from pathlib import Path

import redis
import requests

from bench import common

TARGET = 2500
PAGE_SIZE = 100
LATENCY_MS = 200
DELAY_S = 2.0  # the product default
# Huey's scheduler wakes once a second and idle workers poll up to once a second;
# pages are sent PROSPECT_PAGE_LEAD_SECONDS early and wait out the rest themselves.
MAX_RATIO = 1.1


def _connect_account(url: str, sandbox: str) -> None:
    """Create this area's tables if no migration has, and connect the demo account."""
    from sqlalchemy import select

    from config import Config
    from prospecting import create_app
    from prospecting.extensions import db
    from prospecting.models import Workspace
    from prospecting.services import prospects

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, HUEY_STORAGE="memory")
    with app.app_context():
        db.create_all()
        ws = db.session.scalar(select(Workspace).where(Workspace.name == "Demo"))
        prospects.save_account(
            ws.id, dsn=f"{sandbox}/unipile", api_key="bench-key", account_id="bench"
        )
        db.session.remove()
        db.engine.dispose()


def _print_gaps(url: str, job_id: str) -> None:
    """Where the time went: the job's start to its first request, each page's
    answer to the next page's request (the delay kept, never under D), and the
    last answer to the job's end, from the provider call log."""
    from sqlalchemy import create_engine
    from sqlalchemy import text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            calls = conn.execute(
                text(
                    "SELECT EXTRACT(EPOCH FROM created_at), latency_ms "
                    "FROM provider_calls WHERE job_id = :j AND provider = 'unipile' "
                    "ORDER BY created_at"
                ),
                {"j": job_id},
            ).all()
            created, ended = conn.execute(
                text(
                    "SELECT EXTRACT(EPOCH FROM created_at), "
                    "EXTRACT(EPOCH FROM completed_at) "
                    "FROM jobs WHERE id = :j"
                ),
                {"j": job_id},
            ).one()
    finally:
        engine.dispose()
    if len(calls) < 2:
        return
    answers = [float(at) for at, _ in calls]
    sent = [float(at) - ms / 1000 for at, ms in calls]
    gaps = sorted(s - a for a, s in zip(answers, sent[1:], strict=False))
    latency = statistics.median(ms for _, ms in calls)
    print(
        f"  created to first request {sent[0] - float(created):.2f}s; answer to next "
        f"request: min {gaps[0]:.3f}s, median {statistics.median(gaps):.3f}s, "
        f"max {gaps[-1]:.3f}s (D={DELAY_S}s); median request {latency:.0f} ms; "
        f"last answer to end {float(ended or answers[-1]) - answers[-1]:.2f}s"
    )


def run(tmp: Path = Path("/tmp")) -> dict:
    url = common.fresh_database()
    redis.Redis.from_url(common.REDIS_URL).flushdb()
    port = common.free_port()
    sandbox = f"http://127.0.0.1:{port}/sandbox"
    base = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": common.REDIS_URL,
        "HUEY_STORAGE": "redis",
        "SANDBOX_URL": sandbox,
        "UNIPILE_DEFAULT_DSN": f"{sandbox}/unipile",
        "PROSPECT_PAGE_DELAY_SECONDS": str(DELAY_S),
        "SANDBOX": json.dumps({"latency_ms": LATENCY_MS}),
    }
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        "1",
        "--threads",
        "16",
        "-b",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ]
    procs = [common.start(web, env, tmp / "bench-prospects-web.log")]
    try:
        common.wait_http(f"{sandbox}/_config")
        common.run_flask(["demo", "seed"], env)
        token = (
            common.run_flask(["tokens", "create", "--workspace", "Demo"], env)
            .stdout.strip()
            .splitlines()[-1]
        )
        _connect_account(url, sandbox)
        worker = [sys.executable, "-m", "flask", "worker", "-w", "2"]
        worker_log = tmp / "bench-prospects-worker.log"
        procs.append(common.start(worker, {**env, "PYTHONUNBUFFERED": "1"}, worker_log))
        # The search starts once the worker consumes (its threads start right
        # after it says so): the figure is the search's, not the worker's boot.
        common.wait_log(worker_log, "consuming")
        time.sleep(1)
        headers = {"X-API-Key": token}
        body = {
            "search_criteria": {"category": "people", "keywords": "bench"},
            "search_type": "linkedin",
            "search_source": "sales_navigator",
            "target_count": TARGET,
        }
        started = time.monotonic()
        created = requests.post(
            f"{base}/api/linkedin/search/create-job", json=body, headers=headers
        ).json()
        while True:
            job = requests.get(
                f"{base}/api/linkedin/search/create-job",
                params={"job_id": created["job_id"]},
                headers=headers,
            ).json()["job"]
            if job["status"] in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - started
        pages = -(-TARGET // PAGE_SIZE)
        ideal = pages * (LATENCY_MS / 1000 + DELAY_S)
        ratio = elapsed / ideal
        print(
            f"  {job['results_count']} prospects in {elapsed:.1f}s end to end "
            f"({pages} pages, L={LATENCY_MS} ms, D={DELAY_S}s, ideal {ideal:.1f}s); "
            f"job {job['status']} {job['error_message'] or ''}"
        )
        _print_gaps(url, created["job_id"])
        ok = job["status"] == "completed" and job["results_count"] == TARGET
        return common.report(
            "prospect search 2,500 / ideal pages×(L+D)",
            f"{ratio:.2f} ({elapsed:.1f}s of {ideal:.1f}s)",
            f"<= {MAX_RATIO}",
            ok and ratio <= MAX_RATIO,
        )
    finally:
        for proc in procs:
            common.stop(proc)
        common.drop_database(url)


if __name__ == "__main__":
    run()
