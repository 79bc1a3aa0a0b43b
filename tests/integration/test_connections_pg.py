"""PostgreSQL connections: the checkout check and autocommit writes."""

import time

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text

from prospecting.connections import autocommit
from prospecting.extensions import db

pytestmark = pytest.mark.integration


@pytest.fixture
def pings(pg_app, monkeypatch):
    """How many times the dialect pinged the server on checkout."""
    count = [0]
    dialect = db.engine.dialect
    real = dialect.do_ping

    def counted(dbapi_connection):
        count[0] += 1
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return count


def _backend_pid() -> int:
    pid = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.remove()
    return pid


def test_checkout_hands_out_a_quiet_connection_without_a_ping(pings):
    first = _backend_pid()
    assert [_backend_pid() for _ in range(5)] == [first] * 5
    assert pings[0] == 0


def test_checkout_replaces_a_connection_the_server_ended(pings, pg_url):
    first = _backend_pid()
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    time.sleep(0.2)  # the server's goodbye reaches the pooled socket
    # No error reaches the caller: the ended connection is pinged and replaced.
    second = _backend_pid()
    assert second != first
    assert pings[0] == 1
    assert _backend_pid() == second and pings[0] == 1


def test_autocommit_write_commits_outside_the_callers_transaction(pg_app):
    with autocommit() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS autocommit_probe (n int)"))
    try:
        db.session.execute(text("INSERT INTO autocommit_probe VALUES (1)"))
        with autocommit() as conn:
            conn.execute(text("INSERT INTO autocommit_probe VALUES (2)"))
        db.session.rollback()  # the caller's work is undone, the other write stays
        assert db.session.scalars(text("SELECT n FROM autocommit_probe")).all() == [2]
    finally:
        db.session.rollback()
        with autocommit() as conn:
            conn.execute(text("DROP TABLE autocommit_probe"))
