"""A prospect search's results: pages of its prospects, their count and CSV export."""

from collections.abc import Iterator

from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import Prospect
from prospecting.services import exports

EXPORT_COLUMNS = tuple(c.name for c in exports.tables.PROSPECT_COLUMNS)


def count(job_id: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Prospect).where(Prospect.job_id == job_id)
    )


def prospects_page(job_id: str, *, page: int, per_page: int) -> tuple[list, int]:
    """Page N of a job's prospects in the order they were found, and the total."""
    rows = db.session.scalars(
        select(Prospect)
        .where(Prospect.job_id == job_id)
        .order_by(Prospect.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), count(job_id)


def export_lines(job: Job) -> Iterator[str]:
    """Formula-safe CSV text of the job's prospects."""
    header, rows = exports.tables.prospects(job.id)
    return exports.stream(header, rows, exports.Options())
