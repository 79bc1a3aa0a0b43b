"""The email finder: a person's address from their name and their company.

The domain comes from the input, else from the book's company of that name,
else from the company enricher (a provider that matches names). Then the
finding providers are asked in the workspace's order: "patterns" builds the
candidates (the pattern the domain's verified contacts use first) and verifies
them in order through the verification waterfall, stopping at the first valid
one; on a catch-all domain it returns the best-ranked candidate as risky without
spending more. Hunter's Email Finder is the next provider when the patterns find
nothing.
"""

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models.base import utcnow
from prospecting.providers import adapters
from prospecting.providers.errors import ProviderError
from prospecting.providers.hunter import FoundEmail
from prospecting.services import cache
from prospecting.services import jobs
from prospecting.services.errors import InvalidInput
from prospecting.services.finder import patterns
from prospecting.services.finder import waterfall
from prospecting.services.finder.settings import PATTERNS
from prospecting.services.finder.settings import provider_order

KIND = "email_finder"
ZERO = metering.ZERO


@dataclass
class FinderResult:
    email: str | None = None
    verdict: str = "not_found"  # valid | risky | not_found
    confidence: int = 0
    pattern: str | None = None
    provider: str | None = None
    cost: Decimal = ZERO
    candidates_tried: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    domain: str | None = None
    provenance: dict | None = None

    def to_dict(self) -> dict:
        return {
            "email": self.email,
            "verdict": self.verdict,
            "confidence": self.confidence,
            "pattern": self.pattern,
            "provider": self.provider,
            "cost": float(self.cost),
            "candidates_tried": self.candidates_tried,
            "flags": self.flags,
            "domain": self.domain,
        }


def clean_domain(value: str | None) -> str | None:
    """A bare host from a domain or website ("https://www.acme.com/x" → acme.com)."""
    raw = (value or "").strip().lower()
    if not raw:
        return None
    host = urlsplit(raw if "//" in raw else f"//{raw}").hostname or ""
    host = host.removeprefix("www.")
    return host if "." in host else None


def find_email(
    workspace_id: int,
    *,
    first_name: str = "",
    last_name: str = "",
    full_name: str = "",
    domain: str | None = None,
    company: str | None = None,
) -> FinderResult:
    """Find one person's address (provider calls go to the current job's books)."""
    first, last = validate(first_name, last_name, full_name, domain, company)
    result = FinderResult(domain=clean_domain(domain))
    if result.domain is None:
        result.domain = _resolve_domain(workspace_id, company.strip(), result)
        if result.domain is None:
            return result
    for name in provider_order(workspace_id, "email_finding"):
        if name == PATTERNS:
            found = _by_patterns(workspace_id, first, last, result)
        else:
            found = _by_provider(name, first, last, result)
        if found:
            break
    return result


def validate(first_name, last_name, full_name, domain, company) -> tuple[str, str]:
    """(first, last) of a lookup's person; InvalidInput naming what is missing."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if not (first and last) and full_name:
        first, last = patterns.split_name(full_name)
    if not patterns.slug(first):
        raise InvalidInput(
            "Give first_name and last_name (or full_name).", code="missing_name"
        )
    if domain and not clean_domain(domain):
        raise InvalidInput(f"{domain!r} is not a domain.", code="bad_domain")
    if not clean_domain(domain) and not (company or "").strip():
        raise InvalidInput(
            "Give the company's domain or its name.", code="missing_domain"
        )
    return first, last


def _resolve_domain(workspace_id: int, company: str, result: FinderResult):
    known = db.session.scalar(
        select(Company.domain)
        .where(Company.workspace_id == workspace_id)
        .where(func.lower(Company.name) == company.lower())
        .where(Company.domain.is_not(None))
        .limit(1)
    )
    if known:
        return known
    # Only a provider that matches names can (People Data Labs): after the
    # workspace's own order, whichever can.
    order = provider_order(workspace_id, "company")
    order += [n for n in adapters.names("company") if n not in order]
    answer = waterfall.company_by_name(company, order)
    result.cost += answer.total_cost
    return answer.value.domain if answer.value is not None else None


def _by_patterns(workspace_id, first, last, result: FinderResult) -> bool:
    known = patterns.book_patterns(workspace_id, result.domain)
    ranked = patterns.candidates(first, last, result.domain, known)
    ranked = ranked[: current_app.config["EMAIL_FINDER_MAX_CANDIDATES"]]
    order = provider_order(workspace_id, "email_verification")
    for position, (pattern, email) in enumerate(ranked):
        answer = waterfall.verify(email, order)
        result.candidates_tried.append(email)
        result.cost += answer.total_cost
        verdict = answer.value
        if verdict is None:
            continue
        from_book = bool(known) and pattern == known[0]
        if "catch_all" in verdict.flags:
            # Every candidate would pass: the best-ranked one, at no further cost.
            best_pattern, best = ranked[0]
            _answer(result, best, "risky", 50 if from_book else 30, best_pattern)
            result.flags, result.provider = ["catch_all"], answer.provider
            result.provenance = answer.provenance()
            return True
        if verdict.verdict == "valid":
            confidence = 97 if from_book else max(70, 92 - 4 * position)
            _answer(result, email, "valid", confidence, pattern)
            result.flags, result.provider = list(verdict.flags), answer.provider
            result.provenance = answer.provenance()
            return True
    return False


def _answer(result, email, verdict, confidence, pattern) -> None:
    result.email, result.verdict = email, verdict
    result.confidence, result.pattern = confidence, pattern


def _by_provider(name: str, first: str, last: str, result: FinderResult) -> bool:
    adapter = adapters.get("email_finding", name)
    if not adapter.configured():
        return False
    key = f"find:{patterns.slug(first)}|{patterns.slug(last)}|{result.domain}"
    answer = waterfall.Answer(at=utcnow().isoformat() + "Z")
    hit = cache.get(adapter.provider, key)
    cost = ZERO
    if hit is not cache.MISSING:
        metering.record_cache_hit(adapter.provider, adapter.endpoint)
        found = FoundEmail(**hit) if hit else None
        outcome = "cached"
    else:
        cost = metering.price(adapter.provider, adapter.endpoint)
        try:
            found = adapter.call(first, last, result.domain)
            outcome = "answered"
        except ProviderError as exc:
            if isinstance(exc, waterfall.PASS_THROUGH):
                raise
            found, outcome = None, "not_found"
        cache.put(adapter.provider, key, found.__dict__.copy() if found else None)
    answer.tried.append({"provider": name, "outcome": outcome, "cost": str(cost)})
    result.cost += cost
    if found is None or found.verdict == "invalid":
        return False
    local = found.email.rsplit("@", 1)[0]
    verdict = "valid" if found.verdict == "valid" else "risky"
    _answer(
        result,
        found.email,
        verdict,
        found.score or 50,
        patterns.detect(local, first, last),
    )
    result.flags, result.provider = list(found.flags), name
    answer.value, answer.provider, answer.cost, answer.raw = (
        found,
        name,
        cost,
        found.raw,
    )
    result.provenance = answer.provenance()
    return True


def lookup(workspace_id: int, user_id: int | None, **person) -> FinderResult:
    """One synchronous lookup as a job of its own, so its calls are priced,
    logged and held to the job's and the workspace's daily caps; commits.

    Raises ProviderCostCapReached when a cap stops it (the job is failed then).
    """
    validate(*(person.get(k) for k in ("first_name", "last_name", "full_name",
                                       "domain", "company")))  # fmt: skip
    job = jobs.create(
        KIND,
        {"person": person},
        workspace_id=workspace_id,
        user_id=user_id,
        title=f"Email finder: {person.get('full_name') or person.get('first_name')}",
        total=1,
    )
    job.status, job.started_at = "running", utcnow()
    db.session.commit()
    try:
        with metering.job_context(job.id):
            result = find_email(workspace_id, **person)
    except (ProviderError, InvalidInput) as exc:
        db.session.rollback()
        job.status, job.completed_at = "failed", utcnow()
        job.error_message = getattr(exc, "message", str(exc))
        db.session.commit()
        raise
    found = result.email is not None
    job.status, job.completed_at = "completed", utcnow()
    job.progress_current, job.success_count = 1, int(found)
    job.failed_count = int(not found)
    job.params = {**job.params, "result": result.to_dict()}
    db.session.commit()
    return result
