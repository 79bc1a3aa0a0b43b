"""Read a CSV's header and records line by line, naming each problem's row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from itertools import islice

from prospecting.services.csvfiles.dialect import CsvError
from prospecting.services.csvfiles.dialect import Dialect
from prospecting.services.csvfiles.dialect import StrPath
from prospecting.services.csvfiles.dialect import _check_delimiter
from prospecting.services.csvfiles.dialect import _check_encoding
from prospecting.services.csvfiles.dialect import _is_blank
from prospecting.services.csvfiles.dialect import _reading_codec

LINE_LIMIT = 1024 * 1024
MAX_FIELD_BYTES = 128 * 1024


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_QUOTED = re.compile('"[^"]*"')


_SPACES = re.compile(r"\s+")


@dataclass
class _Table:
    headers: list[str]
    warnings: list[str]
    records: Iterator[tuple[int, list[str]]]
    file: io.TextIOWrapper


class _LineTooLong(Exception):
    def __init__(self, line: str):
        super().__init__("line too long")
        self.line = line


class _Undecodable(Exception):
    def __init__(self, line: str):
        super().__init__("undecodable bytes")
        self.line = line


class _Lines:
    """Physical lines (terminators kept); each line and each record capped."""

    def __init__(self, file: io.TextIOWrapper):
        self._readline = file.readline
        self.chars = 0
        self.record_start = 0
        self.exhausted = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._readline(LINE_LIMIT + 1)
        if not line:
            self.exhausted = True
            raise StopIteration
        self.chars += len(line)
        if len(line) > LINE_LIMIT or self.chars - self.record_start > LINE_LIMIT:
            raise _LineTooLong(line)
        # Bad bytes arrive as lone surrogates (surrogateescape): the row is exact.
        if not line.isascii() and _ESCAPED_BYTE.search(line):
            raise _Undecodable(line)
        return line


def iter_rows(
    path: StrPath,
    dialect: Dialect,
    *,
    max_rows: int | None = None,
    max_columns: int = 500,
    max_field_bytes: int = MAX_FIELD_BYTES,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream (row_number, {header: value}) for each non-blank data row, from 1."""
    with _open_table(path, dialect, max_columns, max_field_bytes) as table:
        for number, fields in _limited(table.records, max_rows):
            yield number, as_record(table.headers, fields)


def as_record(headers: list[str], fields: list[str]) -> dict[str, str]:
    """A row's fields by header: missing ones empty, extra ones as extra_1, ..."""
    width = len(headers)
    record = dict(zip(headers, fields, strict=False))
    if len(fields) < width:
        record.update(dict.fromkeys(headers[len(fields) :], ""))
    elif len(fields) > width:
        extras = _extra_names(headers, len(fields) - width)
        record.update(zip(extras, fields[width:], strict=False))
    return record


def iter_records(
    path: StrPath,
    dialect: Dialect,
    *,
    max_rows: int | None = None,
    max_columns: int = 500,
    max_field_bytes: int = MAX_FIELD_BYTES,
) -> Iterator[tuple[int, list[str]]]:
    """Stream (row_number, fields) for each non-blank data row, from 1, checking
    every line and record as it goes (the preview's reader)."""
    with _open_table(path, dialect, max_columns, max_field_bytes) as table:
        yield from _limited(table.records, max_rows)


def _limited(
    records: Iterator[tuple[int, list[str]]], max_rows: int | None
) -> Iterator[tuple[int, list[str]]]:
    """Records up to the row limit; refuses a file with more, or with none."""
    number = 0
    for number, fields in records:
        if max_rows is not None and number > max_rows:
            raise _too_many_rows(max_rows, number)
        yield number, fields
    if not number:
        raise _header_only()


def _too_many_rows(max_rows: int, row: int) -> CsvError:
    message = (
        f"The file has more than {max_rows:,} data rows; the limit is {max_rows:,}."
    )
    return CsvError("too_many_rows", message, row=row)


@contextmanager
def _open_table(
    path: StrPath, dialect: Dialect, max_columns: int, max_field_bytes: int
) -> Iterator[_Table]:
    """Open, read the header and expose data records: shared by preview and import."""
    _check_delimiter(dialect.delimiter)
    _check_encoding(dialect.encoding)
    # The limit is process-wide, so only raise it; smaller ones are checked per record.
    if csv.field_size_limit() < max_field_bytes:
        csv.field_size_limit(max_field_bytes)
    codec = _reading_codec(dialect.encoding, dialect.has_bom)
    with open(path, encoding=codec, errors="surrogateescape", newline="") as file:
        lines = _Lines(file)
        head = _read_head(lines, dialect, max_columns)
        source = _Source(lines, head, dialect, max_field_bytes)
        headers, warnings = _clean_headers(_read_header(source, max_columns))
        yield _Table(headers, warnings, _records(source, max_columns), file)


class _Source:
    """A csv reader over capped lines whose failures become CsvErrors naming the row."""

    def __init__(
        self, lines: _Lines, head: list[str], dialect: Dialect, max_field_bytes: int
    ):
        self.lines = lines
        self.encoding = dialect.encoding
        self.max_field_bytes = max_field_bytes
        self.first_line = 1
        self.reader = csv.reader(
            chain(head, lines), delimiter=dialect.delimiter, quotechar='"'
        )

    def next_record(self, row: int | None) -> list[str] | None:
        """Return the next (possibly blank) record or None; row None is the header."""
        lines = self.lines
        lines.record_start = lines.chars
        self.first_line = self.reader.line_num + 1
        try:
            fields = next(self.reader)
        except StopIteration:
            return None
        except csv.Error:
            # Without strict mode the only csv error left is "field larger than limit".
            limit = csv.field_size_limit()
            problem = f"has a field longer than {limit:,} characters"
            raise self._too_long(row, self.reader.line_num, problem) from None
        except _LineTooLong:
            problem = f"is longer than {LINE_LIMIT:,} characters"
            raise self._too_long(row, self.reader.line_num + 1, problem) from None
        except _Undecodable as exc:
            raise self._undecodable(row, exc.line) from None
        except UnicodeDecodeError:
            raise self._undecodable(row, "") from None
        if lines.exhausted and not _is_blank(fields):
            # Only an open quote makes the reader ask for lines past the end of file.
            raise self._unterminated(row)
        limit = self.max_field_bytes
        big = row is None or lines.chars - lines.record_start > limit
        if big and any(len(field) > limit for field in fields):
            problem = f"has a field longer than {limit:,} characters"
            raise self._too_long(row, self.first_line, problem)
        return fields

    def _too_long(self, row: int | None, last_line: int, problem: str) -> CsvError:
        if last_line > self.first_line:
            # A field swallowing several lines up to a limit is an unclosed quote.
            return self._unterminated(row)
        message = f"{_where(row)} {problem} (line {self.first_line})."
        return CsvError("line_too_long", message, row=row or 1)

    def _unterminated(self, row: int | None) -> CsvError:
        message = (
            f"{_where(row)} has an opening quote that is never closed "
            f"(it starts on line {self.first_line})."
        )
        return CsvError("unterminated_quote", message, row=row or 1)

    def _undecodable(self, row: int | None, line: str) -> CsvError:
        where = _where(row)
        return _encoding_error(where, row or 1, self.encoding, line, self.first_line)


def _read_head(lines: _Lines, dialect: Dialect, max_columns: int) -> list[str]:
    """Read lines up to the first non-blank one; refuse a too wide or long header."""
    head: list[str] = []
    try:
        for line in lines:
            head.append(line)
            if line.strip():
                break
    except _LineTooLong as exc:
        _refuse_wide_header(exc.line, dialect.delimiter, max_columns, partial=True)
        message = f"The header row is longer than {LINE_LIMIT:,} characters."
        raise CsvError("line_too_long", message, row=1) from None
    except _Undecodable as exc:
        where = "The header row"
        error = _encoding_error(where, 1, dialect.encoding, exc.line, len(head) + 1)
        raise error from None
    if head:
        _refuse_wide_header(head[-1], dialect.delimiter, max_columns, partial=False)
    return head


def _refuse_wide_header(
    line: str, delimiter: str, max_columns: int, *, partial: bool
) -> None:
    # Counting delimiters outside quotes avoids building a list of a million columns.
    count = _QUOTED.sub("", line).count(delimiter) + 1
    if count > max_columns:
        amount = f"at least {count:,}" if partial else f"{count:,}"
        _refuse_columns(f"The header row has {amount} columns", max_columns, 1)


def _refuse_columns(problem: str, max_columns: int, row: int) -> None:
    message = f"{problem}; the limit is {max_columns:,}."
    raise CsvError("too_many_columns", message, row=row)


def _read_header(source: _Source, max_columns: int) -> list[str]:
    only_delimiters = False
    while (fields := source.next_record(None)) is not None:
        if not _is_blank(fields):
            if len(fields) > max_columns:
                problem = f"The header row has {len(fields):,} columns"
                _refuse_columns(problem, max_columns, 1)
            return fields
        only_delimiters = only_delimiters or len(fields) > 1
    if only_delimiters:
        message = "The file has no header row with column names."
        raise CsvError("no_header", message, row=1)
    raise CsvError("empty", "The file is empty.")


def _records(source: _Source, max_columns: int) -> Iterator[tuple[int, list[str]]]:
    number = 0
    while (fields := source.next_record(number + 1)) is not None:
        if _is_blank(fields):
            continue
        number += 1
        if len(fields) > max_columns:
            problem = (
                f"Row {number} (line {source.first_line}) has {len(fields):,} fields"
            )
            _refuse_columns(problem, max_columns, number)
        yield number, fields


def _where(row: int | None) -> str:
    return "The header row" if row is None else f"Row {row}"


def _encoding_error(
    where: str, row: int, encoding: str, line: str, line_number: int
) -> CsvError:
    match = _ESCAPED_BYTE.search(line)
    byte = f"byte 0x{ord(match.group()) - 0xDC00:02X}, " if match else ""
    message = (
        f"{where} contains bytes that are not valid {encoding} "
        f"({byte}line {line_number}); try another encoding."
    )
    return CsvError("encoding", message, row=row)


def _header_only() -> CsvError:
    message = "The file has a header row but no data rows."
    return CsvError("header_only", message, row=1)


def _clean_headers(raw: list[str]) -> tuple[list[str], list[str]]:
    headers: list[str] = []
    taken: set[str] = set()
    blank: list[str] = []
    warnings: list[str] = []
    for index, value in enumerate(raw, start=1):
        name = _SPACES.sub(" ", value.replace("\ufeff", "")).strip()
        if not name:
            name = f"column_{index}"
            blank.append(name)
        base, suffix = name, 1
        while name.casefold() in taken:
            suffix += 1
            name = f"{base}_{suffix}"
        if suffix > 1:
            warnings.append(f"Duplicate header '{base}' renamed to '{name}'.")
        taken.add(name.casefold())
        headers.append(name)
    if blank:
        names = ", ".join(blank)
        warnings.insert(0, f"Columns without a header name were named {names}.")
    return headers, warnings


def _extra_names(headers: list[str], count: int) -> list[str]:
    taken = {header.casefold() for header in headers}
    names = (f"extra_{index}" for index in range(1, count + len(headers) + 1))
    return list(islice((name for name in names if name not in taken), count))
