"""Integration fixtures: a fresh PostgreSQL database migrated with `flask db upgrade`,
Redis for the queue and limiter, and real `flask worker` processes.

They run when TEST_DATABASE_URL and TEST_REDIS_URL are set; under CI=true both are
required and a missing service fails the run instead of skipping it.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config import TestConfig
from prospecting import create_app
from prospecting.extensions import db
from tests.conftest import provider_urls

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _require_services():
    missing = [
        n
        for n, v in (("TEST_DATABASE_URL", DATABASE_URL), ("TEST_REDIS_URL", REDIS_URL))
        if not v
    ]
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {', '.join(missing)} is not set", pytrace=False)
    if missing:
        pytest.skip(f"integration tests need {', '.join(missing)}")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
        create_engine(DATABASE_URL).connect().close()
    except Exception as exc:  # a service that is down must fail CI loudly
        if os.environ.get("CI") == "true":
            pytest.fail(f"integration services unreachable: {exc}", pytrace=False)
        pytest.skip(f"integration services unreachable: {exc}")


@pytest.fixture(scope="session")
def pg_url():
    """A new, empty PostgreSQL database for this session, upgraded by migrations."""
    _require_services()
    name = f"prospecting_it_{uuid.uuid4().hex[:10]}"
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = (
        make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    )
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi"}
    subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    yield url
    create_engine(url).dispose()
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


@pytest.fixture
def redis_url():
    _require_services()
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


def _truncate_all(engine) -> None:
    present = set(inspect(engine).get_table_names())
    tables = ", ".join(
        f'"{t.name}"' for t in db.metadata.sorted_tables if t.name in present
    )
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def pg_config(pg_url, redis_url, sandbox_url, tmp_path):
    """Settings shared by the in-test app and the worker processes."""
    return {
        "SQLALCHEMY_DATABASE_URI": pg_url,
        "REDIS_URL": redis_url,
        "HUEY_STORAGE": "redis",
        "HUEY_IMMEDIATE": False,
        "RATELIMIT_STORAGE_URL": redis_url,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "BATCH_LEASE_SECONDS": 10,
        "BATCH_PENDING_TOO_LONG_SECONDS": 5,
        **provider_urls(sandbox_url),
    }


@pytest.fixture
def pg_app(pg_config):
    """The app on PostgreSQL + Redis (not immediate): tasks go to real workers."""
    app = create_app(TestConfig, **pg_config)
    with app.app_context():
        _truncate_all(db.engine)
        yield app
        db.session.remove()
        db.engine.dispose()


ENV_NAMES = {
    "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
    "REDIS_URL": "REDIS_URL",
    "HUEY_STORAGE": "HUEY_STORAGE",
    "RATELIMIT_STORAGE_URL": "RATELIMIT_STORAGE_URL",
    "UPLOAD_DIR": "UPLOAD_DIR",
    "BATCH_LEASE_SECONDS": "BATCH_LEASE_SECONDS",
    "BATCH_PENDING_TOO_LONG_SECONDS": "BATCH_PENDING_TOO_LONG_SECONDS",
    "SANDBOX_URL": "SANDBOX_URL",
    "EMAIL_VERIFIER_URL": "EMAIL_VERIFIER_URL",
    "COMPANY_ENRICHER_URL": "COMPANY_ENRICHER_URL",
    "ATTESTR_URL": "ATTESTR_URL",
    "ATTESTR_KEY": "ATTESTR_KEY",
    "AIRTABLE_URL": "AIRTABLE_URL",
    "AIRTABLE_RATE_LIMIT": "AIRTABLE_RATE_LIMIT",
    "AIRTABLE_LOCKOUT_SECONDS": "AIRTABLE_LOCKOUT_SECONDS",
    "UNIPILE_DEFAULT_DSN": "UNIPILE_DEFAULT_DSN",
    "PROSPECT_PAGE_DELAY_SECONDS": "PROSPECT_PAGE_DELAY_SECONDS",
    "PROSPECT_JOB_TIME_LIMIT_SECONDS": "PROSPECT_JOB_TIME_LIMIT_SECONDS",
    "REACHSTREAM_URL": "REACHSTREAM_URL",
    "OUTREACH_SENDER_URL": "OUTREACH_SENDER_URL",
    "OUTREACH_QUIET_HOURS": "OUTREACH_QUIET_HOURS",
    "REACHSTREAM_POLL_INITIAL": "REACHSTREAM_POLL_INITIAL",
    "REACHSTREAM_POLL_MAX": "REACHSTREAM_POLL_MAX",
    "REACHSTREAM_STRANDED_AFTER": "REACHSTREAM_STRANDED_AFTER",
}


class Worker:
    """A real `flask worker` process started with the test's settings."""

    def __init__(self, config: dict, log: Path, threads: int = 4, extra_env=None):
        env = {
            **os.environ,
            "FLASK_APP": "wsgi",
            "PROSPECTING_ENV": "development",
            "PROVIDER_READ_TIMEOUT": "2",
            "PROVIDER_READ_TIMEOUTS": "{}",
            "PROVIDER_BACKOFF": "0.05",
        }
        for key, name in ENV_NAMES.items():
            if key in config:
                env[name] = str(config[key])
        env.update(extra_env or {})
        self.log = log
        self._out = open(log, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "worker", "-w", str(threads)],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: no signal handler runs, in-flight messages are lost."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def interrupt(self) -> None:
        """SIGINT: the worker finishes its running tasks and stops (see stop())."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def stop(self) -> None:
        self.interrupt()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()
        self._out.close()


@pytest.fixture
def start_worker(pg_config, tmp_path):
    """Start real worker processes; all are stopped at the end of the test."""
    started = []

    def start(threads: int = 4, **extra_env) -> Worker:
        worker = Worker(
            pg_config, tmp_path / f"worker-{len(started)}.log", threads, extra_env
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:  # all stop at once, not one after another
        worker.interrupt()
    for worker in started:
        worker.stop()


def wait_for(predicate, *, timeout: float, interval: float = 0.25, message=""):
    """Poll `predicate` until it is truthy, or fail after `timeout` seconds; a
    callable `message` is asked then (to say what the state was)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(
        f"timed out after {timeout}s: {message() if callable(message) else message}"
    )
