"""The planner: stream a job's file into pages and cut them into row batches."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import orjson
from flask import current_app
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import Upload
from prospecting.models.base import utcnow
from prospecting.services import csvfiles
from prospecting.services import jobs

# The rows batches, named where the planner cuts them (worker.process_rows works them).
ROWS = "enrichment.rows"


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
    size = job.params.get("batch_size") or cfg["ENRICHMENT_BATCH_SIZE"]
    commit_rows = size * max(1, cfg["INGEST_CHUNK_ROWS"] // size)
    done = _rows_written(job.id)
    upload = db.session.get(Upload, job.params["upload_id"])
    dialect = csvfiles.Dialect(
        encoding=job.params["encoding"],
        delimiter=job.params["delimiter"],
        has_bom=job.params.get("has_bom", False),
    )
    chunks = csvfiles.iter_chunks(
        csvfiles.table_path(upload.stored_path, job.params.get("sheet")),
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
        job_id = self.run.job_id
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
