"""Private Redis and PostgreSQL servers that a fault test may stop and restart.

The shared services at 127.0.0.1:5432 and :6379 serve other engineers' runs and
must never go down, so an outage test owns throwaway servers on free ports.
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require(reason: str | None) -> None:
    """Skip when a server binary is missing, but fail under CI=true (it has them)."""
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


class PrivateRedis:
    """A redis-server without persistence: when it dies, its queue is gone."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self._log = open(workdir / f"redis-{self.port}.log", "ab")

    @staticmethod
    def unavailable() -> str | None:
        return None if shutil.which("redis-server") else "redis-server is not on PATH"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--dir", str(self.workdir)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"private redis-server on port {self.port} did not start")

    def kill(self) -> None:
        """SIGKILL: the server dies with every queued message (no persistence)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def close(self) -> None:
        self.kill()
        self._log.close()


def _pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temp dir, run as the postgres user."""

    def __init__(self):
        self.bindir = _pg_bindir()
        self.port = free_port()
        # Not under pytest's tmp_path: the postgres user cannot enter root's 0700 dir.
        self.dir = Path(tempfile.mkdtemp(prefix="prospecting-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)

    @staticmethod
    def unavailable() -> str | None:
        bindir = _pg_bindir()
        if bindir is None or not (bindir / "pg_ctl").exists():
            return "initdb/pg_ctl are not installed"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root but there is no postgres user"
            if not shutil.which("runuser"):
                return "running as root but runuser is missing"
        return None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/prospecting"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = self.dir / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            pytest.fail(f"{' '.join(args[:2])} failed: {done.stderr}\n{tail}")

    def init(self) -> None:
        """initdb, start, create the database and migrate it with `flask db upgrade`."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8")  # fmt: skip
        self.start()
        admin = create_engine(
            self.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "prospecting"'))
        admin.dispose()
        env = {**os.environ, "DATABASE_URL": self.url, "FLASK_APP": "wsgi"}
        subprocess.run(
            [sys.executable, "-m", "flask", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=100"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options,
                  "-l", str(self.dir / "log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        """A fast shutdown: every open connection is cut."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            cmd = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                   "-w", "stop"]  # fmt: skip
            if os.geteuid() == 0:
                cmd = ["runuser", "-u", "postgres", "--", *cmd]
            subprocess.run(cmd, capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
