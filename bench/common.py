"""Shared helpers for the benchmarks: services, a fresh database, subprocesses."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database() -> str:
    """Create an empty PostgreSQL database, migrate it, and return its URL."""
    name = f"prospecting_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = (
        make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    )
    run_flask(["db", "upgrade"], {"DATABASE_URL": url})
    return url


def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n"
            ),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def env_with(extra: dict) -> dict:
    return {**os.environ, "FLASK_APP": "wsgi", **{k: str(v) for k, v in extra.items()}}


def run_flask(args: list[str], extra: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env_with(extra),
        check=True,
        capture_output=True,
        text=True,
    )


def start(args: list[str], extra: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env_with(extra),
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )


def wait_http(url: str, timeout: float = 90) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def wait_log(path: Path, text: str, timeout: float = 90) -> None:
    """Wait until a process's log says `text` (a worker: "consuming", once its app
    is imported, which takes seconds on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{path.name} never said {text!r}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(2)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children still running (Linux
    /proc; 0 elsewhere): what a figure cost, next to how fast it was."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir() if Path("/proc/self").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def report(name: str, figure: str, target: str, ok: bool) -> dict:
    line = f"{name:<48} {figure:<40} target {target:<14} {'OK' if ok else 'MISSED'}"
    print(line, flush=True)
    return {"name": name, "figure": figure, "target": target, "ok": ok}


# An enrichment job end to end: sandbox + app under gunicorn, workers, the JSON API


def enrichment_env(
    url: str, tmp: Path, port: int, *, sandbox_port: int | None = None, **extra
) -> dict:
    """Settings of an app and its workers on `url`, Redis, and the sandbox served
    on `sandbox_port` (else with the app, on `port`)."""
    sandbox = f"http://127.0.0.1:{sandbox_port or port}/sandbox"
    return {
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "HUEY_STORAGE": "redis",
        "SANDBOX_URL": sandbox,
        "EMAIL_VERIFIER_URL": f"{sandbox}/reacher",
        "COMPANY_ENRICHER_URL": f"{sandbox}/apollo",
        "UPLOAD_DIR": str(tmp / "uploads"),
        **extra,
    }


def serve(env: dict, port: int, tmp: Path, threads: int = 64) -> subprocess.Popen:
    """The app (and its sandbox) under one gunicorn process, up and answering."""
    return _gunicorn("wsgi:app", env, port, tmp / "bench-web.log", threads)


def serve_sandbox(
    env: dict, port: int, tmp: Path, threads: int = 64
) -> subprocess.Popen:
    """The sandbox providers alone (prospecting.sandbox.server) in their own
    gunicorn process: a provider is another machine, and sharing the app's
    process made each provider call wait on the app's requests for the GIL."""
    return _gunicorn(
        "prospecting.sandbox.server:app", env, port, tmp / "bench-sandbox.log", threads
    )


def _gunicorn(
    app: str, env: dict, port: int, log: Path, threads: int
) -> subprocess.Popen:
    proc = start(
        [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", app],
        env,
        log,
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/sandbox/_config")
    return proc


def api_token(env: dict) -> str:
    """A token of the demo workspace (seeded here)."""
    run_flask(["demo", "seed"], env)
    created = run_flask(["tokens", "create", "--workspace", "Demo"], env)
    return created.stdout.strip().splitlines()[-1]


def worker(env: dict, tmp: Path, threads: int = 12) -> subprocess.Popen:
    return start(
        [sys.executable, "-m", "flask", "worker", "-w", str(threads)],
        env,
        tmp / "bench-worker.log",
    )


def upload_csv(port: int, token: str, lines: list[str]) -> str:
    """Start an enrichment job through the API; its id."""
    import requests

    response = requests.post(
        f"http://127.0.0.1:{port}/jobs/upload",
        headers={"X-API-Key": token},
        files={"file": ("bench.csv", "\n".join(lines))},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()["job_id"]


def job_status(port: int, token: str, job_id: str) -> dict:
    import requests

    return requests.get(
        f"http://127.0.0.1:{port}/jobs/{job_id}/status",
        headers={"X-API-Key": token},
        timeout=30,
    ).json()


def wait_job(port: int, token: str, job_id: str, every: float = 0.5) -> dict:
    """Poll the job's status until it ends; its last status."""
    while True:
        status = job_status(port, token, job_id)
        if status["status"] in ("completed", "failed", "cancelled"):
            return status
        time.sleep(every)
