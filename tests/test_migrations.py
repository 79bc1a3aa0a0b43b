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
