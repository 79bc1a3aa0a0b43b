"""Enrichment throughput against the sandbox at 100 ms latency and 50 req/s, as a ratio
of that limit, with two worker processes sharing the limiter through Redis."""

import json
import statistics
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


def limited_env(
    url: str,
    tmp: Path,
    port: int,
    *,
    sandbox_port: int | None = None,
    limit: int = LIMIT,
    latency_ms: int = LATENCY_MS,
    client_limit: int = CLIENT_LIMIT,
) -> dict:
    """Settings of a throughput run: the sandbox's limit and latency, our shared
    limiter a little under it."""
    rule = f"{client_limit}/second"
    return common.enrichment_env(
        url,
        tmp,
        port,
        sandbox_port=sandbox_port,
        PROVIDER_RATE_LIMITS=json.dumps({"emails": rule, "companies": rule}),
        SANDBOX=json.dumps(
            {"latency_ms": latency_ms, "rate_limit": limit, "retry_after": 1}
        ),
    )


def contact_lines(rows: int) -> list[str]:
    """A CSV whose every row has its own address and company domain."""
    return ["name,email,website"] + [
        f"P{i},person{i}@company{i}.com,company{i}.com" for i in range(rows)
    ]


def run(rows: int = 3000, tmp: Path = Path("/tmp")) -> dict:
    return measure("enrichment throughput / sandbox limit", rows, tmp, target=0.9)


def run200(tmp: Path = Path("/tmp")) -> dict:
    """The same at a 200 req/s limit and 50 ms latency, with the workers' CPU a row
    against the CPU of the two bare HTTP calls a row makes."""
    return measure(
        "enrichment throughput at 200 req/s / limit",
        6000,
        tmp,
        limit=200,
        latency_ms=50,
        client_limit=196,
        target=0.95,
        cpu_target=2.5,
    )


def measure(
    name: str,
    rows: int,
    tmp: Path,
    *,
    limit: int = LIMIT,
    latency_ms: int = LATENCY_MS,
    client_limit: int = CLIENT_LIMIT,
    target: float,
    cpu_target: float | None = None,
) -> dict:
    url = common.fresh_database()
    redis.Redis.from_url(common.REDIS_URL).flushdb()
    port, sandbox_port = common.free_port(), common.free_port()
    env = limited_env(
        url, tmp, port, sandbox_port=sandbox_port, limit=limit,
        latency_ms=latency_ms, client_limit=client_limit,
    )  # fmt: skip
    procs = [common.serve_sandbox(env, sandbox_port, tmp), common.serve(env, port, tmp)]
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
                    "sum(case when status_code = 429 then 1 else 0 end), "
                    "percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) "
                    "FROM provider_calls WHERE provider = 'emails' AND job_id = :job"
                ),
                {"job": job_id},
            ).one()
            # The demo workspace's sample job (seeded with the token) runs on the
            # workers too: its calls are not the run's, and counting them put
            # its start, seconds before the upload, into the span.
            others = conn.execute(
                text(
                    "SELECT count(*), min(created_at), max(created_at) "
                    "FROM provider_calls WHERE provider = 'emails' "
                    "AND job_id IS DISTINCT FROM :job"
                ),
                {"job": job_id},
            ).one()
            # Calls a whole second, the run's first and last seconds left out:
            # the pace the limiter keeps, apart from the start and the end.
            seconds = (
                conn.execute(
                    text(
                        "SELECT count(*) FROM provider_calls WHERE provider = 'emails' "
                        "AND job_id = :job GROUP BY date_trunc('second', created_at) "
                        "ORDER BY date_trunc('second', created_at)"
                    ),
                    {"job": job_id},
                )
                .scalars()
                .all()[1:-1]
            )
        engine.dispose()
        span = (calls[2] - calls[1]).total_seconds()
        rate = calls[0] / span if span else 0.0
        ratio = rate / limit
        if others[0]:
            print(
                f"  not counted: {others[0]} verifier calls of other jobs, "
                f"{others[1]:%H:%M:%S.%f} to {others[2]:%H:%M:%S.%f}; the run's "
                f"from {calls[1]:%H:%M:%S.%f} to {calls[2]:%H:%M:%S.%f}"
            )
        print(
            f"  {rows} rows in {elapsed:.1f}s end to end; "
            f"{calls[0]} verifier calls over "
            f"{span:.1f}s = {rate:.1f} req/s; {calls[3]} answered 429; "
            f"job {status['status']} ({status['success_count']} ok, "
            f"{status['failed_count']} failed); a call took a median "
            f"{calls[4]:.0f} ms (the sandbox waits {latency_ms})"
        )
        if seconds:
            print(
                f"  a whole second of the run held a median "
                f"{statistics.median(seconds):.0f} verifier calls (min "
                f"{min(seconds)}); the start and the end make up the rest"
            )
        per_row = 1000 * sum(cpu[2:]) / rows
        print(
            f"  CPU over the run: workers {sum(cpu[2:]):.1f}s "
            f"({per_row:.2f} ms a row), sandbox {cpu[0]:.1f}s, app {cpu[1]:.1f}s"
        )
        ok = ratio >= target and status["status"] == "completed"
        figure = f"{ratio:.2f} ({rate:.1f} of {limit} req/s)"
        if cpu_target is not None:
            bare, direct = bare_call_ms(sandbox_port)
            cpu_ratio = per_row / (2 * bare)
            print(
                f"  a bare HTTP call to the sandbox: {bare:.2f} ms of CPU through "
                f"requests, {direct:.2f} ms through the direct send; a row costs "
                f"the workers {cpu_ratio:.2f}x two requests calls (target <= "
                f"{cpu_target}x), {per_row / (2 * direct):.2f}x two direct sends"
            )
            ok = ok and cpu_ratio <= cpu_target
            figure += f", CPU {cpu_ratio:.1f}x bare"
        return common.report(name, figure, f">= {target:.2f}", ok)
    finally:
        for proc in reversed(procs):
            common.stop(proc)
        common.drop_database(url)


BARE = """
import resource, sys, requests
from urllib3.util.retry import Retry
from prospecting.providers import transport
url = sys.argv[1]
headers = {"Authorization": "sandbox-key",
           "X-Sandbox": '{"latency_ms": 0, "rate_limit": 0}'}
session = requests.Session()
session.headers.update(headers)
direct = transport.pool(Retry(0), "bare")
def by_requests(n):
    session.post(url, json={"to_email": f"p{n}@bare.test"})
def by_direct(n):
    transport.send(direct, "POST", url,
                   {"json": {"to_email": f"p{n}@bare.test"}, "headers": headers})
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
for send in (by_requests, by_direct):
    for n in range(50):
        send(n)
    before = cpu()
    for n in range(500):
        send(n)
    print((cpu() - before) / 500 * 1000)
"""


def bare_call_ms(port: int) -> tuple[float, float]:
    """CPU a client spends on one bare HTTP call to the sandbox, kept alive, in
    ms: through a requests session (the yardstick the target was set in), and
    through the direct send the workers' provider calls now take
    (providers/transport.py)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", BARE, f"http://127.0.0.1:{port}/sandbox/reacher/v1/check_email"],
        capture_output=True, text=True, check=True, cwd=common.ROOT,
    )  # fmt: skip
    by_requests, direct = out.stdout.strip().splitlines()[-2:]
    return float(by_requests), float(direct)
