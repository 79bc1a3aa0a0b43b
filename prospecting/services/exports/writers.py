"""Write export rows as CSV (for spreadsheets or for import) or as XLSX, in chunks."""

import csv
import io
import os
import tempfile
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from itertools import islice

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from prospecting.services.exports.cells import guard_quoted_csv
from prospecting.services.exports.query import Copyable

FORMATS = ("csv", "xlsx")
# "spreadsheet": formula-safe, every cell quoted, a BOM for Excel; "raw": the values
# as stored, for another tool to import.
MODES = ("spreadsheet", "raw")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Rows written between two yields: big enough that the writer's per-call costs
# vanish, small enough that a chunk is a few hundred kilobytes at most.
CHUNK_ROWS = 1000
_FILE_CHUNK = 64 * 1024


def write(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    fmt: str = "csv",
    mode: str = "spreadsheet",
) -> Iterator[str | bytes]:
    """Stream rows of text cells as `fmt` in `mode`: str chunks for CSV, bytes for
    XLSX."""
    if fmt == "xlsx":
        return write_xlsx(header, rows)
    return write_csv(header, rows, mode=mode)


def write_csv(
    header: Sequence[str],
    rows: Iterable[Sequence[str | None]],
    *,
    mode: str = "spreadsheet",
) -> Iterator[str]:
    """CSV text in chunks of CHUNK_ROWS rows; spreadsheet mode starts with a BOM,
    quotes every cell and guards formulas, raw mode writes the values as they are."""
    buffer = io.StringIO()
    spreadsheet = mode == "spreadsheet"
    quoting = csv.QUOTE_ALL if spreadsheet else csv.QUOTE_MINIMAL
    writer = csv.writer(buffer, quoting=quoting, lineterminator="\r\n")
    if spreadsheet:
        yield "\ufeff"
    writer.writerow(header)
    copied = rows.copy() if spreadsheet and isinstance(rows, Copyable) else None
    if copied is not None:
        # The database writes the rows (COPY): the same quoted CSV, at its speed.
        yield guard_quoted_csv(buffer.getvalue())
        for text in copied:
            yield guard_quoted_csv(text)
        return
    rows = iter(rows)
    while True:
        writer.writerows(islice(rows, CHUNK_ROWS))
        text = buffer.getvalue()
        if not text:
            return
        buffer.seek(0)
        buffer.truncate()
        yield guard_quoted_csv(text) if spreadsheet else text


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[bytes]:
    """An XLSX workbook of one sheet, every cell text (never a formula): rows go
    to a temporary file as they come (openpyxl's write-only mode), then the file
    is streamed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Export")
    sheet.append([_xlsx_cell(sheet, h) for h in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, c) for c in row])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as file:
            while block := file.read(_FILE_CHUNK):
                yield block
    finally:
        os.unlink(path)


def _xlsx_cell(sheet, value: str | None):
    if not value:
        return None
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        # openpyxl takes a string starting "=" for a formula: say it is text.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
