"""The lean-rows migration converts existing enrichment rows and batches in place,
on SQLite and PostgreSQL, and downgrades back; the pages migration's downgrade turns
the pages left into pending rows."""

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
BEFORE, LEAN, PAGES = "014c2abacfd1", "c3c01dc4b049", "9b07ae96030b"


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
    _check_pages_downgrade(url, engine, job_id)
    _flask(url, "db", "downgrade", BEFORE)
    with engine.connect() as c:
        back = {n: json.loads(d) if isinstance(d, str) else d for n, d in c.execute(
            sa.text("SELECT row_number, data FROM enrichment_rows"))}  # fmt: skip
    assert back[1] == {"name": "Ada", "email": "ada@x.io", "city": "London"}
    assert back[5] == {"name": "Eve", "email": "eve@x.io", "city": ""}
    _flask(url, "db", "upgrade")
    engine.dispose()


INSERT_PAGE = """
    INSERT INTO enrichment_pages (job_id, last_row, first_row, data)
    VALUES (:j, :last, :first, :d)"""


def _check_pages_downgrade(url: str, engine, job_id: str) -> None:
    """A page left at downgrade becomes pending rows; the table goes."""
    _flask(url, "db", "upgrade", PAGES)
    page = [["Dee", "dee@x.io", "Oslo"], ["Eve", "eve@x.io", ""]]
    with engine.begin() as c:
        values = {"j": job_id, "last": 5, "first": 4, "d": json.dumps(page)}
        c.execute(sa.text(INSERT_PAGE), values)
    _flask(url, "db", "downgrade", LEAN)
    with engine.connect() as c:
        taken = c.execute(sa.text(
            "SELECT row_number, data, status FROM enrichment_rows "
            "WHERE job_id = :j AND row_number > 3 ORDER BY row_number"),
            {"j": job_id}).all()  # fmt: skip
        assert not sa.inspect(c).has_table("enrichment_pages")
    assert [(n, json.loads(d), s) for n, d, s in taken] == [
        (4, page[0], "pending"), (5, page[1], "pending")]  # fmt: skip


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
