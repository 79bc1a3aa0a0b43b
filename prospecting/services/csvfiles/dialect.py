"""How a CSV file is decoded and split: its dialect, detected from a sample."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections import Counter
from dataclasses import dataclass
from itertools import islice

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


SAMPLE_BYTES = 64 * 1024


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


# Tab, newlines, form feed and the DOS end-of-file mark do occur in real text files.
_CONTROL = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\x7f\ufffd]")


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


def _is_blank(fields: list[str]) -> bool:
    return not any(field.strip() for field in fields)
