"""A 100k-row enrichment export (spreadsheet CSV, through the export mechanism)
against `COPY … TO STDOUT` of the same rows and columns on PostgreSQL (median of 3
rounds, each timing both; target ≥ 0.5 of COPY), and the peak memory of exporting
1,000 rows and 100,000 rows (flat: the export holds one chunk at a time)."""

import statistics
import time
import tracemalloc
from pathlib import Path

from bench import common

ROWS = 100_000
ROUNDS = 3
HEADERS = ["Name", "Email", "Company", "Phone", "Website"]


def run(tmp: Path = Path("/tmp")) -> dict:
    url = common.fresh_database()
    try:
        app = _app(url)
        with app.app_context():
            small, large = _job(1_000), _job(ROWS)
            ratios, export_s, copy_s = [], [], []
            for _ in range(ROUNDS):
                exported, copied = _export_seconds(large), _copy_seconds(large)
                export_s.append(exported)
                copy_s.append(copied)
                ratios.append(copied / exported)
            peak_small, peak_large = _peak(small), _peak(large)
    finally:
        common.drop_database(url)
    ratio = statistics.median(ratios)
    flat = peak_large <= peak_small * 1.5
    print(
        f"  export {statistics.median(export_s):.3f} s, COPY "
        f"{statistics.median(copy_s):.3f} s (medians of {ROUNDS}); "
        f"{statistics.median(export_s) / ROWS * 1e6:.1f} µs a row"
    )
    print(
        f"  peak memory of the export: 1,000 rows {peak_small / 1e6:.1f} MB, "
        f"{ROWS:,} rows {peak_large / 1e6:.1f} MB ({'flat' if flat else 'NOT flat'})"
    )
    return common.report(
        "CSV export 100,000 rows vs COPY (PostgreSQL)",
        f"{ratio:.2f} of COPY (median of {ROUNDS}), {peak_large / 1e6:.1f} MB",
        ">= 0.5, flat",
        ratio >= 0.5 and flat,
    )


def _app(url: str):
    from prospecting import create_app

    return create_app(None, SQLALCHEMY_DATABASE_URI=url, HUEY_STORAGE="memory")


def _job(rows: int):
    """A completed enrichment job of `rows` processed rows, as the workers leave
    them (every enriched column set)."""
    from sqlalchemy import insert

    from prospecting.extensions import db
    from prospecting.models import EnrichmentRow
    from prospecting.models import Workspace
    from prospecting.models.base import utcnow
    from prospecting.services import jobs

    workspace = db.session.query(Workspace).first()
    if workspace is None:
        workspace = Workspace(name="Bench")
        db.session.add(workspace)
        db.session.flush()
    job = jobs.create(
        "enrichment", {"headers": HEADERS, "filename": "bench.csv"},
        workspace_id=workspace.id, total=rows,
    )  # fmt: skip
    job.status = "completed"
    now = utcnow()
    for start in range(1, rows + 1, 10_000):
        last = min(rows, start + 9_999)
        db.session.execute(
            insert(EnrichmentRow),
            [_row(job.id, n, now) for n in range(start, last + 1)],
        )
    db.session.commit()
    return job


def _export_seconds(job) -> float:
    from prospecting.services import enrichment
    from prospecting.services import exports

    started = time.perf_counter()
    header, rows = enrichment.export_table(job)
    size = 0
    for chunk in exports.stream(header, rows, exports.Options()):
        size += len(chunk.encode())
    return time.perf_counter() - started


def _copy_seconds(job) -> float:
    """COPY of the same rows and columns (the file's fields as their JSON text)."""
    from prospecting.extensions import db
    from prospecting.services.enrichment import EXPORT_COLUMNS

    columns = ", ".join(["data", *EXPORT_COLUMNS])
    sql = (
        f"COPY (SELECT {columns} FROM enrichment_rows WHERE job_id = '{job.id}' "
        "ORDER BY row_number) TO STDOUT WITH (FORMAT csv, HEADER)"
    )
    raw = db.engine.raw_connection()
    try:
        started = time.perf_counter()
        size = 0
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for block in copy:
                size += len(block)
        seconds = time.perf_counter() - started
        raw.rollback()
    finally:
        raw.close()
    return seconds


def _peak(job) -> int:
    from prospecting.services import enrichment
    from prospecting.services import exports

    tracemalloc.start()
    header, rows = enrichment.export_table(job)
    for _ in exports.stream(header, rows, exports.Options()):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _row(job_id: str, n: int, now) -> dict:
    """A processed row as the workers leave it, every enriched column set."""
    email, company = f"person{n}@company{n % 97}.com", f"Company {n % 97}"
    phone = f"+1 415 555 {n % 10000:04d}"
    return {
        "job_id": job_id,
        "row_number": n,
        "data": [f"Person {n}", email, company, phone, ""],
        "name": f"Person {n}",
        "email": email,
        "company": company,
        "phone": phone,
        "status": "success",
        "email_normalized": email,
        "email_valid": n % 5 != 0,
        "email_verdict": "valid" if n % 5 else "risky",
        "email_flags": [] if n % 5 else ["catch_all"],
        "phone_e164": f"+1415555{n % 10000:04d}",
        "company_domain": f"company{n % 97}.com",
        "company_name": company,
        "company_size": "11-50",
        "company_industry": "computer software",
        "location": "Toronto, Ontario, Canada",
        "processed_at": now,
    }
