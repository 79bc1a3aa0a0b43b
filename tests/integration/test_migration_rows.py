"""The lean-rows migration converts existing enrichment rows and batches in place,
on SQLite and PostgreSQL, and downgrades back."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.integration.conftest import DATABASE_URL
from tests.integration.conftest import _require_services

ROOT = Path(__file__).resolve().parents[2]
BEFORE, LEAN = "014c2abacfd1", "c3c01dc4b049"


def _flask(url: str, *args: str) -> None:
    env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": url,
           "HUEY_STORAGE": "memory"}  # fmt: skip
    subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                   check=True, capture_output=True)  # fmt: skip


INSERT_WORKSPACE = """
    INSERT INTO workspaces (name, created_at) VALUES ('W', CURRENT_TIMESTAMP)
    RETURNING id"""
INSERT_JOB = """
    INSERT INTO jobs (id, workspace_id, kind, status, title, params, progress_current,
                      progress_total, success_count, failed_count, created_at)
    VALUES (:id, :ws, 'enrichment', 'running', 't', :p, 0, 3, 0, 0,
            CURRENT_TIMESTAMP)"""
INSERT_ROW = """
    INSERT INTO enrichment_rows (job_id, row_number, batch_seq, data, name, email,
                                 company, phone, website, status)
    VALUES (:j, :n, :s, :d, '', :e, '', '', '', 'pending')"""
INSERT_BATCH = """
    INSERT INTO job_batches (job_id, seq, kind, status, params, attempts, success_count,
                             failed_count, created_at, updated_at)
    VALUES (:j, :s, 'enrichment.rows', 'pending', '{}', 0, 0, 0, CURRENT_TIMESTAMP,
            CURRENT_TIMESTAMP)"""


def _seed(engine) -> str:
    """A job under the old schema: two batches, rows as objects (one with extras)."""
    job_id = str(uuid.uuid4())
    params = {"headers": ["name", "email", "city"], "mapping": {"email": "email"}}
    rows = [
        (1, 1, {"name": "Ada", "email": "ada@x.io", "city": "London"}),
        (2, 1, {"name": "Bob", "email": "bob@x.io", "city": "",
                "extra_1": "x1", "extra_2": "x2"}),
        (3, 2, {"email": "cy@x.io"}),
    ]  # fmt: skip
    with engine.begin() as c:
        ws = c.execute(sa.text(INSERT_WORKSPACE)).scalar()
        job = {"id": job_id, "ws": ws, "p": json.dumps(params)}
        c.execute(sa.text(INSERT_JOB), job)
        for number, seq, data in rows:
            row = {"j": job_id, "n": number, "s": seq, "d": json.dumps(data)}
            c.execute(sa.text(INSERT_ROW), {**row, "e": data["email"]})
        for seq in (1, 2):
            c.execute(sa.text(INSERT_BATCH), {"j": job_id, "s": seq})
    return job_id


def _check_roundtrip(url: str) -> None:
    _flask(url, "db", "upgrade", BEFORE)
    engine = sa.create_engine(url)
    job_id = _seed(engine)
    _flask(url, "db", "upgrade", LEAN)
    with engine.connect() as c:
        data = dict(c.execute(sa.text(
            "SELECT row_number, data FROM enrichment_rows WHERE job_id = :j"),
            {"j": job_id}).all())  # fmt: skip
        params = [p for (p,) in c.execute(sa.text(
            "SELECT params FROM job_batches WHERE job_id = :j ORDER BY seq"),
            {"j": job_id})]  # fmt: skip
    data = {k: json.loads(v) if isinstance(v, str) else v for k, v in data.items()}
    params = [json.loads(p) if isinstance(p, str) else p for p in params]
    assert data == {
        1: ["Ada", "ada@x.io", "London"],
        2: ["Bob", "bob@x.io", "", "x1", "x2"],
        3: ["", "cy@x.io", ""],
    }
    assert params == [{"row_numbers": [1, 2]}, {"row_numbers": [3]}]
    _flask(url, "db", "downgrade", BEFORE)
    with engine.connect() as c:
        back = {n: json.loads(d) if isinstance(d, str) else d for n, d in c.execute(
            sa.text("SELECT row_number, data FROM enrichment_rows"))}  # fmt: skip
    assert back[1] == {"name": "Ada", "email": "ada@x.io", "city": "London"}
    _flask(url, "db", "upgrade")
    engine.dispose()


def test_lean_rows_migration_converts_rows_and_batches_on_sqlite(tmp_path):
    _check_roundtrip(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.fixture
def empty_pg_url():
    """A new, empty PostgreSQL database (not migrated), dropped afterwards."""
    _require_services()
    name = f"prospecting_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(DATABASE_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_lean_rows_migration_converts_rows_and_batches_on_postgresql(empty_pg_url):
    _check_roundtrip(empty_pg_url)
