"""A job's counts as its row keeps them: items by outcome, cost, calls and cache
hits. Pages read these instead of counting a job's items or summing its call log,
so they cost the same for a job of a thousand items or of a million.

Items are counted as batches write them (`Run.count`) and when they complete
(`Done`), in the transaction that writes them; the cost, calls and cache hits
as the call log and cache hits are written (metering.books). Re-running a job's
failures counts its rows once again, there (enrichment.rerun_failed).
"""

from dataclasses import dataclass
from decimal import Decimal

from prospecting.models import Job


@dataclass(frozen=True)
class Counts:
    total: int
    done: int
    success: int
    failed: int
    pending: int
    cost: Decimal
    calls: int
    cache_hits: int
    # Items a cancelled job will never work (its "pending" ones, once it ended).
    cancelled: int = 0

    def by_status(self) -> dict[str, int]:
        """The item counts by status, leaving out the empty ones."""
        counts = {
            "success": self.success,
            "failed": self.failed,
            "pending": self.pending,
            "cancelled": self.cancelled,
        }
        return {status: n for status, n in counts.items() if n}


def counts(job: Job) -> Counts:
    """A job's counts, from its row alone (no query when the job is loaded)."""
    done = job.progress_current or 0
    remaining = max(0, (job.progress_total or 0) - done)
    cancelled = remaining if job.status == "cancelled" else 0
    return Counts(
        total=job.progress_total or 0,
        done=done,
        success=job.success_count or 0,
        failed=job.failed_count or 0,
        pending=remaining - cancelled,
        cancelled=cancelled,
        cost=Decimal(job.cost or 0),
        calls=job.call_count or 0,
        cache_hits=job.cache_hit_count or 0,
    )
