"""XLSX uploads: a workbook's sheet written once as a UTF-8 CSV beside it, so
every reader of an upload (preview, count, chunks) reads one format."""

from __future__ import annotations

import csv
import os
import zipfile
from datetime import date
from datetime import datetime
from datetime import time
from pathlib import Path

from prospecting.services.csvfiles.dialect import CsvError
from prospecting.services.csvfiles.dialect import StrPath

XLSX_SUFFIX = ".xlsx"
_ZIP_MAGIC = b"PK\x03\x04"
# Encrypted OOXML files (and old .xls ones) are OLE compound files.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_kind(head: bytes) -> str:
    """ "xlsx", "ole" (a password-protected workbook or an old .xls) or "csv"."""
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    return "csv"


def is_workbook(path: StrPath) -> bool:
    """Whether a stored upload is a workbook (stored under the .xlsx suffix)."""
    return str(path).endswith(XLSX_SUFFIX)


def refuse_ole() -> CsvError:
    """The error for an OLE file: encrypted XLSX or legacy XLS, neither readable."""
    return CsvError(
        "xlsx_protected",
        "The workbook is password-protected or an old .xls file: save it as .xlsx "
        "without a password (or as CSV) and upload it again.",
    )


def sheet_names(path: StrPath) -> list[str]:
    """The workbook's sheet names in order; [] for a CSV upload."""
    if not is_workbook(path):
        return []
    workbook = _open(path)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def sheet_index(path: StrPath, sheet) -> int:
    """A valid sheet index from a form value (first sheet when absent)."""
    if sheet in (None, "", 0, "0"):
        return 0  # every workbook has a first sheet: no need to open it
    try:
        index = int(sheet)
    except (TypeError, ValueError):
        index = -1
    names = sheet_names(path)
    if not 0 <= index < len(names):
        raise CsvError("bad_sheet", f"sheet: the workbook has no sheet {sheet!r}.")
    return index


def table_path(
    path: StrPath,
    sheet=None,
    *,
    max_rows: int | None = None,
    max_columns: int | None = None,
) -> str:
    """The CSV to read for an upload: the file itself, or a workbook's sheet
    (the first unless `sheet` names another) converted once and kept beside it."""
    if not is_workbook(path):
        return str(path)
    index = sheet_index(path, sheet)
    target = f"{path}.sheet{index}.csv"
    if not os.path.exists(target):
        _convert(path, index, target, max_rows, max_columns)
    return target


def converted_paths(path: StrPath) -> list[Path]:
    """The CSV files converted from a workbook's sheets (to delete with it)."""
    stored = Path(path)
    return sorted(stored.parent.glob(f"{stored.name}.sheet*.csv"))


def _open(path: StrPath):
    from openpyxl import load_workbook  # loaded only when a workbook comes

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        if not _has_workbook_part(path):
            message = (
                "The file is a zip archive, not a CSV file or an XLSX workbook; "
                "upload a CSV or XLSX file."
            )
            raise CsvError("binary", message) from exc
        message = "The workbook cannot be read (it is damaged)."
        raise CsvError("xlsx_unreadable", message) from exc


def _has_workbook_part(path: StrPath) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _convert(
    path: StrPath,
    index: int,
    target: str,
    max_rows: int | None,
    max_columns: int | None,
) -> None:
    """Stream one sheet's non-empty rows into `target` (atomically, via a temp)."""
    workbook = _open(path)
    partial = f"{target}.{os.getpid()}.part"
    try:
        sheet = workbook.worksheets[index]
        written = 0
        with open(partial, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            try:
                for values in sheet.iter_rows(values_only=True):
                    cells = [_text(v) for v in values]
                    while cells and not cells[-1].strip():
                        cells.pop()
                    if not cells:
                        continue
                    written += 1
                    if max_columns is not None and len(cells) > max_columns:
                        raise CsvError(
                            "too_many_columns",
                            f"Row {written} of the sheet {sheet.title!r} has "
                            f"{len(cells):,} columns; the limit is {max_columns:,}.",
                            row=written,
                        )
                    if max_rows is not None and written > max_rows + 1:
                        raise CsvError(
                            "too_many_rows",
                            f"The sheet {sheet.title!r} has more than {max_rows:,} "
                            f"data rows; the limit is {max_rows:,}.",
                            row=max_rows + 1,
                        )
                    writer.writerow(cells)
            except CsvError:
                raise
            except Exception as exc:
                message = "The workbook cannot be read (a sheet of it is damaged)."
                raise CsvError("xlsx_unreadable", message) from exc
        if not written:
            raise CsvError("empty", f"The sheet {sheet.title!r} is empty.")
        os.replace(partial, target)
    finally:
        workbook.close()
        Path(partial).unlink(missing_ok=True)


def _text(value) -> str:
    """A cell as the text a person typed: whole numbers without ".0", dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)
