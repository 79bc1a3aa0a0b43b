"""Provider health (calls, errors, 429s, latency percentiles) and throughput per
minute, from the provider call log and finished batches."""

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import ProviderCall
from prospecting.models.base import utcnow


@dataclass
class ProviderHealth:
    provider: str
    calls: int
    errors: int
    rate_limited: int
    waits: int = 0  # polls answered "not ready yet" (not errors)
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


# The call log's word for a poll answered "not ready yet" (ReachStream's 400
# "still being processed"): a wait, not an error.
WAITING = "waiting"


def _is_wait():
    return ProviderCall.error == WAITING


def _is_error():
    # No answer at all, or an error status; a 404 is a valid "no data" answer, and
    # a poll told to wait is a wait.
    return or_(
        ProviderCall.status_code.is_(None),
        (ProviderCall.status_code >= 400)
        & (ProviderCall.status_code != 404)
        & ((ProviderCall.error.is_(None)) | (ProviderCall.error != WAITING)),
    )


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear-interpolated percentile of sorted values (as percentile_cont)."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def provider_health(
    *, workspace_id: int | None = None, minutes: int = 60, now: datetime | None = None
) -> list[ProviderHealth]:
    """Per provider over the window: calls, errors, 429s, p50 and p95 latency; of
    one workspace's jobs, or of every call (workspace_id None: operators only)."""
    since = (now or utcnow()) - timedelta(minutes=minutes)
    scope = [ProviderCall.created_at >= since]
    if workspace_id is not None:
        # Calls without a job (provider checks, sandbox pings) belong to no workspace.
        scope.append(
            ProviderCall.job_id.in_(
                select(Job.id).where(Job.workspace_id == workspace_id)
            )
        )
    rows = db.session.execute(
        select(
            ProviderCall.provider,
            func.count(),
            func.sum(case((_is_error(), 1), else_=0)),
            func.sum(case((ProviderCall.status_code == 429, 1), else_=0)),
            func.sum(case((_is_wait(), 1), else_=0)),
        )
        .where(*scope)
        .group_by(ProviderCall.provider)
        .order_by(ProviderCall.provider)
    ).all()
    health = {
        p: ProviderHealth(
            provider=p, calls=n, errors=e or 0, rate_limited=r or 0, waits=w or 0
        )
        for p, n, e, r, w in rows
    }
    for provider, p50, p95 in _latency_percentiles(scope):
        if provider in health:
            health[provider].p50_ms = p50
            health[provider].p95_ms = p95
    return list(health.values())


def _latency_percentiles(scope: list) -> list[tuple[str, float | None, float | None]]:
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(
            select(
                ProviderCall.provider,
                func.percentile_cont(0.5).within_group(ProviderCall.latency_ms),
                func.percentile_cont(0.95).within_group(ProviderCall.latency_ms),
            )
            .where(*scope)
            .group_by(ProviderCall.provider)
        ).all()
        return [(p, float(a), float(b)) for p, a, b in rows]
    latencies: dict[str, list[float]] = {}
    for provider, latency in db.session.execute(
        select(ProviderCall.provider, ProviderCall.latency_ms)
        .where(*scope)
        .order_by(ProviderCall.provider, ProviderCall.latency_ms)
    ):
        latencies.setdefault(provider, []).append(float(latency))
    return [(p, percentile(v, 0.5), percentile(v, 0.95)) for p, v in latencies.items()]


@dataclass
class Throughput:
    minutes: list[int] = field(default_factory=list)  # bucket starts, epoch seconds
    items: list[int] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)

    @property
    def total_items(self) -> int:
        return sum(self.items)

    @property
    def total_calls(self) -> int:
        return sum(self.calls)

    def as_dict(self) -> dict:
        return {"minutes": self.minutes, "items": self.items, "calls": self.calls}


def _minute(column):
    if db.engine.dialect.name == "postgresql":
        return func.date_trunc("minute", column)
    return func.strftime("%Y-%m-%d %H:%M", column)


def _as_minute(value) -> datetime:
    if isinstance(value, str):
        return datetime.strptime(value, "%Y-%m-%d %H:%M")
    return value.replace(second=0, microsecond=0, tzinfo=None)


def throughput(
    *,
    workspace_id: int,
    job_id: str | None = None,
    minutes: int = 60,
    now: datetime | None = None,
) -> Throughput:
    """Items finished (by done batches) and provider calls per minute, oldest first."""
    now = (now or utcnow()).replace(second=0, microsecond=0)
    start = now - timedelta(minutes=minutes - 1)
    items_by = _per_minute(
        JobBatch.updated_at,
        func.sum(JobBatch.success_count + JobBatch.failed_count),
        [JobBatch.status == "done", JobBatch.updated_at >= start],
        job_column=JobBatch.job_id,
        workspace_id=workspace_id,
        job_id=job_id,
    )
    calls_by = _per_minute(
        ProviderCall.created_at,
        func.count(),
        [ProviderCall.created_at >= start],
        job_column=ProviderCall.job_id,
        workspace_id=workspace_id,
        job_id=job_id,
    )
    result = Throughput()
    for i in range(minutes):
        minute = start + timedelta(minutes=i)
        result.minutes.append(int((minute - datetime(1970, 1, 1)).total_seconds()))
        result.items.append(int(items_by.get(minute, 0)))
        result.calls.append(int(calls_by.get(minute, 0)))
    return result


def _per_minute(
    column, measure, filters, *, job_column, workspace_id: int, job_id: str | None
) -> dict[datetime, int]:
    bucket = _minute(column)
    stmt = select(bucket, measure).where(*filters).group_by(bucket)
    if job_id is not None:
        stmt = stmt.where(job_column == job_id)
    else:
        stmt = stmt.join(Job, Job.id == job_column).where(
            Job.workspace_id == workspace_id
        )
    return {_as_minute(m): n or 0 for m, n in db.session.execute(stmt)}
