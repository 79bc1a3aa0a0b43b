"""Column helpers shared by the model modules."""

from datetime import UTC
from datetime import datetime

import orjson
from sqlalchemy import JSON
from sqlalchemy import Text
from sqlalchemy.dialects.postgresql import JSONB
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
