"""Maintenance from the CLI: purging old finished jobs, and checking that each
configured provider answers."""

import importlib
import pkgutil
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models.base import utcnow
from prospecting.models.jobs import TERMINAL_JOB_STATUSES
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

AGE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
AGE_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_age(value: str) -> timedelta:
    """'30d', '12h' or '90m' as a timedelta; InvalidInput otherwise."""
    match = AGE.match(value or "")
    if not match or int(match.group(1)) <= 0:
        raise InvalidInput(
            f"'{value}' is not an age: use a positive number with d, h or m "
            "(e.g. 30d, 12h, 90m)."
        )
    return timedelta(**{AGE_UNITS[match.group(2)]: int(match.group(1))})


def purge_jobs(older_than: timedelta, *, dry_run: bool = False) -> int:
    """Delete finished jobs older than the age, with their enrichment rows and
    pages (which carry no foreign key, see EnrichmentRow); other rows go by the FK
    cascade."""
    cutoff = utcnow() - older_than
    finished = Job.status.in_(TERMINAL_JOB_STATUSES) & (
        func.coalesce(Job.completed_at, Job.created_at) < cutoff
    )
    ids = list(db.session.scalars(select(Job.id).where(finished)))
    if dry_run or not ids:
        return len(ids)
    db.session.execute(delete(EnrichmentRow).where(EnrichmentRow.job_id.in_(ids)))
    db.session.execute(delete(EnrichmentPage).where(EnrichmentPage.job_id.in_(ids)))
    db.session.execute(delete(Job).where(Job.id.in_(ids)))
    db.session.commit()
    return len(ids)


@dataclass
class ProviderCheck:
    name: str
    ok: bool
    detail: str
    ms: int = 0


def _check_emails() -> str:
    from prospecting.providers import emails

    verdict = emails.verify("provider-check@example.com")
    return f"answered ({verdict.verdict})"


def _check_companies() -> str:
    from prospecting.providers import companies
    from prospecting.providers.errors import ProviderNotFound

    try:
        company = companies.enrich("example.com")
    except ProviderNotFound:
        return "answered (no data for example.com)"
    return f"answered ({company.name or 'a company'})"


def _check_reachstream() -> str:
    from prospecting.providers import reachstream

    return f"{reachstream.credits()} credits left"


# (name, config key that must be set, check) for providers that need no per-workspace
# credentials; a provider module may also expose its own `check()` returning a note.
BUILTIN_CHECKS: list[tuple[str, str, Callable[[], str]]] = [
    ("emails", "EMAIL_VERIFIER_URL", _check_emails),
    ("companies", "COMPANY_ENRICHER_URL", _check_companies),
    ("reachstream", "REACHSTREAM_URL", _check_reachstream),
]


def provider_checks() -> list[tuple[str, Callable[[], str]]]:
    """The configured provider checks, built-in first, then modules' check()."""
    cfg = current_app.config
    checks = [(name, fn) for name, key, fn in BUILTIN_CHECKS if cfg.get(key)]
    import prospecting.providers as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        check = getattr(module, "check", None)
        if callable(check) and not any(n == info.name for n, _ in checks):
            checks.append((info.name, check))
    return checks


def check_providers(only: str | None = None) -> list[ProviderCheck]:
    """Call each configured provider once and report ok or the error."""
    results = []
    for name, check in provider_checks():
        if only and name != only:
            continue
        started = time.perf_counter()
        try:
            detail, ok = str(check() or "ok"), True
        except Exception as exc:  # a check reports every failure, it never raises
            detail, ok = (
                getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}",
                False,
            )
        ms = int((time.perf_counter() - started) * 1000)
        results.append(ProviderCheck(name=name, ok=ok, detail=detail, ms=ms))
    if only and not results:
        raise NotFound(f"No configured provider named '{only}'.")
    return results
