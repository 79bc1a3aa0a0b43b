"""Enrichment throughput against the sandbox at 100 ms latency and 50 req/s, as a ratio
of that limit, with two worker processes sharing the limiter through Redis."""

import json
import sys
import time
from pathlib import Path

import redis
import requests
from sqlalchemy import create_engine
from sqlalchemy import text

from bench import common

LIMIT = 50
LATENCY_MS = 100
# Our shared limiter runs a little under the provider's published limit, so that
# request timing jitter between the two windows does not earn 429s.
CLIENT_LIMIT = 48


def run(rows: int = 3000, tmp: Path = Path("/tmp")) -> dict:
    url = common.fresh_database()
    redis.Redis.from_url(common.REDIS_URL).flushdb()
    port = common.free_port()
    sandbox = f"http://127.0.0.1:{port}/sandbox"
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": common.REDIS_URL,
        "HUEY_STORAGE": "redis",
        "SANDBOX_URL": sandbox,
        "EMAIL_VERIFIER_URL": f"{sandbox}/reacher",
        "COMPANY_ENRICHER_URL": f"{sandbox}/apollo",
        "UPLOAD_DIR": str(tmp / "uploads"),
        "PROVIDER_RATE_LIMITS": json.dumps(
            {"emails": f"{CLIENT_LIMIT}/second", "companies": f"{CLIENT_LIMIT}/second"}
        ),
        "SANDBOX": json.dumps(
            {"latency_ms": LATENCY_MS, "rate_limit": LIMIT, "retry_after": 1}
        ),
    }
    procs = [
        common.start(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "1",
                "--threads",
                "64",
                "-b",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            env,
            tmp / "bench-web.log",
        )
    ]
    try:
        common.wait_http(f"{sandbox}/_config")
        common.run_flask(["demo", "seed"], env)
        token = (
            common.run_flask(["tokens", "create", "--workspace", "Demo"], env)
            .stdout.strip()
            .splitlines()[-1]
        )
        lines = ["name,email,website"] + [
            f"P{i},person{i}@company{i}.com,company{i}.com" for i in range(rows)
        ]
        for _ in range(2):
            procs.append(
                common.start(
                    [sys.executable, "-m", "flask", "worker", "-w", "12"],
                    env,
                    tmp / "bench-worker.log",
                )
            )
        time.sleep(2)
        cpu_before = [common.cpu_seconds(p.pid) for p in procs]
        started = time.monotonic()
        response = requests.post(
            f"http://127.0.0.1:{port}/jobs/upload",
            headers={"X-API-Key": token},
            files={"file": ("bench.csv", "\n".join(lines))},
        )
        job_id = response.json()["job_id"]
        while True:
            status = requests.get(
                f"http://127.0.0.1:{port}/jobs/{job_id}/status",
                headers={"X-API-Key": token},
            ).json()
            if status["status"] in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        cpu = [
            common.cpu_seconds(p.pid) - b
            for p, b in zip(procs, cpu_before, strict=True)
        ]
        engine = create_engine(url)
        with engine.connect() as conn:
            calls = conn.execute(
                text(
                    "SELECT count(*), min(created_at), max(created_at), "
                    "sum(case when status_code = 429 then 1 else 0 end) "
                    "FROM provider_calls WHERE provider = 'emails'"
                )
            ).one()
        engine.dispose()
        span = (calls[2] - calls[1]).total_seconds()
        rate = calls[0] / span if span else 0.0
        ratio = rate / LIMIT
        print(
            f"  {rows} rows in {elapsed:.1f}s end to end; "
            f"{calls[0]} verifier calls over "
            f"{span:.1f}s = {rate:.1f} req/s; {calls[3]} answered 429; "
            f"job {status['status']} ({status['success_count']} ok, "
            f"{status['failed_count']} failed)"
        )
        print(
            f"  CPU over the run: workers {sum(cpu[1:]):.1f}s "
            f"({1000 * sum(cpu[1:]) / rows:.1f} ms a row), sandbox {cpu[0]:.1f}s"
        )
        return common.report(
            "enrichment throughput / sandbox limit",
            f"{ratio:.2f} ({rate:.1f} of {LIMIT} req/s)",
            ">= 0.90",
            ratio >= 0.9 and status["status"] == "completed",
        )
    finally:
        for proc in reversed(procs):
            common.stop(proc)
        common.drop_database(url)
