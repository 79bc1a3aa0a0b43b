"""Stream a CSV's data rows in chunks for the import, no Python code per row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import chain
from itertools import compress
from itertools import islice

from prospecting.services.csvfiles.dialect import Dialect
from prospecting.services.csvfiles.dialect import StrPath
from prospecting.services.csvfiles.reading import _ESCAPED_BYTE
from prospecting.services.csvfiles.reading import LINE_LIMIT
from prospecting.services.csvfiles.reading import MAX_FIELD_BYTES
from prospecting.services.csvfiles.reading import _header_only
from prospecting.services.csvfiles.reading import _open_table
from prospecting.services.csvfiles.reading import _too_many_rows
from prospecting.services.csvfiles.reading import iter_records


def iter_chunks(
    path: StrPath,
    dialect: Dialect,
    *,
    chunk_rows: int,
    start_after: int = 0,
    max_rows: int | None = None,
    max_columns: int = 500,
    max_field_bytes: int = MAX_FIELD_BYTES,
) -> Iterator[tuple[int, list[list[str]]]]:
    """Stream the data rows after `start_after` as (first row number, rows) chunks.

    The import's reader: the header, csv reader, blank-row rule and numbering of
    iter_records, but the reader is fed whole blocks of lines and the limits are
    checked once per chunk, so no Python code runs per row. From the first chunk
    that breaks a limit, or might (undecodable bytes, a line, field or record near
    its limit, too many columns, a quote still open at the end of the file), the
    rest is read by iter_records, which names the problem and its row.
    """
    limits = {"max_rows": max_rows, "max_columns": max_columns,
              "max_field_bytes": max_field_bytes}  # fmt: skip
    number = 0  # data rows read so far
    with _open_table(path, dialect, max_columns, max_field_bytes) as table:
        reader = csv.reader(
            chain.from_iterable(_blocks(table.file)),
            delimiter=dialect.delimiter,
            quotechar='"',
        )
        while True:
            try:
                chunk = list(islice(reader, chunk_rows))
            except (_Suspect, csv.Error, UnicodeDecodeError):
                break
            ended = bool(chunk) and chunk[-1] == _END_RECORD
            if ended:
                chunk.pop()
            elif not chunk or _END in "".join(chunk[-1]):
                break  # a quote still open at the end of the file swallowed the mark
            joined = list(map("".join, chunk))
            if not all(map(str.strip, joined)):
                keep = list(map(str.strip, joined))
                chunk, joined = (
                    list(compress(chunk, keep)),
                    list(compress(joined, keep)),
                )
            if chunk and _suspect(chunk, joined, max_columns, max_field_bytes):
                break
            if max_rows is not None and number + len(chunk) > max_rows:
                first, part = _after(number, chunk[: max_rows - number], start_after)
                if part:
                    yield first, part
                raise _too_many_rows(max_rows, max_rows + 1)
            first, part = _after(number, chunk, start_after)
            number += len(chunk)
            if part:
                yield first, part
            if ended:
                if not number:
                    raise _header_only()
                return
    # The careful reader takes over from the first row not yet handed out.
    resume = max(number, start_after)
    records = iter_records(path, dialect, **limits)
    rows = (fields for n, fields in records if n > resume)
    while chunk := list(islice(rows, chunk_rows)):
        yield resume + 1, chunk
        resume += len(chunk)


def _after(read: int, chunk: list, start_after: int) -> tuple[int, list]:
    """The rows of a chunk numbered after `start_after`, and the first one's number."""
    skip = max(0, min(len(chunk), start_after - read))
    return read + skip + 1, chunk[skip:] if skip else chunk


def _suspect(
    chunk: list[list[str]], joined: list[str], max_columns: int, max_field_bytes: int
) -> bool:
    """Whether a chunk may break a limit that only the careful reader reports."""
    widest = max(map(len, chunk))
    longest = max(map(len, joined))
    # A record's raw text is at most its fields twice over (quotes doubled) plus
    # a delimiter and two quotes per field.
    return (
        widest > max_columns
        or longest > max_field_bytes
        or 2 * longest + 3 * widest + 8 > LINE_LIMIT
    )


class _Suspect(Exception):
    """A block the careful reader must read: bad bytes or a line over the limit."""


_END = "\x00\ufdd0\ufdd1\x00"  # a last line no CSV file ends with
_END_RECORD = [_END]
_BLOCK_CHARS = LINE_LIMIT // 2


def _blocks(file: io.TextIOWrapper) -> Iterator[io.StringIO]:
    """The rest of the file as blocks of whole lines, then an end mark line.

    A block is at most _BLOCK_CHARS plus one line, so only its last line can be
    over the limit; StringIO splits lines exactly as the careful reader does.
    """
    read, readline = file.read, file.readline
    while block := read(_BLOCK_CHARS):
        if block[-1] not in "\r\n":
            block += readline(LINE_LIMIT + 1)
        if not block.isascii() and _ESCAPED_BYTE.search(block):
            raise _Suspect()
        if (
            len(block) > LINE_LIMIT
            and max(map(len, io.StringIO(block, newline=""))) > LINE_LIMIT - 2
        ):
            raise _Suspect()
        yield io.StringIO(block, newline="")
    yield io.StringIO(_END + "\n")
