"""The job progress partial under 200 concurrent pollers against gunicorn on
PostgreSQL: median server time per request (from gunicorn's access log, %(D)s µs)
and errors; target median < 5 ms and no errors. Each poller waits a second between
polls, as the page does (`hx-trigger="load delay:1s"`)."""

import statistics
import sys
import threading
import time
from pathlib import Path

import requests

from bench import common

POLLERS = 200
SECONDS = 15


def run(tmp: Path = Path("/tmp")) -> dict:
    url = common.fresh_database()
    port = common.free_port()
    base = f"http://127.0.0.1:{port}"
    access_log = tmp / "pollers-access.log"
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
        "-w",
        "2",
        "--threads",
        "32",
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
        cookies = _login(base)
        errors, done = _poll(base, f"/jobs/{job_id}/progress", cookies)
    finally:
        common.stop(proc)
        common.drop_database(url)
    times = [
        int(line.split()[1]) / 1000
        for line in access_log.read_text().splitlines()
        if "/progress" in line
    ]
    statuses = [
        line.split()[0]
        for line in access_log.read_text().splitlines()
        if "/progress" in line
    ]
    median = statistics.median(times)
    bad = errors + sum(1 for s in statuses if s != "200")
    print(
        f"  {done} polls by {POLLERS} pollers in {SECONDS}s; server time median "
        f"{median:.2f} ms, p95 {statistics.quantiles(times, n=20)[-1]:.2f} ms; "
        f"{bad} errors"
    )
    return common.report(
        f"progress partial, {POLLERS} pollers (gunicorn)",
        f"median {median:.2f} ms, {bad} errors",
        "< 5 ms, 0 err",
        median < 5 and bad == 0,
    )


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


def _login(base: str):
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
    return session.cookies


def _poll(base: str, path: str, cookies) -> tuple[int, int]:
    stop = time.monotonic() + SECONDS
    errors, done, lock = [0], [0], threading.Lock()

    def poller():
        session = requests.Session()
        session.cookies.update(cookies)
        while time.monotonic() < stop:
            try:
                ok = session.get(f"{base}{path}", timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            with lock:
                done[0] += 1
                errors[0] += 0 if ok else 1
            time.sleep(1)

    threads = [threading.Thread(target=poller) for _ in range(POLLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors[0], done[0]
