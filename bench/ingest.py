"""Ingest of a 100k-row CSV into enrichment pages and batches on PostgreSQL, next to
COPY of the same file, with the ingest's peak memory: the median of a few rounds,
each timing COPY and then the ingest, so both see the same machine."""

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench import common


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", newline="") as out:
        out.write("name,email,company,phone,website\r\n")
        for i in range(rows):
            out.write(
                f"Person {i},person{i}@company{i % 997}.com,Company {i % 997},"
                f"+1 415 555 {i % 10000:04d},company{i % 997}.com\r\n"
            )


def copy_seconds(url: str, path: Path, table: str = "copy_target") -> float:
    dsn = (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    with psycopg.connect(dsn) as conn:
        # A regular (logged) table, as the ingest writes to one.
        conn.execute(
            f"CREATE TABLE {table} (name text, email text, company text, "
            "phone text, website text)"
        )
        started = time.perf_counter()
        with conn.cursor().copy(
            f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER)"
        ) as cp:
            with open(path, "rb") as f:
                while chunk := f.read(1 << 16):
                    cp.write(chunk)
        conn.commit()
        return time.perf_counter() - started


CHILD = """
import io, json, resource, sys, time
from prospecting import create_app
from prospecting.services import enrichment, jobs
from prospecting.services.jobs import runner
from prospecting.services import accounts
app = create_app(None, SQLALCHEMY_DATABASE_URI=sys.argv[1], UPLOAD_DIR=sys.argv[3],
                 HUEY_STORAGE="memory", MAX_UPLOAD_MB=500, MAX_CONTENT_LENGTH=500 << 20)
with app.app_context():
    user = accounts.create_user(f"bench{sys.argv[4]}@x.test", "bench-password",
                                workspace=f"Bench {sys.argv[4]}")
    ws = user.memberships[0].workspace
    with open(sys.argv[2], "rb") as f:
        upload = enrichment.save_upload(ws.id, user.id, "bench.csv", f)
    job = enrichment.start(ws.id, user.id, upload.id)
    (plan_id, _), = jobs.open_batches(job.id)
    started = time.perf_counter()
    runner.run(plan_id, dispatch=lambda batches: None)
    elapsed = time.perf_counter() - started
    # This process's own peak (VmHWM): ru_maxrss keeps the high-water mark of the
    # process it was forked from (the bench runner, grown by earlier benches).
    try:
        with open("/proc/self/status") as status:
            peak_kb = next(int(l.split()[1]) for l in status if l.startswith("VmHWM"))
    except OSError:
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_kb / 1024, "job_id": job.id,
                      "rows": jobs.get(ws.id, job.id).progress_total}))
"""


def ingest(url: str, path: Path, tmp: Path, round_: int = 0) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            url,
            str(path),
            str(tmp / "uploads"),
            str(round_),
        ],
        cwd=common.ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=common.env_with({"DATABASE_URL": url}),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(rows: int = 100_000, tmp: Path = Path("/tmp"), rounds: int = 3) -> dict:
    path = tmp / f"bench-{rows}.csv"
    write_csv(path, rows)
    url = common.fresh_database()
    ratios, peaks = [], []
    try:
        for r in range(rounds):
            copy_s = copy_seconds(url, path, table=f"copy_target_{r}")
            result = ingest(url, path, tmp, r)
            assert result["rows"] == rows, result
            ours, theirs = rows / result["seconds"], rows / copy_s
            ratios.append(ours / theirs)
            peaks.append(result["peak_mb"])
            print(
                f"  round {r + 1}: ingest {ours:,.0f} rows/s "
                f"({result['seconds']:.2f}s), "
                f"COPY {theirs:,.0f} rows/s ({copy_s:.2f}s), ratio {ratios[-1]:.2f}, "
                f"ingest peak RSS {result['peak_mb']:.0f} MB"
            )
    finally:
        common.drop_database(url)
    ratio = statistics.median(ratios)
    return common.report(
        f"ingest {rows:,} rows vs COPY (PostgreSQL)",
        f"{ratio:.2f} of COPY (median of {rounds}), peak {max(peaks):.0f} MB",
        ">= 0.33",
        ratio >= 1 / 3,
    )
