"""A killed worker's batches run again within seconds: a 2,000-row enrichment job on
two workers (PostgreSQL, Redis, the throughput bench's rate limit), once undisturbed
and once with each worker SIGKILLed once (and started again at once, as a process
supervisor would), as a ratio of the two times; every row must be counted once."""

import signal
import time
from pathlib import Path

import redis
from sqlalchemy import create_engine
from sqlalchemy import text

from bench import common
from bench.throughput import contact_lines
from bench.throughput import limited_env

TARGET = 1.3
# Progress at which each of the two workers is killed.
KILL_AT = (0.3, 0.6)


def run(rows: int = 2000, tmp: Path = Path("/tmp")) -> dict:
    undisturbed = _one_run(rows, tmp, kills=())
    disturbed = _one_run(rows, tmp, kills=KILL_AT)
    ratio = disturbed["seconds"] / undisturbed["seconds"]
    for label, result in (("undisturbed", undisturbed), ("killed", disturbed)):
        print(
            f"  {label}: {result['seconds']:.1f}s, job {result['status']}, "
            f"{result['counted']} rows counted ({result['distinct']} distinct), "
            f"{result['repeated']} email checks sent again"
        )
    counted_once = all(
        r["counted"] == r["distinct"] == rows and r["status"] == "completed"
        for r in (undisturbed, disturbed)
    )
    return common.report(
        "recovery: 2 SIGKILLs / undisturbed (2 workers)",
        f"{ratio:.2f} ({disturbed['seconds']:.1f}s of {undisturbed['seconds']:.1f}s)",
        f"<= {TARGET}",
        ratio <= TARGET and counted_once,
    )


def _one_run(rows: int, tmp: Path, *, kills: tuple[float, ...]) -> dict:
    url = common.fresh_database()
    redis.Redis.from_url(common.REDIS_URL).flushdb()
    port = common.free_port()
    env = limited_env(url, tmp, port)
    procs = [common.serve(env, port, tmp)]
    workers = []
    try:
        token = common.api_token(env)
        workers = [common.worker(env, tmp) for _ in range(2)]
        time.sleep(2)
        started = time.monotonic()
        job_id = common.upload_csv(port, token, contact_lines(rows))
        for victim, share in enumerate(kills):
            while True:
                status = common.job_status(port, token, job_id)
                if status["success_count"] + status["failed_count"] >= share * rows:
                    break
                time.sleep(0.2)
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait(10)
            workers[victim] = common.worker(env, tmp)
        status = common.wait_job(port, token, job_id, every=0.2)
        seconds = time.monotonic() - started
        engine = create_engine(url)
        with engine.connect() as conn:
            counted, distinct = conn.execute(
                text(
                    "SELECT count(*), count(DISTINCT row_number) FROM enrichment_rows "
                    "WHERE job_id = :job AND status <> 'pending'"
                ),
                {"job": job_id},
            ).one()
            checks = conn.scalar(
                text("SELECT count(*) FROM provider_calls WHERE provider = 'emails'")
            )
        engine.dispose()
        return {
            "seconds": seconds,
            "status": status["status"],
            "counted": status["success_count"] + status["failed_count"],
            "distinct": distinct if counted == distinct else -1,
            "repeated": checks - rows,
        }
    finally:
        for proc in reversed(workers + procs):
            common.stop(proc)
        common.drop_database(url)
