"""Database connections: SQLite's pragmas, PostgreSQL's check on checkout, and
autocommit connections for single writes."""

import contextlib
import select
from collections.abc import Iterator

from sqlalchemy import Connection
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from prospecting.extensions import db


def init_app(app) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "checkout", _checkout_check(engine.dialect))


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the web process read while a worker writes; the busy timeout makes
    # concurrent writers wait instead of failing with "database is locked".
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _checkout_check(dialect):
    """A pool checkout listener that replaces connections the server has closed.

    It does what `pool_pre_ping` does without its round trip in the usual case: a
    server that restarts, or ends a backend, sends a goodbye and closes the socket,
    so an idle connection with anything to read (or a closed socket) is suspect and
    gets the real ping; a quiet one is handed out as it is. A connection that
    fails the ping is replaced by a new one (the pool retries on
    DisconnectionError), so the first request after a restart does not fail.
    """

    def check(dbapi_connection, _record, _proxy) -> None:
        if _quiet(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(str(exc)) from exc

    return check


def _quiet(dbapi_connection) -> bool:
    """True when a psycopg connection is open and idle and the server sent nothing
    since; False for anything else (other drivers included), so the ping decides."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None or dbapi_connection.closed or dbapi_connection.broken:
        return False
    try:
        idle = dbapi_connection.info.transaction_status.name == "IDLE"
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
        return idle and not poller.poll(0)
    except Exception:  # a closed or broken connection: let the ping decide
        return False


@contextlib.contextmanager
def autocommit() -> Iterator[Connection]:
    """A pooled connection of its own on which every statement commits at once.

    For a single write or read that must neither ride on nor wait for the caller's
    unit of work (call log, cache, ledger): one round trip, where a transaction of
    its own would add a BEGIN and a COMMIT.
    """
    with db.engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")
