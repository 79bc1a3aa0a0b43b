"""A CSV's preview: its dialect, headers, first rows, mapping and warnings."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from prospecting.services.csvfiles.dialect import Dialect
from prospecting.services.csvfiles.dialect import StrPath
from prospecting.services.csvfiles.dialect import detect_dialect
from prospecting.services.csvfiles.mapping import FIELDS
from prospecting.services.csvfiles.mapping import auto_map
from prospecting.services.csvfiles.reading import MAX_FIELD_BYTES
from prospecting.services.csvfiles.reading import _header_only
from prospecting.services.csvfiles.reading import _open_table

PREVIEW_SCAN_ROWS = 1000


@dataclass
class Preview:
    """Detected dialect, cleaned headers, first rows and suggested mapping of a CSV."""

    dialect: Dialect
    headers: list[str]
    rows: list[list[str]]
    mapping: dict[str, str | None]
    warnings: list[str]
    # The CSV read (an XLSX upload's converted sheet), for the readers after it.
    path: str = ""


def preview(
    path: StrPath,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    limit: int = 10,
    max_columns: int = 500,
    fields: tuple[str, ...] = FIELDS,
) -> Preview:
    """Detect the dialect and return headers, first rows, auto mapping and warnings."""
    dialect = detect_dialect(path, encoding=encoding, delimiter=delimiter)
    rows: list[list[str]] = []
    short = long = scanned = 0
    with _open_table(path, dialect, max_columns, MAX_FIELD_BYTES) as table:
        width = len(table.headers)
        # Scanning past `limit` rows surfaces ragged rows and parse errors early.
        for _, record in islice(table.records, PREVIEW_SCAN_ROWS):
            scanned += 1
            short += len(record) < width
            long += len(record) > width
            if len(rows) < limit:
                rows.append((record + [""] * width)[:width])
    if not scanned:
        raise _header_only()
    warnings = table.warnings + _ragged_warnings(short, long, scanned)
    mapping = auto_map(table.headers, fields)
    return Preview(dialect, table.headers, rows, mapping, warnings, str(path))


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
