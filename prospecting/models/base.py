"""Column helpers shared by the model modules."""

import functools
import json
from datetime import UTC
from datetime import datetime

import orjson
from sqlalchemy import JSON
from sqlalchemy import Text
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class JSONText(TypeDecorator):
    """JSON kept as plain text on every database: written by COPY without the server
    parsing it, and only ever read whole (never queried inside)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else orjson.dumps(value).decode()

    def process_result_value(self, value, dialect):
        return None if value is None else orjson.loads(value)


def json_loads(data):
    """The JSON and JSONB values psycopg reads, parsed by orjson (several times
    faster than the stdlib's); what orjson refuses (an integer beyond 64 bits)
    goes to the stdlib as before."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def jsonb_dumps(value) -> bytes | str:
    """The JSONB values psycopg writes, by orjson (keys that are not strings
    become strings, as the stdlib does); what orjson refuses goes to the stdlib.
    JSONB keeps the parsed value, not the text, so the spacing orjson leaves out
    changes nothing stored; plain JSON columns keep the stdlib's text."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(value)


@functools.cache
def _jsonb_dumpers() -> tuple:
    from psycopg.types.json import JsonbBinaryDumper
    from psycopg.types.json import JsonbDumper

    return tuple(
        type(f"Orjson{base.__name__}", (base,), {"_dumps": jsonb_dumps})
        for base in (JsonbDumper, JsonbBinaryDumper)
    )


@event.listens_for(Engine, "connect")
def _orjson_for_psycopg(dbapi_connection, connection_record) -> None:
    """Each psycopg connection parses JSON and dumps JSONB with orjson (set on
    the connection: psycopg's global functions stay the stdlib's)."""
    if type(dbapi_connection).__module__.partition(".")[0] != "psycopg":
        return
    from psycopg.types.json import Jsonb
    from psycopg.types.json import set_json_loads

    set_json_loads(json_loads, dbapi_connection)
    for dumper in _jsonb_dumpers():
        dbapi_connection.adapters.register_dumper(Jsonb, dumper)


def utcnow() -> datetime:
    """Naive UTC now: timestamps are naive UTC on SQLite and PostgreSQL alike."""
    return datetime.now(UTC).replace(tzinfo=None)


def on_dialect(dialect: str):
    """An Alembic `include_object` hook: leaves out of the comparison the indexes
    declared for another database only (`Index(...).ddl_if(dialect=...)`)."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        only = getattr(obj, "_ddl_if", None)
        return type_ != "index" or only is None or only.dialect in (None, dialect)

    return include
