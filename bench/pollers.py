"""The job progress partial under 200 concurrent pollers against gunicorn on
PostgreSQL: median server time per request (from gunicorn's access log, %(D)s µs)
and errors; target median < 5 ms and no errors. gunicorn runs with the production
settings (gunicorn.conf.py). Each poller keeps its connection open and waits a
second between polls, as a page does (`hx-trigger="load delay:1s"`); their phases
are spread over the first second, as pages opened at different moments are. The
round trip each poller saw is printed beside the server time."""

import http.client
import statistics
import sys
import threading
import time
from pathlib import Path

import requests

from bench import common

POLLERS = 200
SECONDS = 15
# A server closing an idle kept-alive connection surfaces as one of these on its
# next request, which browsers (and this poller) send again on a new connection.
STALE_CONNECTION = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    BrokenPipeError,
)


def run(tmp: Path = Path("/tmp")) -> dict:
    url = common.fresh_database()
    port = common.free_port()
    base = f"http://127.0.0.1:{port}"
    access_log = tmp / "pollers-access.log"
    access_log.unlink(missing_ok=True)
    env = {
        "DATABASE_URL": url,
        "HUEY_STORAGE": "memory",
        "PROSPECTING_ENV": "development",
    }
    common.run_flask(["demo", "seed"], env)
    job_id = _make_job(url)
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(common.ROOT / "gunicorn.conf.py"),
        "-b",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(access_log),
        "--access-logformat",
        "%(s)s %(D)s %(U)s",
        "wsgi:app",
    ]
    proc = common.start(web, env, tmp / "pollers-web.log")
    try:
        common.wait_http(f"{base}/login")
        headers = _login(base)
        cpu = common.cpu_seconds(proc.pid)
        errors, seen = _poll(port, f"/jobs/{job_id}/progress", headers)
        cpu = common.cpu_seconds(proc.pid) - cpu
    finally:
        common.stop(proc)
        common.drop_database(url)
    lines = [
        line.split()
        for line in access_log.read_text().splitlines()
        if "/progress" in line
    ]
    times = [int(duration) / 1000 for _, duration, _ in lines]
    bad = errors + sum(1 for status, _, _ in lines if status != "200")
    median = statistics.median(times)
    print(
        f"  {len(seen)} polls by {POLLERS} pollers in {SECONDS}s; server time median "
        f"{median:.2f} ms, p95 {_p95(times):.2f} ms; round trip seen by the pollers "
        f"median {statistics.median(seen):.2f} ms, p95 {_p95(seen):.2f} ms; "
        f"{bad} errors; gunicorn CPU {1000 * cpu / len(seen):.2f} ms a poll"
    )
    return common.report(
        f"progress partial, {POLLERS} pollers (gunicorn)",
        f"median {median:.2f} ms, {bad} errors",
        "< 5 ms, 0 err",
        median < 5 and bad == 0,
    )


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _make_job(url: str) -> str:
    from prospecting import create_app
    from prospecting.extensions import db
    from prospecting.models import Job
    from prospecting.models import Workspace

    app = create_app(None, SQLALCHEMY_DATABASE_URI=url, HUEY_STORAGE="memory")
    with app.app_context():
        ws = db.session.scalar(db.select(Workspace).where(Workspace.name == "Demo"))
        job = Job(
            workspace_id=ws.id,
            kind="enrichment",
            status="running",
            progress_total=1000,
            progress_current=420,
            title="bench",
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def _login(base: str) -> dict:
    """Log in as the demo user; the headers a poller sends (cookie, user agent)."""
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = session.post(
        f"{base}/login",
        data={
            "email": "demo@example.com",
            "password": "demo-password",
            "csrf_token": token,
        },
    )
    assert response.ok, response.status_code
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    return {"Cookie": cookie, "User-Agent": session.headers["User-Agent"]}


def _poll(port: int, path: str, headers: dict) -> tuple[int, list[float]]:
    """Poll from POLLERS threads until SECONDS are up: errors, round trips in ms."""
    start = time.monotonic()
    stop = start + SECONDS
    errors, seen, lock = [0], [], threading.Lock()

    def poller(n: int):
        # A lighter client than requests: it shares the server's two cores.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        time.sleep(max(0.0, start + n / POLLERS - time.monotonic()))
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                ok = _get(conn, path, headers) == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            with lock:
                seen.append(1000 * (time.perf_counter() - began))
                errors[0] += 0 if ok else 1
            time.sleep(1)
        conn.close()

    threads = [threading.Thread(target=poller, args=(n,)) for n in range(POLLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors[0], seen


def _get(conn: http.client.HTTPConnection, path: str, headers: dict) -> int:
    reused = conn.sock is not None
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
    except STALE_CONNECTION:
        if not reused:
            raise
        conn.close()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
    response.read()
    if response.will_close:
        conn.close()
    return response.status
