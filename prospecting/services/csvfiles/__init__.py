"""Uploaded contact CSVs (and XLSX workbooks, read as their sheet converted to CSV):
detect their dialect, preview them, read them row by row or in chunks, count their
rows, map their columns, and write safe CSV exports."""

from prospecting.services.csvfiles.chunks import iter_chunks
from prospecting.services.csvfiles.counting import count_rows
from prospecting.services.csvfiles.dialect import DELIMITERS
from prospecting.services.csvfiles.dialect import ENCODINGS
from prospecting.services.csvfiles.dialect import SAMPLE_BYTES
from prospecting.services.csvfiles.dialect import CsvError
from prospecting.services.csvfiles.dialect import Dialect
from prospecting.services.csvfiles.dialect import StrPath
from prospecting.services.csvfiles.dialect import detect_dialect
from prospecting.services.csvfiles.mapping import BOOK_FIELDS
from prospecting.services.csvfiles.mapping import FIELDS
from prospecting.services.csvfiles.mapping import apply_book_mapping
from prospecting.services.csvfiles.mapping import apply_mapping
from prospecting.services.csvfiles.mapping import auto_map
from prospecting.services.csvfiles.mapping import columns_in
from prospecting.services.csvfiles.previews import PREVIEW_SCAN_ROWS
from prospecting.services.csvfiles.previews import Preview
from prospecting.services.csvfiles.previews import preview
from prospecting.services.csvfiles.reading import LINE_LIMIT
from prospecting.services.csvfiles.reading import MAX_FIELD_BYTES
from prospecting.services.csvfiles.reading import as_record
from prospecting.services.csvfiles.reading import iter_records
from prospecting.services.csvfiles.reading import iter_rows
from prospecting.services.csvfiles.workbooks import converted_paths
from prospecting.services.csvfiles.workbooks import is_workbook
from prospecting.services.csvfiles.workbooks import refuse_ole
from prospecting.services.csvfiles.workbooks import sheet_index
from prospecting.services.csvfiles.workbooks import sheet_names
from prospecting.services.csvfiles.workbooks import sniff_kind
from prospecting.services.csvfiles.workbooks import table_path
from prospecting.services.csvfiles.writing import safe_cell
from prospecting.services.csvfiles.writing import write_csv

__all__ = [
    "BOOK_FIELDS",
    "DELIMITERS",
    "ENCODINGS",
    "FIELDS",
    "LINE_LIMIT",
    "MAX_FIELD_BYTES",
    "PREVIEW_SCAN_ROWS",
    "SAMPLE_BYTES",
    "CsvError",
    "Dialect",
    "Preview",
    "StrPath",
    "apply_book_mapping",
    "columns_in",
    "apply_mapping",
    "as_record",
    "auto_map",
    "converted_paths",
    "count_rows",
    "detect_dialect",
    "iter_chunks",
    "iter_records",
    "is_workbook",
    "iter_rows",
    "preview",
    "refuse_ole",
    "safe_cell",
    "sheet_index",
    "sheet_names",
    "sniff_kind",
    "table_path",
    "write_csv",
]
