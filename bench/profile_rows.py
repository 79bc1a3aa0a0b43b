"""Where an enrichment row's worker CPU goes: the worker's code run in this one
process, sequentially, under cProfile (not a benchmark: no target).

    python -m bench.profile_rows [rows] [--rerun] [--out FILE]

Starts the sandbox (gunicorn, no latency, no limit) on a fresh PostgreSQL
database, uploads `rows` rows and works every batch here with the batch runner,
as a worker thread does. With `--rerun` the job is then re-run exactly and the
re-run's batches (every answer cached) are the ones profiled. Prints the CPU a
row and the functions with the most cumulative and own time.
"""

import argparse
import cProfile
import json
import os
import pstats
import resource
import tempfile
import time
from pathlib import Path

import redis

from bench import common
from bench.throughput import contact_lines


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _work_all(app, job_id: str, profile: cProfile.Profile | None) -> tuple[int, float]:
    from prospecting.services import jobs
    from prospecting.services.jobs import runner

    before, done = _cpu(), 0
    while True:  # the plan batch adds the rows batches
        with app.app_context():
            ids = [b for b, _ in jobs.open_batches(job_id)]
        if not ids:
            return done, _cpu() - before
        for batch_id in ids:
            with app.app_context():
                if profile is not None:
                    profile.enable()
                runner.run(batch_id, dispatch=lambda batches: None)
                if profile is not None:
                    profile.disable()
            done += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", nargs="?", type=int, default=2000)
    parser.add_argument("--rerun", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    url = common.fresh_database()
    redis.Redis.from_url(common.REDIS_URL).flushdb()
    port = common.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = common.enrichment_env(
            url,
            Path(tmp),
            port,
            PROVIDER_RATE_LIMITS=json.dumps({}),
            SANDBOX=json.dumps({"latency_ms": 0, "rate_limit": 0}),
        )
        proc = common.serve(env, port, Path(tmp))
        try:
            token = common.api_token(env)
            from bench.rerun import _app
            from bench.rerun import _rerun_exactly

            os.environ.update(env)  # the workers' settings, read by the app
            app = _app(url, env)
            job_id = common.upload_csv(port, token, contact_lines(args.rows))
            time.sleep(1)
            profile = cProfile.Profile(time.process_time)
            first = None if args.rerun else profile
            n, cpu = _work_all(app, job_id, first)
            print(f"first run: {n} batches, {1000 * cpu / args.rows:.2f} ms CPU a row")
            if args.rerun:
                again = _rerun_exactly(app, job_id)
                n, cpu = _work_all(app, again, profile)
                print(f"re-run: {n} batches, {1000 * cpu / args.rows:.2f} ms CPU a row")
                job_id = again
            print(common.job_status(port, token, job_id))
        finally:
            common.stop(proc)
            common.drop_database(url)
            redis.Redis.from_url(common.REDIS_URL).flushdb()
    stats = pstats.Stats(profile)
    if args.out:
        stats.dump_stats(args.out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
