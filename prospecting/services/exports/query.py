"""Export rows read from a Core query in keyset chunks: tuples, never ORM objects."""

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from prospecting.extensions import db
from prospecting.services.errors import InvalidInput

# Rows fetched at a time from the export's statement: what an export holds.
CHUNK_ROWS = 1000


@dataclass(frozen=True)
class Column:
    """One exportable column: its header and a Core expression of its value as
    text (or NULL), so rows need no formatting in Python (see `text_of`)."""

    name: str
    expr: ColumnElement


def column(name: str, expr: ColumnElement) -> Column:
    """A Column whose value the database renders as text."""
    return Column(name, text_of(expr))


class timestamp_text(FunctionElement):  # noqa: N801 (a SQL function's name)
    """A timestamp as 'YYYY-MM-DD HH:MM:SS.ffffff', six digits of microseconds
    always: how SQLite stores it, and on PostgreSQL `to_char` (its cast to text
    drops trailing zeros: '04.5901' for '04.590100', '04' for '04.000000')."""

    type = Text()
    inherit_cache = True


@compiles(timestamp_text)
def _timestamp_text(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(timestamp_text, "postgresql")
def _timestamp_text_pg(element, compiler, **kw):
    value = compiler.process(element.clauses, **kw)
    return f"to_char({value}, 'YYYY-MM-DD HH24:MI:SS.US')"


def text_of(expr: ColumnElement) -> ColumnElement:
    """The text of a column's value, rendered by the database alike on PostgreSQL
    and SQLite: booleans true/false, numbers as their text, timestamps with six
    digits of microseconds, a JSON list of words (email flags) as the words
    joined by ';'."""
    kind = expr.type
    if isinstance(kind, String | Text):
        return expr
    if isinstance(kind, Boolean):
        return case((expr.is_(True), "true"), (expr.is_(False), "false"))
    if isinstance(kind, DateTime):
        return timestamp_text(expr)
    if isinstance(kind, JSON):
        stripped = cast(expr, Text)
        for old, new in (("[", ""), ("]", ""), ('"', ""), (", ", ";"), (",", ";")):
            stripped = func.replace(stripped, old, new)
        return stripped
    return cast(expr, Text)


def pick(columns: Sequence[Column], requested: str | None) -> list[Column]:
    """The columns named in a comma-separated list (all when empty), in the
    order asked; an unknown name is InvalidInput naming `columns`."""
    names = [n.strip() for n in (requested or "").split(",") if n.strip()]
    if not names:
        return list(columns)
    by_name = {c.name: c for c in columns}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise InvalidInput(
            f"columns: unknown column {unknown[0]!r}; choose among "
            f"{', '.join(by_name)}.",
            code="bad_columns",
            details={"field": "columns", "allowed": list(by_name)},
        )
    return [by_name[n] for n in dict.fromkeys(names)]


def keyset_rows(
    base: Select, key: ColumnElement, *, chunk: int | None = None, keep_key=False
) -> Iterator[tuple[Any, ...]]:
    """The rows of `base` in key order (with the key as a last value when
    `keep_key`), fetched `chunk` (CHUNK_ROWS) at a time from one statement: a
    server-side cursor on PostgreSQL, so memory holds one chunk whatever the
    size, and one snapshot of the table for the whole export. (One statement
    rather than a query per chunk: a query per chunk after the last key costs
    a sort of every later row each time when the planner's statistics are stale,
    as right after a large job.)"""
    chunk = chunk or CHUNK_ROWS
    stmt = base.add_columns(key).order_by(key).execution_options(yield_per=chunk)
    # On the session's connection, as Core: rows come as tuples, no ORM loading.
    result = db.session.connection().execute(stmt)
    if keep_key:
        for page in result.partitions():
            yield from page
    else:
        for page in result.partitions():
            for row in page:
                yield row[:-1]


# Rows COPY hands over at a time (libpq gives one row a read): joined into one chunk.
COPY_CHUNK_ROWS = 500


@dataclass
class Copyable:
    """Export rows that PostgreSQL can also write as spreadsheet CSV itself: `copy`
    gives the CSV lines of the same cells (every one quoted, "\r\n" after each
    row) in chunks, or None where it cannot (another database)."""

    rows: Iterable
    copy: Callable[[], Iterator[str] | None]

    def __iter__(self):
        return iter(self.rows)


def copy_csv(stmt: Select) -> Iterator[str] | None:
    """The rows of `stmt` (text cells) as quoted CSV lines from `COPY … TO STDOUT`
    on the session's connection, COPY_CHUNK_ROWS rows a chunk; None when the
    database is not PostgreSQL. NULL cells are written as empty quoted cells, as
    the CSV writer writes them."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return None
    quoted = stmt.with_only_columns(
        *(
            func.coalesce(c, "").label(f"c{i}")
            for i, c in enumerate(stmt.selected_columns)
        )
    )
    compiled = quoted.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    sql = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)"
    return _copied(connection, sql, compiled.params)


def _copied(connection, sql: str, params: dict) -> Iterator[str]:
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(sql, params) as copy:
        lines: list = []
        read = copy.read
        # One row a read, "\n"-terminated (each read its own buffer, kept); read
        # called directly rather than through the Copy's iterator.
        while line := read():
            lines.append(line)
            if len(lines) >= COPY_CHUNK_ROWS:
                yield _crlf(lines)
                lines.clear()
        if lines:
            yield _crlf(lines)


def _crlf(lines: list) -> str:
    """COPY's rows as text whose rows end with "\r\n", as the CSV writer ends
    them. When the chunk holds no line break but the rows' own, every "\n" is
    replaced at once; else each row's is (a field may hold a line break)."""
    text = b"".join(lines)
    if text.count(b"\n") == len(lines):
        return text.replace(b"\n", b"\r\n").decode()
    return b"".join([bytes(line[:-1]) + b"\r\n" for line in lines]).decode()
