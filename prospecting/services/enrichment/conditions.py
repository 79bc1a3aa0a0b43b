"""Conditional re-runs of a finished CSV enrichment: which of its rows run again
(only unknown verdicts, only verifications older than N days, only rows whose
enriched field is empty; by default its failed and never-worked rows) and what
that costs, counting only those rows."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models.base import utcnow
from prospecting.providers import adapters
from prospecting.services import cache
from prospecting.services import ledger
from prospecting.services.enrichment.estimate import CostEstimate
from prospecting.services.enrichment.estimate import _waterfall_lines
from prospecting.services.errors import InvalidInput
from prospecting.services.finder import provider_order

# "Only rows where this field is empty": the enriched column that stays empty.
EMPTY_FIELDS = {
    "company": EnrichmentRow.company_name,
    "phone": EnrichmentRow.phone_e164,
    "verdict": EnrichmentRow.email_verdict,
}
MAX_DAYS = 3650


@dataclass(frozen=True)
class RerunConditions:
    """Which rows of a finished job run again; none set: the failed ones."""

    only_unknown: bool = False
    older_than_days: int | None = None
    empty_field: str | None = None

    @property
    def any(self) -> bool:
        return bool(
            self.only_unknown or self.older_than_days is not None or self.empty_field
        )

    @property
    def fresh(self) -> bool:
        """Whether the verifier is asked again rather than its cached answer:
        an unknown or stale verdict is what the cache holds."""
        return self.only_unknown or self.older_than_days is not None

    def as_params(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)}

    def describe(self) -> str:
        parts = []
        if self.only_unknown:
            parts.append("emails whose verdict is unknown")
        if self.older_than_days is not None:
            parts.append(f"verified more than {self.older_than_days} days ago")
        if self.empty_field:
            parts.append(f"whose {self.empty_field} is empty")
        return "rows " + " and ".join(parts) if parts else "failed rows"


def rerun_conditions(
    only_unknown=False, older_than_days=None, empty_field=None
) -> RerunConditions:
    """Conditions from a form or a request; InvalidInput naming the bad field."""
    days = None
    if older_than_days not in (None, ""):
        text = str(older_than_days).strip()
        if not text.isdigit() or int(text) > MAX_DAYS:
            raise InvalidInput(
                f"older_than_days: a whole number of days from 0 to {MAX_DAYS}.",
                code="bad_days",
                details={"field": "older_than_days"},
            )
        days = int(text)
    if empty_field in ("", None):
        empty_field = None
    elif empty_field not in EMPTY_FIELDS:
        raise InvalidInput(
            f"empty_field must be one of {', '.join(EMPTY_FIELDS)}.",
            code="bad_empty_field",
            details={"field": "empty_field"},
        )
    return RerunConditions(bool(only_unknown), days, empty_field)


def selected(job_id: str, conditions: RerunConditions) -> list[ColumnElement[bool]]:
    """The conditions on a job's rows that pick the ones to run again."""
    where = [EnrichmentRow.job_id == job_id]
    if not conditions.any:
        return [*where, EnrichmentRow.status.in_(("failed", "pending"))]
    where.append(EnrichmentRow.status != "pending")
    if conditions.only_unknown:
        where.append(EnrichmentRow.email_verdict == "unknown")
    if conditions.older_than_days is not None:
        cutoff = utcnow() - timedelta(days=conditions.older_than_days)
        where.append(EnrichmentRow.processed_at < cutoff)
    if conditions.empty_field:
        where.append(EMPTY_FIELDS[conditions.empty_field].is_(None))
    return where


def rerun_estimate(job: Job, conditions: RerunConditions) -> CostEstimate:
    """The cost of re-running the rows the conditions pick, and only those: their
    distinct addresses (fresh when the verdict is asked again, else less what the
    cache answers) and domains, down each field's waterfall. Rows a cancelled job
    never took into rows (still in pages) are not counted."""
    where = selected(job.id, conditions)
    rows = db.session.scalar(select(func.count()).where(*where)) or 0
    emails = set(
        db.session.scalars(
            select(func.lower(EnrichmentRow.email_normalized))
            .where(*where, EnrichmentRow.email_normalized.is_not(None))
            .distinct()
        )
    )
    domains = set(
        db.session.scalars(
            select(EnrichmentRow.company_domain)
            .where(*where, EnrichmentRow.company_domain.is_not(None))
            .distinct()
        )
    )
    workspace_id = job.workspace_id
    verify_order = provider_order(workspace_id, "email_verification")
    company_order = provider_order(workspace_id, "company")
    first_verifier = adapters.ordered("email_verification", verify_order)[0].provider
    first_company = adapters.ordered("company", company_order)[0].provider
    email_hits = 0 if conditions.fresh else cache.count_cached(first_verifier, emails)
    domain_hits = cache.count_cached(first_company, domains)
    lines = _waterfall_lines(
        "Email checks", "email_verification", verify_order, len(emails), email_hits
    )
    lines += _waterfall_lines(
        "Company look-ups", "company", company_order, len(domains), domain_hits
    )
    return CostEstimate(
        rows=rows, sampled=rows, exact=True, estimate=ledger.estimate(lines)
    )
