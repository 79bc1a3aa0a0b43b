"""Count a CSV's data rows as the import numbers them, before any job exists."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice

from prospecting.services.csvfiles.dialect import Dialect
from prospecting.services.csvfiles.dialect import StrPath
from prospecting.services.csvfiles.dialect import _reading_codec
from prospecting.services.csvfiles.reading import MAX_FIELD_BYTES


def count_rows(path: StrPath, dialect: Dialect) -> int:
    """The file's data rows as the import numbers them (non-blank records after
    the header), read with the csv module and no Python code per row.

    Undecodable bytes do not stop the count: quotes and line ends are the same
    bytes in every encoding the import reads, so where records end does not
    depend on them. A record the reader cannot split (a field over the size
    limit, where the import stops too) ends the count there.
    """
    if csv.field_size_limit() < MAX_FIELD_BYTES:
        csv.field_size_limit(MAX_FIELD_BYTES)
    try:
        # Each record is dropped as soon as it is counted (no list of them for
        # the garbage collector to walk): about twice as fast as in chunks.
        with _open_records(path, dialect) as records:
            counted = sum(map(bool, map(str.strip, map("".join, records))))
    except csv.Error:
        counted = _count_up_to_error(path, dialect)
    return max(0, counted - 1)  # less the header


@contextmanager
def _open_records(path: StrPath, dialect: Dialect) -> Iterator[Iterator[list[str]]]:
    codec = _reading_codec(dialect.encoding, dialect.has_bom)
    with open(path, encoding=codec, errors="surrogateescape", newline="") as file:
        yield csv.reader(file, delimiter=dialect.delimiter, quotechar='"')


def _count_up_to_error(path: StrPath, dialect: Dialect) -> int:
    """Non-blank records before the first one the reader cannot split."""
    counted = 0
    with _open_records(path, dialect) as records:
        while True:
            chunk: list[list[str]] = []
            try:
                chunk.extend(islice(records, 10_000))  # kept up to an error
            except csv.Error:
                return counted + sum(map(bool, map(str.strip, map("".join, chunk))))
            if not chunk:
                return counted
            counted += sum(map(bool, map(str.strip, map("".join, chunk))))
