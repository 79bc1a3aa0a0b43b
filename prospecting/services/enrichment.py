"""CSV enrichment: uploads, previews, planning rows into batches, enriching rows."""

import gc
import hashlib
import heapq
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from operator import attrgetter
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import phonenumbers
from email_validator import EmailNotValidError
from email_validator import validate_email
from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import Upload
from prospecting.models.base import utcnow
from prospecting.models.enrichment import PROCESSED
from prospecting.providers import companies
from prospecting.providers import emails
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderCostCapReached
from prospecting.providers.errors import ProviderError
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderRateLimited
from prospecting.services import cache
from prospecting.services import csvfiles
from prospecting.services import jobs
from prospecting.services import ledger
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.errors import ServiceError
from prospecting.services.errors import TooLarge

KIND = "enrichment"
PLAN = "enrichment.plan"
ROWS = "enrichment.rows"

FREE_MAIL = frozenset(
    "gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com hotmail.com "
    "hotmail.co.uk hotmail.fr outlook.com live.com msn.com aol.com icloud.com me.com "
    "mac.com proton.me protonmail.com gmx.com gmx.de gmx.net web.de mail.com "
    "yandex.com yandex.ru mail.ru qq.com 163.com 126.com zoho.com fastmail.com "
    "hey.com tutanota.com rediffmail.com".split()
)
EXPORT_COLUMNS = (
    "status", "email_valid", "email_verdict", "email_flags", "email_normalized",
    "phone_e164", "company_domain", "company_name", "company_size", "company_industry",
    "location", "error_message", "processed_at",
)  # fmt: skip


# Uploads and previews


def save_upload(
    workspace_id: int, user_id: int | None, filename: str, stream
) -> Upload:
    """Store an uploaded file, check that it reads as CSV within the size and row
    limits, and record it. A refused file is deleted: nothing is kept."""
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    try:
        return _store_upload(workspace_id, user_id, filename, stream, path)
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise


def _store_upload(workspace_id, user_id, filename, stream, path: Path) -> Upload:
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
    pv = check_readable(path)
    check_row_limit(path, pv.dialect)
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


def check_readable(path, *, encoding=None, delimiter=None) -> csvfiles.Preview:
    """The file's preview, or InvalidInput carrying the CSV problem and its row."""
    cfg = current_app.config
    try:
        return csvfiles.preview(
            path,
            encoding=encoding,
            delimiter=delimiter,
            max_columns=cfg["MAX_UPLOAD_COLUMNS"],
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


def preview(workspace_id: int, upload_id: int, *, encoding=None, delimiter=None):
    """Detected dialect, headers, first rows and auto mapping of an upload."""
    upload = get_upload(workspace_id, upload_id)
    return check_readable(upload.stored_path, encoding=encoding, delimiter=delimiter)


def clean_mapping(headers: list[str], mapping: dict[str, str | None]) -> dict:
    """Keep only known fields pointing at real headers; an email column is required."""
    clean = {
        field: (mapping.get(field) if mapping.get(field) in headers else None)
        for field in csvfiles.FIELDS
    }
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
) -> Job:
    """Create the job and its planning batch (committed, not yet enqueued)."""
    upload = get_upload(workspace_id, upload_id)
    cap = None if cost_cap is None else ledger.parse_cap(cost_cap)
    pv = check_readable(upload.stored_path, encoding=encoding, delimiter=delimiter)
    if (encoding or delimiter) and pv.dialect != csvfiles.detect_dialect(
        upload.stored_path
    ):
        # The upload was counted as detected; another dialect may split it into
        # other records (UTF-16, quotes after another delimiter).
        check_row_limit(upload.stored_path, pv.dialect)
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
    }
    if cap is not None:
        params["cost_cap"] = str(cap)
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
    Path(upload.stored_path).unlink(missing_ok=True)
    db.session.delete(upload)
    db.session.commit()


# Cost estimate before the run


@dataclass
class CostEstimate:
    rows: int  # data rows in the file (approximate when only a sample was read)
    sampled: int
    exact: bool
    estimate: ledger.Estimate


def estimate_cost(upload: Upload, pv: csvfiles.Preview) -> CostEstimate:
    """Rows × calls × price, less answers already cached, from the file's first rows.

    Reads up to COST_ESTIMATE_SAMPLE_ROWS rows, counts the distinct addresses and
    domains that would be sent and those the cache already holds, and scales the
    figures to the whole file by its line count.
    """
    limit = current_app.config["COST_ESTIMATE_SAMPLE_ROWS"]
    emails_seen, domains_seen = set(), set()
    email_calls = company_calls = sampled = 0
    truncated = False
    rows = csvfiles.iter_rows(
        upload.stored_path,
        pv.dialect,
        max_columns=current_app.config["MAX_UPLOAD_COLUMNS"],
    )
    try:
        for _, record in rows:
            if sampled >= limit:
                truncated = True
                break
            sampled += 1
            fields = csvfiles.apply_mapping(record, pv.mapping)
            email = _normalised(fields["email"])
            if email is None or email.lower() in emails_seen:
                continue
            emails_seen.add(email.lower())
            email_calls += 1
            domain = company_domain(fields["website"], email)
            if domain and domain not in domains_seen:
                domains_seen.add(domain)
                company_calls += 1
    except csvfiles.CsvError:
        pass  # the estimate covers the readable part; the run reports the error
    total = max(_data_lines(upload.stored_path), sampled) if truncated else sampled
    scale = total / sampled if sampled else 0
    email_hits = cache.count_cached(emails.PROVIDER, emails_seen)
    domain_hits = cache.count_cached(companies.PROVIDER, domains_seen)
    lines = [
        ("Email checks", emails.PROVIDER, emails.ENDPOINT,
         round(email_calls * scale), round(email_hits * scale)),
        ("Company look-ups", companies.PROVIDER, companies.ENDPOINT,
         round(company_calls * scale), round(domain_hits * scale)),
    ]  # fmt: skip
    return CostEstimate(
        rows=total,
        sampled=sampled,
        exact=not truncated,
        estimate=ledger.estimate(lines),
    )


def _normalised(email: str) -> str | None:
    if not email.strip():
        return None
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _data_lines(path) -> int:
    """Lines after the header: the row count unless fields span lines."""
    count = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
    return max(0, count - 1)


# Planning: stream the file into rows and batches


def plan(run: jobs.Run) -> jobs.Result:
    """Stream the job's file into pages and batches, sending new ones as they are
    committed.

    Each chunk of INGEST_CHUNK_ROWS rows is written as pages, one per batch (one
    COPY on PostgreSQL, fed piece by piece as the file is read), with its batches
    in one transaction, so a killed planner resumes after the last committed
    chunk. A batch's worker turns its page into rows (`_take_pages`).
    """
    job = run.job
    cfg = current_app.config
    size = cfg["ENRICHMENT_BATCH_SIZE"]
    commit_rows = size * max(1, cfg["INGEST_CHUNK_ROWS"] // size)
    done = _rows_written(job.id)
    upload = db.session.get(Upload, job.params["upload_id"])
    dialect = csvfiles.Dialect(
        encoding=job.params["encoding"],
        delimiter=job.params["delimiter"],
        has_bom=job.params.get("has_bom", False),
    )
    chunks = csvfiles.iter_chunks(
        upload.stored_path,
        dialect,
        chunk_rows=size * max(1, min(commit_rows, WRITE_ROWS) // size),
        start_after=done,
        max_rows=cfg["MAX_UPLOAD_ROWS"],
        max_columns=cfg["MAX_UPLOAD_COLUMNS"],
    )
    job_id, total = job.id, done
    commit = _Committer(run, size)
    try:
        with _gc_paused():
            for pieces in _groups(chunks, commit_rows):
                first, last = _write_pages(job_id, pieces, size)
                # A batch is cut once all its rows are in; the last one at the end.
                commit(first, upto=last - last % size, total=last)
                total = last
        if total % size:
            commit(total - total % size + 1, total, total)
    except csvfiles.CsvError as exc:
        db.session.rollback()
        where = f" (row {exc.row})" if exc.row else ""
        _set_total(job_id, total)
        return jobs.Failed(
            f"The file could not be read past row {total}{where}: {exc.message}"
        )
    _set_total(job_id, total)
    if total == 0:
        return jobs.Failed("The file has no data rows.")
    return jobs.Done()


def _rows_written(job_id: str) -> int:
    """The last row number a planner committed, in pages or (taken) rows; read in
    one statement, so a page a worker turns into rows meanwhile is not missed."""
    in_pages = select(func.max(EnrichmentPage.last_row)).where(
        EnrichmentPage.job_id == job_id
    )
    in_rows = select(func.max(EnrichmentRow.row_number)).where(
        EnrichmentRow.job_id == job_id
    )
    lasts = db.session.execute(
        select(
            func.coalesce(in_pages.scalar_subquery(), 0),
            func.coalesce(in_rows.scalar_subquery(), 0),
        )
    ).one()
    return max(lasts)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the planner reads: the rows it
    makes (lists of strings) hold no cycles, yet each few hundred of them would
    set off a collection pass (~15 % of the import's CPU). Other threads' cycles
    wait until the import ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Rows go to the database in pieces of about this many.
WRITE_ROWS = 2000

Piece = tuple[int, list[list[str]]]  # (first row number, fields of each row)


def _groups(pieces: Iterator[Piece], rows: int) -> Iterator[Iterator[Piece]]:
    """Lazy groups of consecutive pieces holding `rows` rows (the last fewer);
    each group must be consumed before the next is asked for."""
    pieces = iter(pieces)
    for head in pieces:

        def group(head: Piece = head) -> Iterator[Piece]:
            yield head
            taken = len(head[1])
            while taken < rows and (piece := next(pieces, None)) is not None:
                yield piece
                taken += len(piece[1])

        yield group()


def _pages(piece: Piece, size: int) -> Iterator[tuple[int, int, list[list[str]]]]:
    """A piece cut into (first row, last row, rows) pages that never straddle a
    batch (batch k holds rows (k-1)*size+1..k*size); a batch has one page unless
    the reader's pieces split it."""
    start, records = piece
    i = 0
    while i < len(records):
        j = min(len(records), i + size - (start + i - 1) % size)
        yield start + i, start + j - 1, records[i:j]
        i = j


_COPY_PAGES = "COPY enrichment_pages (job_id, last_row, first_row, data) FROM STDIN"


def _write_pages(job_id: str, pieces: Iterator[Piece], size: int) -> tuple[int, int]:
    """Write the pieces' rows as pages into the session's transaction (one COPY on
    PostgreSQL, fed piece by piece); returns the first and last row numbers."""
    first = last = 0
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        for piece in pieces:
            pages = [{"job_id": job_id, "first_row": a, "last_row": b, "data": rows}
                     for a, b, rows in _pages(piece, size)]  # fmt: skip
            db.session.execute(insert(EnrichmentPage), pages)
            first, last = first or piece[0], pages[-1]["last_row"]
        return first, last
    prefix = f"{job_id}\t".encode()
    cursor = connection.connection.driver_connection.cursor()
    # The chunk's commit need not wait for its WAL to reach the disk: if the
    # database crashes within that fraction of a second, the chunk's pages and
    # its batches are lost together and the planner, run again, reads them again.
    cursor.execute("SET LOCAL synchronous_commit TO off")
    with cursor.copy(_COPY_PAGES) as cp:
        for piece in pieces:
            # "job<TAB>last<TAB>first<TAB>[rows as JSON]" lines. JSON escapes
            # control characters with backslashes, which COPY's text format wants
            # doubled.
            lines = [b"%b%d\t%d\t%b\n" % (prefix, b, a, orjson.dumps(rows))
                     for a, b, rows in _pages(piece, size)]  # fmt: skip
            cp.write(b"".join(lines).replace(b"\\", b"\\\\"))
            first, last = first or piece[0], piece[0] + len(piece[1]) - 1
    return first, last


@dataclass
class _Committer:
    """Commits the pages the planner wrote, with the batches of their complete rows."""

    run: jobs.Run
    size: int

    def __call__(self, first: int, upto: int, total: int) -> None:
        """Commit the pages written with the batches of rows first..upto and the new
        total, then send the new batches (LeaseLost when the planner lost its
        lease: nothing of the chunk is kept)."""
        job_id = self.run.job.id
        self.run.extend()
        added = []
        if upto >= first:
            first_seq = 1 + (first - 1) // self.size
            added = _add_row_batches(job_id, first_seq, upto, self.size)
        db.session.execute(
            update(Job).where(Job.id == job_id).values(progress_total=total)
        )
        db.session.commit()
        self.run.dispatch(added)


def _add_row_batches(
    job_id: str, first_seq: int, last_row: int, size: int
) -> list[tuple[int, str]]:
    """Add the batches from first_seq up to the one holding last_row, less those a
    planner run before this one added; returns the new ones as (id, kind). Batch
    k holds rows (k-1)*size+1..k*size."""
    # While a job is planned its only batches are the planner's (seq 0) and
    # these, added in order.
    first_seq = max(first_seq, jobs.next_seq(job_id))
    last_seq = 1 + (last_row - 1) // size
    if first_seq > last_seq:
        return []
    now = utcnow()
    if db.session.connection().dialect.name == "postgresql":
        # One statement for thousands of batches.
        values = {"job": job_id, "kind": ROWS, "first": first_seq, "last": last_seq,
                  "size": size, "last_row": last_row, "now": now}  # fmt: skip
        added = db.session.execute(_INSERT_BATCHES_PG, values)
    else:
        new = [
            {"job_id": job_id, "seq": s, "kind": ROWS, "status": "pending",
             "params": {"first_row": (s - 1) * size + 1,
                        "last_row": min(s * size, last_row)},
             "attempts": 0, "success_count": 0, "failed_count": 0,
             "created_at": now, "updated_at": now}
            for s in range(first_seq, last_seq + 1)
        ]  # fmt: skip
        added = db.session.execute(
            insert(JobBatch).returning(
                JobBatch.id, JobBatch.kind, sort_by_parameter_order=True
            ),
            new,
        )
    return [(batch_id, kind) for batch_id, kind in added]


_INSERT_BATCHES_PG = text("""
    INSERT INTO job_batches (job_id, seq, kind, status, params, attempts,
                             success_count, failed_count, created_at, updated_at)
    SELECT :job, s, :kind, 'pending',
           jsonb_build_object('first_row', (s - 1) * :size + 1,
                              'last_row', least(s * :size, :last_row)),
           0, 0, 0, :now, :now
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS s
    RETURNING id, kind
""")


def _set_total(job_id: str, total: int) -> None:
    db.session.execute(update(Job).where(Job.id == job_id).values(progress_total=total))
    db.session.commit()


# Processing: verify and enrich the rows of one batch


def process_rows(run: jobs.Run) -> jobs.Result:
    """Turn the batch's page into rows (an import batch, the first time it is
    taken), then verify and enrich its pending rows; finished rows are skipped."""
    batch, job_id = run.batch, run.job.id
    in_batch = _in_batch(batch)
    if imported := _row_range(batch):
        _take_pages(job_id, *imported)
    job = db.session.get(Job, job_id)
    pending = db.session.execute(
        select(EnrichmentRow.row_number, EnrichmentRow.data)
        .where(EnrichmentRow.job_id == job_id, in_batch)
        .where(EnrichmentRow.status == "pending")
        .order_by(EnrichmentRow.row_number)
    ).all()
    headers, mapping = job.params.get("headers", []), job.params.get("mapping", {})
    for number, data in run.each(pending):
        fields = mapped_fields(csvfiles.as_record(headers, data), mapping)
        values = {**fields, **enrich_row(fields)}
        run.extend()
        db.session.execute(
            _WRITE_ROW, {**values, "write_job_id": job_id, "write_row": number}
        )
        db.session.commit()
    counts = _batch_counts(job_id, in_batch)
    return jobs.Done(success=counts["success"], failed=counts["failed"])


# Built once: the SET clause comes from the keys of the values each row gets.
_ROWS = EnrichmentRow.__table__
_WRITE_ROW = update(_ROWS).where(
    _ROWS.c.job_id == bindparam("write_job_id"),
    _ROWS.c.row_number == bindparam("write_row"),
    _ROWS.c.status == "pending",
)


def _take_pages(job_id: str, first_row: int, last_row: int) -> int:
    """Turn the pages holding rows first_row..last_row into pending rows and
    commit; returns how many rows. The pages are deleted in the same transaction
    and only the deleter writes their rows, so a row is written once however many
    take it."""
    pages = db.session.execute(
        delete(EnrichmentPage)
        .where(
            EnrichmentPage.job_id == job_id,
            EnrichmentPage.last_row.between(first_row, last_row),
        )
        .returning(EnrichmentPage.first_row, EnrichmentPage.data)
    ).all()
    rows = [{"job_id": job_id, "row_number": start + i, "data": fields}
            for start, data in pages for i, fields in enumerate(data)]  # fmt: skip
    if rows:
        db.session.execute(insert(EnrichmentRow), rows)
    db.session.commit()
    return len(rows)


def _take_all_pages(job_id: str) -> None:
    """Turn every page of a job into pending rows, a few hundred pages at a time."""
    while ends := db.session.scalars(
        select(EnrichmentPage.last_row)
        .where(EnrichmentPage.job_id == job_id)
        .order_by(EnrichmentPage.last_row)
        .limit(500)
    ).all():
        _take_pages(job_id, 1, ends[-1])


def _in_batch(batch: JobBatch) -> ColumnElement[bool]:
    """Which rows a batch holds: a range cut at import, or the row numbers of a
    re-run."""
    if imported := _row_range(batch):
        return EnrichmentRow.row_number.between(*imported)
    return EnrichmentRow.row_number.in_(batch.params["row_numbers"])


def _row_range(batch: JobBatch) -> tuple[int, int] | None:
    """The first and last row of a batch cut at import; None for a re-run's."""
    if "row_numbers" in batch.params:
        return None
    return batch.params["first_row"], batch.params["last_row"]


def _batch_counts(job_id: str, in_batch: ColumnElement[bool]) -> dict[str, int]:
    rows = db.session.execute(
        select(EnrichmentRow.status, func.count())
        .where(EnrichmentRow.job_id == job_id, in_batch)
        .group_by(EnrichmentRow.status)
    ).all()
    counts = {"success": 0, "failed": 0}
    counts.update({status: n for status, n in rows})
    return counts


def with_fields(job: Job, rows: list[EnrichmentRow]) -> list[EnrichmentRow]:
    """Fill the mapped name, email, company, phone and website of rows not yet
    processed from their original fields, for display (nothing is written)."""
    headers, mapping = job.params.get("headers", []), job.params.get("mapping", {})
    for row in rows:
        if row.email is None:
            record = csvfiles.as_record(headers, row.data)
            for field, value in mapped_fields(record, mapping).items():
                set_committed_value(row, field, value)
    return rows


MAPPED = ("name", "email", "company", "phone", "website")
_WIDTHS = {"name": 255, "email": 320, "company": 255, "phone": 64, "website": 255}


def mapped_fields(record: dict[str, str], mapping: dict) -> dict[str, str]:
    """A row's name, email, company, phone and website by the job's mapping, cut
    to their column widths, without NUL characters (PostgreSQL text cannot hold
    them; the row's original fields keep them, escaped in JSON)."""
    fields = csvfiles.apply_mapping(record, mapping)
    return {
        field: fields[field].replace("\x00", "")[: _WIDTHS[field]] for field in MAPPED
    }


# Errors that stop the batch rather than fail the row.
PASS_THROUGH = (ProviderRateLimited, ProviderAuthError, ProviderCostCapReached)


def enrich_row(fields: dict[str, str]) -> dict:
    """The verdict, company and phone of one row's mapped fields, as column values.

    Rate limits and refused credentials propagate; other provider failures
    become a failed row with the reason.
    """
    values = {"processed_at": utcnow(), "status": "success", "error_message": None}
    values["phone_e164"] = normalise_phone(fields["phone"])
    if not fields["email"].strip():
        return {
            **values,
            "status": "failed",
            "error_message": "No email address in this row.",
        }
    try:
        normalized = validate_email(
            fields["email"].strip(), check_deliverability=False
        ).normalized
    except EmailNotValidError as exc:
        return {
            **values,
            "email_valid": False,
            "email_verdict": "invalid",
            "email_flags": [],
            "error_message": f"Invalid email: {exc}",
        }
    values["email_normalized"] = normalized
    try:
        verdict = verify_email(normalized)
    except ProviderError as exc:
        if isinstance(exc, PASS_THROUGH):
            raise
        return {**values, "status": "failed", "error_message": exc.message}
    values.update(
        email_valid=verdict.is_valid,
        email_verdict=verdict.verdict,
        email_flags=verdict.flags,
    )
    domain = company_domain(fields["website"], normalized)
    values["company_domain"] = domain
    if domain:
        try:
            company = enrich_company(domain)
        except ProviderError as exc:
            if isinstance(exc, PASS_THROUGH):
                raise
            return {**values, "status": "failed", "error_message": exc.message}
        if company is not None:
            values.update(
                company_name=company.name,
                company_size=company.size_range,
                company_industry=company.industry,
                location=company.location or None,
            )
    return values


def verify_email(email: str) -> emails.EmailVerdict:
    """A cached or fresh verdict for a normalised address."""
    key = email.lower()
    hit = cache.get(emails.PROVIDER, key)
    if hit is not cache.MISSING and hit is not None:
        metering.record_cache_hit(emails.PROVIDER, emails.ENDPOINT)
        return emails.EmailVerdict(**hit)
    verdict = emails.verify(email)
    cache.put(emails.PROVIDER, key, verdict.__dict__.copy())
    return verdict


def enrich_company(domain: str) -> companies.CompanyData | None:
    """A cached or fresh company for a domain; None when the provider has none."""
    hit = cache.get(companies.PROVIDER, domain)
    if hit is not cache.MISSING:
        metering.record_cache_hit(companies.PROVIDER, companies.ENDPOINT)
    if hit is None:
        return None
    if hit is not cache.MISSING:
        return companies.CompanyData(**hit)
    try:
        company = companies.enrich(domain)
    except ProviderNotFound:
        cache.put(companies.PROVIDER, domain, None)
        return None
    cache.put(companies.PROVIDER, domain, company.to_dict())
    return company


def company_domain(website: str, email: str | None) -> str | None:
    """The domain from the website column, else the email's unless it is free mail."""
    if website and website.strip():
        raw = website.strip().lower()
        host = urlsplit(raw if "//" in raw else f"//{raw}").hostname or ""
        host = host.removeprefix("www.")
        if "." in host:
            return host
    if email and "@" in email:
        domain = email.rsplit("@", 1)[1].lower()
        if domain not in FREE_MAIL:
            return domain
    return None


def normalise_phone(phone: str) -> str | None:
    """E.164 form of a phone number (default region), or None if not valid."""
    if not phone or not phone.strip():
        return None
    region = current_app.config["DEFAULT_PHONE_REGION"]
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# Re-runs, results and exports


def rerun_failed(workspace_id: int, job_id: str) -> Job:
    """Put a finished job's failed (and never processed) rows into new batches."""
    job = jobs.get(workspace_id, job_id, kind=KIND)
    if not job.is_terminal:
        raise Conflict("The job is still running; re-run its failures when it ends.")
    # Rows a cancelled or failed job never took are in pages still.
    _take_all_pages(job.id)
    numbers = db.session.scalars(
        select(EnrichmentRow.row_number)
        .where(
            EnrichmentRow.job_id == job.id,
            EnrichmentRow.status.in_(("failed", "pending")),
        )
        .order_by(EnrichmentRow.row_number)
    ).all()
    if not numbers:
        raise Conflict("There are no failed rows to re-run.")
    failed = db.session.scalar(
        select(func.count()).where(
            EnrichmentRow.job_id == job.id, EnrichmentRow.status == "failed"
        )
    )
    size = current_app.config["ENRICHMENT_BATCH_SIZE"]
    seq = jobs.next_seq(job.id)
    for start in range(0, len(numbers), size):
        part = numbers[start : start + size]
        db.session.execute(
            update(EnrichmentRow)
            .where(EnrichmentRow.job_id == job.id, EnrichmentRow.row_number.in_(part))
            .values(status="pending", error_message=None, processed_at=None)
        )
        jobs.add_batch(job.id, kind=ROWS, seq=seq, params={"row_numbers": part})
        seq += 1
    db.session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(
            status="running",
            completed_at=None,
            error_message=None,
            failed_count=Job.failed_count - failed,
            progress_current=Job.progress_current - failed,
        )
    )
    db.session.commit()
    db.session.refresh(job)
    return job


def status_counts(job_id: str) -> dict[str, int]:
    rows = db.session.execute(
        select(EnrichmentRow.status, func.count())
        .where(EnrichmentRow.job_id == job_id)
        .group_by(EnrichmentRow.status)
    ).all()
    counts = {status: n for status, n in rows}
    if in_pages := _rows_in_pages(job_id):
        counts["pending"] = counts.get("pending", 0) + in_pages
    return counts


def _rows_in_pages(job_id: str) -> int:
    return db.session.scalar(
        select(
            func.coalesce(
                func.sum(EnrichmentPage.last_row - EnrichmentPage.first_row + 1), 0
            )
        ).where(EnrichmentPage.job_id == job_id)
    )


def results_after(
    job: Job, *, status: str | None = None, after: int = 0, limit: int = 50
) -> list[EnrichmentRow]:
    """Rows after a row number (keyset pagination), optionally of one status;
    rows still in pages come as unsaved pending rows, in row order with the rest."""
    stmt = select(EnrichmentRow).where(
        EnrichmentRow.job_id == job.id, EnrichmentRow.row_number > after
    )
    if status:
        stmt = stmt.where(*_of_status(status))
    else:
        # Row numbers are dense 1..N across rows and pages, so the next `limit`
        # are within this bound, which keeps the scan short whatever the
        # planner's statistics say.
        stmt = stmt.where(EnrichmentRow.row_number <= after + limit)
    rows = list(
        db.session.scalars(stmt.order_by(EnrichmentRow.row_number).limit(limit))
    )
    if status in (None, "pending"):
        merged = heapq.merge(rows, _page_rows(job.id, after), key=_ROW_NUMBER)
        rows = list(islice(merged, limit))
    return with_fields(job, rows)


_ROW_NUMBER = attrgetter("row_number")


def _page_rows(job_id: str, after: int, pages: int = 50) -> Iterator[EnrichmentRow]:
    """The rows after a row number still in pages, as unsaved pending rows, read
    a few pages at a time as they are asked for."""
    while chunk := db.session.execute(
        select(EnrichmentPage.first_row, EnrichmentPage.last_row, EnrichmentPage.data)
        .where(EnrichmentPage.job_id == job_id, EnrichmentPage.last_row > after)
        .order_by(EnrichmentPage.last_row)
        .limit(pages)
    ).all():
        for first_row, _, data in chunk:
            for number, fields in enumerate(data, first_row):
                if number > after:
                    yield EnrichmentRow(
                        job_id=job_id, row_number=number, data=fields, status="pending"
                    )
        after = chunk[-1][1]


def results_page(
    job: Job, *, page: int, per_page: int, status: str | None = None
) -> tuple[list[EnrichmentRow], int]:
    """Page N of the rows and the total; unfiltered pages seek by row number."""
    skip = (page - 1) * per_page
    if status is None:
        # Row numbers are dense 1..N, N the job's total (committed with the rows),
        # so page N starts at a known row number.
        return results_after(job, after=skip, limit=per_page), job.progress_total
    base = select(EnrichmentRow).where(
        EnrichmentRow.job_id == job.id, *_of_status(status)
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    if status != "pending":
        stmt = base.order_by(EnrichmentRow.row_number).offset(skip).limit(per_page)
        return with_fields(job, list(db.session.scalars(stmt))), total
    # Pending rows are mostly in pages: skip through both in row order.
    in_rows = db.session.scalars(
        base.order_by(EnrichmentRow.row_number).execution_options(yield_per=1000)
    )
    merged = heapq.merge(in_rows, _page_rows(job.id, 0), key=_ROW_NUMBER)
    rows = list(islice(merged, skip, skip + per_page))
    return with_fields(job, rows), total + _rows_in_pages(job.id)


def _of_status(status: str) -> tuple[ColumnElement[bool], ...]:
    """The filter on a status; for a processed one it repeats the status index's
    predicate word for word, so the planner can use that partial index."""
    if status == "pending":
        return (EnrichmentRow.status == "pending",)
    return (EnrichmentRow.status == status, text(PROCESSED))


def export_lines(job: Job, *, only_failed: bool = False) -> Iterator[str]:
    """CSV of the original plus enriched columns (or the failures with reasons)."""
    headers = list(job.params.get("headers", []))
    width = len(headers)
    extra = ["error_message"] if only_failed else list(EXPORT_COLUMNS)

    def rows():
        after = 0
        while True:
            page = results_after(
                job,
                status="failed" if only_failed else None,
                after=after,
                limit=1000,
            )
            if not page:
                return
            for row in page:
                original = (row.data + [""] * width)[:width]
                yield original + [_export_value(row, c) for c in extra]
            after = page[-1].row_number
            db.session.expunge_all()

    return csvfiles.write_csv(headers + extra, rows())


def _export_value(row: EnrichmentRow, column: str):
    value = getattr(row, column)
    if isinstance(value, list):
        return ";".join(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rerun_exactly(job: Job, user_id: int | None) -> Job:
    """A new job on the same stored file, dialect, mapping and cap (commits)."""
    params = job.params
    upload = db.session.get(Upload, params["upload_id"])
    if upload is None or upload.workspace_id != job.workspace_id:
        raise Conflict("The uploaded file of this job was deleted: upload it again.")
    if not upload.stored_path or not os.path.exists(upload.stored_path):
        raise Conflict("The uploaded file of this job is gone: upload it again.")
    if _file_sha256(upload.stored_path) != params.get("sha256"):
        raise Conflict(
            "The uploaded file changed since this job ran (its sha256 differs), "
            "so it cannot be re-run exactly."
        )
    return start(
        job.workspace_id,
        user_id,
        upload.id,
        encoding=params["encoding"],
        delimiter=params["delimiter"],
        mapping=params["mapping"],
        cost_cap=params.get("cost_cap"),
    )


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


jobs.register(
    jobs.JobKind(
        name=KIND,
        label="CSV enrichment",
        unit="rows",
        batches=(
            jobs.BatchKind(PLAN, plan, jobs.Policy()),
            # Provider failures of one row fail that row (enrich_row); a rate
            # limit, refused credentials or a cap stop the batch.
            jobs.BatchKind(ROWS, process_rows, jobs.Policy()),
        ),
        page="enrichment.show",
        headline="enrichment/_headline.html",
        providers=(emails.PROVIDER, companies.PROVIDER),
        audit_fields={"file_sha256": "sha256"},
        rerun=rerun_exactly,
        retry=lambda job: rerun_failed(job.workspace_id, job.id),
    )
)
