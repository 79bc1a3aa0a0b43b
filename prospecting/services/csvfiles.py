"""Read uploaded contact CSVs (detect, preview, stream) and write safe CSV exports."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections import Counter
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from itertools import compress
from itertools import islice
from typing import Any

import charset_normalizer

DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = (
    "utf-8",
    "cp1252",
    "latin-1",
    "utf-16",
    "cp1250",
    "iso-8859-15",
    "mac-roman",
)
FIELDS = ("name", "first_name", "last_name", "email", "company", "phone", "website")

SAMPLE_BYTES = 64 * 1024
LINE_LIMIT = 1024 * 1024
MAX_FIELD_BYTES = 128 * 1024
PREVIEW_SCAN_ROWS = 1000

# cp1250 and utf-16 are left out on purpose: with cp1250 in the list charset-normalizer
# labels plain Western files cp1250, and UTF-16 is recognised by its BOM or NUL pattern.
_DETECT_CANDIDATES = ["cp1252", "latin_1", "iso8859_15", "mac_roman"]
_SNIFF_CHARS = 8 * 1024
_SNIFF_RECORDS = 50
_MAX_CONTROL_RATIO = 0.05

_EXPORT_HINT = "Export it as CSV and upload again."
_BINARY_MESSAGE = (
    f"This looks like a binary file (e.g. an Excel workbook), not a CSV. {_EXPORT_HINT}"
)
_XLSX_MESSAGE = (
    "This is an Excel workbook (.xlsx), not a CSV. "
    "In Excel choose File > Save As > CSV, then upload the CSV."
)
_ZIP_MESSAGE = "This is a zip archive, not a CSV. Unzip it and upload the CSV inside."
_MAGIC = (
    (b"%PDF", f"This is a PDF document, not a CSV. {_EXPORT_HINT}"),
    (b"\x89PNG", "This is a PNG image, not a CSV."),
    (b"GIF8", "This is a GIF image, not a CSV."),
    (b"\xff\xd8\xff", "This is a JPEG image, not a CSV."),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        f"This is an old Excel workbook (.xls), not a CSV. {_EXPORT_HINT}",
    ),
)

_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_QUOTED = re.compile('"[^"]*"')
# Tab, newlines, form feed and the DOS end-of-file mark do occur in real text files.
_CONTROL = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\x7f\ufffd]")
_SPACES = re.compile(r"\s+")
_SYNONYM_NOISE = re.compile(r"[\s_\-.]+")
_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "|", "%", "\t", "\r", "\n", "\0")

_SYNONYMS = {
    "name": ("name", "full name", "fullname", "contact name", "contact"),
    "first_name": ("first name", "firstname", "given name", "first"),
    "last_name": ("last name", "lastname", "surname", "family name", "last"),
    "email": (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "mail",
        "work email",
    ),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "org",
        "employer",
        "account",
    ),
    "phone": (
        "phone",
        "mobile",
        "phone 1",
        "phone number",
        "telephone",
        "tel",
        "cell",
        "mobile phone",
        "phone1",
    ),
    "website": (
        "website",
        "domain",
        "url",
        "web",
        "company website",
        "company domain",
        "site",
    ),
}

StrPath = str | os.PathLike[str]


class CsvError(ValueError):
    """A file that cannot be read as CSV: a code, a user message, the row if known."""

    def __init__(self, code: str, message: str, *, row: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.row = row


@dataclass
class Dialect:
    """How to decode and split a CSV file (encoding is reported without BOM suffix)."""

    encoding: str
    delimiter: str
    has_bom: bool


@dataclass
class Preview:
    """Detected dialect, cleaned headers, first rows and suggested mapping of a CSV."""

    dialect: Dialect
    headers: list[str]
    rows: list[list[str]]
    mapping: dict[str, str | None]
    warnings: list[str]


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


def detect_dialect(
    path: StrPath, *, encoding: str | None = None, delimiter: str | None = None
) -> Dialect:
    """Detect encoding, BOM and delimiter from the file's first 64 KiB."""
    with open(path, "rb") as file:
        raw = file.read(SAMPLE_BYTES)
    complete = len(raw) < SAMPLE_BYTES
    if not raw:
        raise CsvError("empty", "The file is empty.")
    _refuse_magic(raw)
    if encoding is None:
        encoding, has_bom = _detect_encoding(raw, complete)
    else:
        encoding = _check_encoding(encoding)
        has_bom = _has_bom(raw, encoding)
    text = _decode_sample(raw, _reading_codec(encoding, has_bom), complete)
    if not text.strip():
        raise CsvError("empty", "The file is empty.")
    if len(_CONTROL.findall(text)) > _MAX_CONTROL_RATIO * len(text):
        raise CsvError("binary", _BINARY_MESSAGE)
    if delimiter is None:
        delimiter = _detect_delimiter(text, complete)
    else:
        delimiter = _check_delimiter(delimiter)
    return Dialect(encoding=encoding, delimiter=delimiter, has_bom=has_bom)


def preview(
    path: StrPath,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    limit: int = 10,
    max_columns: int = 500,
) -> Preview:
    """Detect the dialect and return headers, first rows, auto mapping and warnings."""
    dialect = detect_dialect(path, encoding=encoding, delimiter=delimiter)
    rows: list[list[str]] = []
    short = long = scanned = 0
    with _open_table(path, dialect, max_columns, MAX_FIELD_BYTES) as table:
        width = len(table.headers)
        # Scanning past `limit` rows surfaces ragged rows and parse errors early.
        for _, fields in islice(table.records, PREVIEW_SCAN_ROWS):
            scanned += 1
            short += len(fields) < width
            long += len(fields) > width
            if len(rows) < limit:
                rows.append((fields + [""] * width)[:width])
    if not scanned:
        raise _header_only()
    warnings = table.warnings + _ragged_warnings(short, long, scanned)
    return Preview(dialect, table.headers, rows, auto_map(table.headers), warnings)


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


def _too_many_rows(max_rows: int, row: int) -> CsvError:
    message = (
        f"The file has more than {max_rows:,} data rows; the limit is {max_rows:,}."
    )
    return CsvError("too_many_rows", message, row=row)


def auto_map(headers: list[str]) -> dict[str, str | None]:
    """Map each of FIELDS to the header matching its synonyms, each header once."""
    keys = {header: _synonym_key(header) for header in headers}
    used: set[str] = set()
    mapping: dict[str, str | None] = {}
    for field in FIELDS:
        mapping[field] = None
        for synonym in _SYNONYMS[field]:
            wanted = _synonym_key(synonym)
            found = [h for h in headers if h not in used and keys[h] == wanted]
            if found:
                mapping[field] = found[0]
                used.add(found[0])
                break
    return mapping


def apply_mapping(
    record: dict[str, str], mapping: dict[str, str | None]
) -> dict[str, str]:
    """Pick name, email, company, phone, website; name falls back to first + last."""

    def value(field: str) -> str:
        column = mapping.get(field)
        return (record.get(column) or "").strip() if column else ""

    parts = (value("first_name"), value("last_name"))
    return {
        "name": value("name") or " ".join(part for part in parts if part),
        "email": value("email"),
        "company": value("company"),
        "phone": value("phone"),
        "website": value("website"),
    }


def safe_cell(value: Any) -> str:
    """Render an export cell, prefixing "'" to text a spreadsheet would run."""
    if value is None:
        return ""
    if isinstance(value, str):
        return f"'{value}" if value.startswith(_DANGEROUS_PREFIXES) else value
    return str(value)


def write_csv(
    header: list[str], rows: Iterable[list[Any]], *, bom: bool = True
) -> Iterator[str]:
    """Stream a fully quoted CRLF CSV, one chunk per row, cells through safe_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    if bom:
        yield "\ufeff"
    for row in chain([header], rows):
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _refuse_magic(raw: bytes) -> None:
    if raw.startswith(b"PK\x03\x04"):
        is_xlsx = b"[Content_Types].xml" in raw or b"xl/" in raw
        raise CsvError("binary", _XLSX_MESSAGE if is_xlsx else _ZIP_MESSAGE)
    for magic, message in _MAGIC:
        if raw.startswith(magic):
            raise CsvError("binary", message)


def _detect_encoding(raw: bytes, complete: bool) -> tuple[str, bool]:
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8", True
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True
    if b"\0" in raw:
        return _utf16_without_bom(raw), False
    try:
        # final=False tolerates a multibyte character cut off by the end of the sample.
        codecs.getincrementaldecoder("utf-8")().decode(raw, final=complete)
        return "utf-8", False
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(raw, cp_isolation=_DETECT_CANDIDATES).best()
    if best is not None:
        return _display_name(best.encoding), False
    try:
        raw.decode("cp1252")
        return "cp1252", False
    except UnicodeDecodeError:
        return "latin-1", False


def _utf16_without_bom(raw: bytes) -> str:
    even, odd = raw[0::2], raw[1::2]
    if odd.count(0) > 0.5 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.5 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    raise CsvError("binary", _BINARY_MESSAGE)


def _check_encoding(encoding: str) -> str:
    try:
        # Unlike codecs.lookup, this refuses bytes-to-bytes codecs such as base64.
        io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    except LookupError:
        raise CsvError("encoding", f"Unknown encoding '{encoding}'.") from None
    return _display_name(encoding)


def _display_name(encoding: str) -> str:
    canonical = codecs.lookup(encoding).name
    if canonical == "utf-8-sig":
        return "utf-8"
    names = (name for name in ENCODINGS if codecs.lookup(name).name == canonical)
    return next(names, canonical)


def _has_bom(raw: bytes, encoding: str) -> bool:
    canonical = codecs.lookup(encoding).name
    if canonical == "utf-8":
        return raw.startswith(codecs.BOM_UTF8)
    if canonical.startswith("utf-16"):
        return raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    return False


def _reading_codec(encoding: str, has_bom: bool) -> str:
    if has_bom and codecs.lookup(encoding).name == "utf-8":
        return "utf-8-sig"
    return encoding


def _decode_sample(raw: bytes, codec: str, complete: bool) -> str:
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    return decoder.decode(raw, final=complete)


def _check_delimiter(delimiter: str) -> str:
    if len(delimiter) != 1 or delimiter in '"\r\n\0' or delimiter.isalnum():
        message = (
            "The delimiter must be a single character such as , ; | or tab, "
            f"not {delimiter!r}."
        )
        raise CsvError("bad_delimiter", message)
    return delimiter


def _detect_delimiter(text: str, complete: bool) -> str:
    if not complete:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: cut + 1] if cut > 0 else text
    scores = {delimiter: _consistency(text, delimiter) for delimiter in DELIMITERS}
    sniffed = _sniff(text)

    def rank(d: str) -> tuple[float, bool, int, int]:
        return scores[d][0], d == sniffed, scores[d][1], -DELIMITERS.index(d)

    best = max(DELIMITERS, key=rank)
    return best if scores[best][1] > 1 else ","


def _sniff(text: str) -> str | None:
    sniffer = csv.Sniffer()
    try:
        return sniffer.sniff(text[:_SNIFF_CHARS], "".join(DELIMITERS)).delimiter
    except csv.Error:
        return None


def _consistency(text: str, delimiter: str) -> tuple[float, int]:
    """Share of the first records with the most common field count, and that count."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = islice(reader, _SNIFF_RECORDS)
    counts = [len(fields) for fields in records if not _is_blank(fields)]
    if not counts:
        return 0.0, 0
    width, frequency = Counter(counts).most_common(1)[0]
    if width < 2:
        return 0.0, width
    return frequency / len(counts), width


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


def _ragged_warnings(short: int, long: int, scanned: int) -> list[str]:
    scope = f" (in the first {scanned:,} rows)" if scanned >= PREVIEW_SCAN_ROWS else ""
    warnings = []
    if long:
        warnings.append(
            f"{_rows_have(long)} more fields than the header{scope}; "
            "extra fields are kept under extra_1, extra_2, ..."
        )
    if short:
        warnings.append(
            f"{_rows_have(short)} fewer fields than the header{scope}; "
            "missing fields are left empty."
        )
    return warnings


def _rows_have(count: int) -> str:
    return "1 row has" if count == 1 else f"{count:,} rows have"


def _extra_names(headers: list[str], count: int) -> list[str]:
    taken = {header.casefold() for header in headers}
    names = (f"extra_{index}" for index in range(1, count + len(headers) + 1))
    return list(islice((name for name in names if name not in taken), count))


def _is_blank(fields: list[str]) -> bool:
    return not any(field.strip() for field in fields)


def _synonym_key(value: str) -> str:
    return _SYNONYM_NOISE.sub("", value.casefold())
