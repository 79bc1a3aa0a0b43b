"""Migrations: `flask db upgrade` from empty builds exactly the models' schema."""

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from prospecting.extensions import db
from prospecting.models.base import on_dialect

ROOT = Path(__file__).resolve().parents[1]


def upgrade(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi"}
    return subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def schema_diff(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        opts = {"compare_type": False, "include_object": on_dialect(conn.dialect.name)}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, db.metadata)
    engine.dispose()
    return diff


def test_upgrade_from_empty_sqlite_matches_the_models(tmp_path, app):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    result = upgrade(url)
    assert result.returncode == 0, result.stderr
    assert schema_diff(url) == []


def test_lists_migration_gives_went_bad_people_their_builtin_list(tmp_path, app):
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'lists.db'}"
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi"}
    run = [sys.executable, "-m", "flask", "db", "upgrade"]
    before = subprocess.run(
        [*run, "e18b0c4a2f71"], cwd=ROOT, env=env, capture_output=True
    )
    assert before.returncode == 0, before.stderr
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workspaces (id, name, created_at) VALUES "
                "(1, 'A', CURRENT_TIMESTAMP), (2, 'B', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO contacts (workspace_id, name, email, addresses, source, "
                "provider_ids, sync_failed, email_bad, created_at, updated_at) VALUES "
                "(1, 'Gone', 'g@x.io', '[]', 'manual', '{}', 0, 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
                "(2, 'Fine', 'f@x.io', '[]', 'manual', '{}', 0, 0, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    after = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True)
    assert after.returncode == 0, after.stderr
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT workspace_id, name, kind, builtin, filter FROM contact_lists")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, "Went bad", "smart", "went_bad", '{"went_bad": true}')
    ]
