"""Write CSV exports: every field quoted, cells a spreadsheet would run neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from collections.abc import Iterator
from itertools import chain
from typing import Any

from prospecting.services.exports.cells import guarded


def safe_cell(value: Any) -> str:
    """Render an export cell, prefixing "'" to text a spreadsheet would run (never
    to a plain number or phone number)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return guarded(value)
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
