"""Uploads: store and check a file, preview it, map its columns, start its job."""

import hashlib
import math
import re
import uuid
from pathlib import Path

from flask import current_app

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import Upload
from prospecting.services import csvfiles
from prospecting.services import jobs
from prospecting.services import ledger
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.errors import ServiceError
from prospecting.services.errors import TooLarge

# The job kind and its planning batch, named where start() creates them.
KIND = "enrichment"
PLAN = "enrichment.plan"


def save_upload(
    workspace_id: int, user_id: int | None, filename: str, stream
) -> Upload:
    """Store an uploaded file (CSV or XLSX), check that it reads within the size
    and row limits, and record it. A refused file is deleted: nothing is kept."""
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    try:
        return _store_upload(workspace_id, user_id, filename, stream, path)
    except BaseException:
        db.session.rollback()
        remove_files(path)
        remove_files(path.with_suffix(csvfiles.workbooks.XLSX_SUFFIX))
        raise


def remove_files(path) -> None:
    """Delete a stored upload and the CSVs converted from its sheets."""
    for converted in csvfiles.converted_paths(path):
        converted.unlink(missing_ok=True)
    Path(path).unlink(missing_ok=True)


def _store_upload(workspace_id, user_id, filename, stream, path: Path) -> Upload:
    path, size, digest = _write_file(stream, path)
    readable = readable_path(path)
    pv = check_readable(readable)
    check_row_limit(readable, pv.dialect)
    upload = Upload(
        workspace_id=workspace_id,
        user_id=user_id,
        filename=clean_filename(filename),
        stored_path=str(path),
        size_bytes=size,
        sha256=digest.hexdigest(),
    )
    db.session.add(upload)
    db.session.commit()
    return upload


def _write_file(stream, path: Path):
    """Copy the stream to `path` within the size limit; a workbook is renamed to
    the .xlsx suffix its readers know it by. Returns (path, size, sha256)."""
    digest, size = hashlib.sha256(), 0
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    with open(path, "wb") as out:
        while chunk := stream.read(1 << 16):
            size += len(chunk)
            if size > limit:
                raise TooLarge(
                    f"The file is larger than {current_app.config['MAX_UPLOAD_MB']} "
                    "MB.",
                    code="too_large",
                )
            digest.update(chunk)
            out.write(chunk)
    with open(path, "rb") as f:
        kind = csvfiles.sniff_kind(f.read(8))
    if kind == "ole":
        raise _invalid(csvfiles.refuse_ole())
    if kind == "xlsx":
        path = path.rename(path.with_suffix(csvfiles.workbooks.XLSX_SUFFIX))
    return path, size, digest


def readable_path(path, sheet=None) -> str:
    """The CSV the readers read for a stored upload: itself, or the chosen sheet
    (the first by default) of a workbook, converted once; InvalidInput or
    TooLarge naming the problem."""
    try:
        return csvfiles.table_path(
            path,
            sheet,
            max_rows=current_app.config["MAX_UPLOAD_ROWS"],
            max_columns=current_app.config["MAX_UPLOAD_COLUMNS"],
        )
    except csvfiles.CsvError as exc:
        raise _invalid(exc) from exc


def _invalid(exc: csvfiles.CsvError) -> InvalidInput:
    if exc.code == "too_many_rows":
        return TooLarge(exc.message, code=exc.code)
    return InvalidInput(exc.message, code=exc.code, details={"row": exc.row})


_NAME_CONTROLS = re.compile("[\x00-\x1f\x7f]")


def clean_filename(filename: str | None) -> str:
    """The name to show for an upload: its last path part without control
    characters (NUL included: PostgreSQL text cannot hold it), at most 255."""
    name = _NAME_CONTROLS.sub("", Path(filename or "").name).strip()
    return (name or "upload.csv")[:255]


def check_row_limit(path, dialect: csvfiles.Dialect) -> int:
    """The file's data rows, or TooLarge naming them and MAX_UPLOAD_ROWS.

    Counted before any job exists, so a file over the limit costs nothing; the
    import checks the limit again as it reads.
    """
    limit = current_app.config["MAX_UPLOAD_ROWS"]
    rows = csvfiles.count_rows(path, dialect)
    if rows > limit:
        raise TooLarge(
            f"The file has {rows:,} data rows; the limit is {limit:,} rows a file. "
            f"Split it into files of at most {limit:,} rows.",
            code="too_many_rows",
            details={"rows": rows, "limit": limit},
        )
    return rows


def check_readable(
    path, *, encoding=None, delimiter=None, fields=csvfiles.FIELDS
) -> csvfiles.Preview:
    """The file's preview, or InvalidInput carrying the CSV problem and its row."""
    cfg = current_app.config
    try:
        return csvfiles.preview(
            path,
            encoding=encoding,
            delimiter=delimiter,
            max_columns=cfg["MAX_UPLOAD_COLUMNS"],
            fields=fields,
        )
    except csvfiles.CsvError as exc:
        raise InvalidInput(
            exc.message, code=exc.code, details={"row": exc.row}
        ) from exc


def get_upload(workspace_id: int, upload_id: int) -> Upload:
    upload = db.session.get(Upload, upload_id)
    if upload is None or upload.workspace_id != workspace_id:
        raise NotFound("No such upload.")
    return upload


def preview(
    workspace_id: int,
    upload_id: int,
    *,
    encoding=None,
    delimiter=None,
    sheet=None,
    fields=csvfiles.BOOK_FIELDS,
):
    """Detected dialect, headers, first rows and auto mapping of an upload (of
    the chosen sheet of a workbook)."""
    upload = get_upload(workspace_id, upload_id)
    path = readable_path(upload.stored_path, sheet)
    return check_readable(path, encoding=encoding, delimiter=delimiter, fields=fields)


def sheets(upload: Upload) -> list[str]:
    """A workbook upload's sheet names ([] for a CSV)."""
    try:
        return csvfiles.sheet_names(upload.stored_path)
    except csvfiles.CsvError as exc:
        raise _invalid(exc) from exc


def clean_mapping(headers: list[str], mapping: dict[str, str | None]) -> dict:
    """Keep only known fields pointing at real headers; an email column is required.
    Title, LinkedIn URL and location are not enriched: they go with the row to
    the book ("Add to contacts")."""
    clean = csvfiles.columns_in(headers, mapping)
    if not clean["email"]:
        raise InvalidInput(
            "Choose the column that holds email addresses: "
            "no column was mapped to email.",
            code="no_email_column",
        )
    return clean


def start(
    workspace_id: int,
    user_id: int | None,
    upload_id: int,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    mapping: dict[str, str | None] | None = None,
    cost_cap=None,
    options: dict | None = None,
    sheet=None,
) -> Job:
    """Create the job and its planning batch (committed, not yet enqueued).

    `options` (worker.OPTIONS) switch on the email finder for rows without an
    email, and the company look-up only for rows whose company field is empty.
    """
    upload = get_upload(workspace_id, upload_id)
    cap = None if cost_cap is None else ledger.parse_cap(cost_cap)
    path = readable_path(upload.stored_path, sheet)
    pv = check_readable(
        path, encoding=encoding, delimiter=delimiter, fields=csvfiles.BOOK_FIELDS
    )
    if (encoding or delimiter) and pv.dialect != csvfiles.detect_dialect(path):
        # The upload was counted as detected; another dialect may split it into
        # other records (UTF-16, quotes after another delimiter). A sheet is
        # counted as it is converted.
        check_row_limit(path, pv.dialect)
    chosen = clean_mapping(pv.headers, mapping if mapping is not None else pv.mapping)
    params = {
        "upload_id": upload.id,
        "filename": upload.filename,
        "sha256": upload.sha256,
        "encoding": pv.dialect.encoding,
        "has_bom": pv.dialect.has_bom,
        "delimiter": pv.dialect.delimiter,
        "headers": pv.headers,
        "mapping": chosen,
        "batch_size": batch_size(upload.size_bytes, pv),
    }
    if csvfiles.is_workbook(upload.stored_path):
        params["sheet"] = csvfiles.sheet_index(upload.stored_path, sheet)
    if cap is not None:
        params["cost_cap"] = str(cap)
    chosen_options = {k: True for k, on in (options or {}).items() if on}
    if chosen_options:
        params["options"] = chosen_options
    job = jobs.create(
        KIND,
        params,
        [jobs.NewBatch(PLAN)],
        workspace_id=workspace_id,
        user_id=user_id,
        title=upload.filename,
    )
    db.session.commit()
    return job


def batch_size(size_bytes: int, pv: csvfiles.Preview) -> int:
    """Rows a batch of this file holds: ENRICHMENT_BATCH_SIZE, or more for a large
    file (its rows estimated from the preview's), up to ENRICHMENT_BATCH_SIZE_MAX."""
    cfg = current_app.config
    least = cfg["ENRICHMENT_BATCH_SIZE"]
    most = max(least, cfg["ENRICHMENT_BATCH_SIZE_MAX"])
    row_bytes = sum(len(",".join(r).encode()) + 1 for r in pv.rows) / len(pv.rows)
    rows = size_bytes / max(1.0, row_bytes)
    return min(most, max(least, math.ceil(rows / cfg["ENRICHMENT_BATCHES_TARGET"])))


def start_from_file(
    workspace_id: int, user_id: int | None, filename: str, stream
) -> tuple[Upload, Job]:
    """Store a file and start its job with the detected dialect and mapping (the
    JSON API); a file the job refuses is deleted with its record."""
    upload = save_upload(workspace_id, user_id, filename, stream)
    try:
        return upload, start(workspace_id, user_id, upload.id)
    except ServiceError:
        db.session.rollback()
        delete_upload(upload)
        raise


def delete_upload(upload: Upload) -> None:
    """Forget an upload that no job uses: its file and its record."""
    remove_files(upload.stored_path)
    db.session.delete(upload)
    db.session.commit()
