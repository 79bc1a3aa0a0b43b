"""Enrichment throughput against the sandbox at 100 ms latency and 50 req/s, as a ratio
of that limit, with two worker processes sharing the limiter through Redis."""

import json
import time
from pathlib import Path

import redis
from sqlalchemy import create_engine
from sqlalchemy import text

from bench import common

LIMIT = 50
LATENCY_MS = 100
# Our shared limiter runs a little under the provider's published limit, so that
# request timing jitter between the two windows does not earn 429s.
CLIENT_LIMIT = 48


def limited_env(url: str, tmp: Path, port: int) -> dict:
    """Settings of the throughput run: the sandbox's limit and latency, our
    shared limiter a little under it."""
    return common.enrichment_env(
        url,
        tmp,
        port,
        PROVIDER_RATE_LIMITS=json.dumps(
            {"emails": f"{CLIENT_LIMIT}/second", "companies": f"{CLIENT_LIMIT}/second"}
        ),
        SANDBOX=json.dumps(
            {"latency_ms": LATENCY_MS, "rate_limit": LIMIT, "retry_after": 1}
        ),
    )


def contact_lines(rows: int) -> list[str]:
    """A CSV whose every row has its own address and company domain."""
    return ["name,email,website"] + [
        f"P{i},person{i}@company{i}.com,company{i}.com" for i in range(rows)
    ]


def run(rows: int = 3000, tmp: Path = Path("/tmp")) -> dict:
    url = common.fresh_database()
    redis.Redis.from_url(common.REDIS_URL).flushdb()
    port = common.free_port()
    env = limited_env(url, tmp, port)
    procs = [common.serve(env, port, tmp)]
    try:
        token = common.api_token(env)
        procs += [common.worker(env, tmp) for _ in range(2)]
        time.sleep(2)
        cpu_before = [common.cpu_seconds(p.pid) for p in procs]
        started = time.monotonic()
        job_id = common.upload_csv(port, token, contact_lines(rows))
        status = common.wait_job(port, token, job_id)
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
