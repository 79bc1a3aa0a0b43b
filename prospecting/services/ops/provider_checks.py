"""`flask providers check`: call each provider once and say whether it answers.

Every provider is covered: the global ones (Reacher, Apollo, ReachStream, Attestr,
the sender) and, per workspace, Unipile (its parameters route) and Airtable (a
one-record list). Each check says whether it costs credits; those that do run only
with `spend=True`. In production a provider still pointing at the sandbox is "not
configured" and counts as a failure.
"""

import importlib
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.providers import settings as provider_settings
from prospecting.services.errors import NotFound

SAMPLE_CIN = "U74999TG2017PTC118280"  # Attestr's documented sample


@dataclass
class ProviderCheck:
    name: str
    ok: bool
    detail: str
    ms: int = 0
    costs: bool = False  # the check itself may be charged
    skipped: bool = False  # a billable check left out (no --spend)
    not_configured: bool = False

    @property
    def state(self) -> str:
        if self.not_configured:
            return "NOT SET"
        if self.skipped:
            return "skip"
        return "ok" if self.ok else "ERROR"


@dataclass(frozen=True)
class Check:
    name: str
    costs: bool
    run: Callable[[], str]


def _check_emails() -> str:
    from prospecting.providers import emails

    verdict = emails.verify("provider-check@example.com")
    return f"answered ({verdict.verdict}); one check charged"


def _check_companies() -> str:
    from prospecting.providers import companies
    from prospecting.providers.errors import ProviderNotFound

    try:
        company = companies.enrich("example.com")
    except ProviderNotFound:
        return "answered (no data for example.com); one enrichment charged"
    return f"answered ({company.name or 'a company'}); one enrichment charged"


def _check_reachstream() -> str:
    from prospecting.providers import reachstream

    return f"{reachstream.credits()} credits left (the credits call is free)"


def _check_attestr() -> str:
    from prospecting.providers import attestr
    from prospecting.providers.errors import ProviderNotFound

    try:
        data = attestr.fetch_contacts(SAMPLE_CIN, max_contacts=1)
    except ProviderNotFound:
        return f"answered (no data for {SAMPLE_CIN}); one lookup charged"
    return f"answered ({data.total} contacts for {SAMPLE_CIN}); one lookup charged"


def _check_sender() -> str:
    from prospecting.providers import http
    from prospecting.providers import sender

    cfg = current_app.config
    response = http.request(
        sender.PROVIDER,
        "GET",
        f"{cfg['OUTREACH_SENDER_URL']}/messages",
        endpoint="messages.check",
        label=sender.LABEL,
        passthrough=(404, 405),
        headers={"Authorization": f"Bearer {cfg['OUTREACH_SENDER_KEY']}"},
    )
    return f"reachable (HTTP {response.status_code}); no message sent"


GLOBAL_CHECKS = (
    Check("emails", True, _check_emails),
    Check("companies", True, _check_companies),
    Check("reachstream", False, _check_reachstream),
    Check("attestr", True, _check_attestr),
    Check("sender", False, _check_sender),
)


def _unipile_checks() -> list[Check]:
    """One free check per workspace with a LinkedIn account: its parameters route."""
    from prospecting.models import LinkedInAccount
    from prospecting.providers import unipile
    from prospecting.services.prospects import account as accounts

    checks = []
    for row in db.session.scalars(select(LinkedInAccount)):

        def run(row=row) -> str:
            found = unipile.parameters(
                accounts.credentials(row), keywords="London", limit=1
            )
            return f"answered ({len(found)} location for 'London'; free)"

        checks.append(Check(f"unipile:{row.workspace_id}", False, run))
    return checks


def _airtable_checks() -> list[Check]:
    """One free check per workspace with Airtable settings: a one-record list."""
    from prospecting.models import AirtableSettings
    from prospecting.providers import airtable
    from prospecting.services.contacts import airtable_settings

    checks = []
    for row in db.session.scalars(select(AirtableSettings)):
        if not row.token_encrypted or not row.base_id:
            continue

        def run(workspace_id=row.workspace_id) -> str:
            conn = airtable_settings.connection(workspace_id)
            first = airtable.first_record(conn.token, conn.base_id, conn.contacts_table)
            what = "one record" if first else "no record"
            return f"answered ({what} in {conn.contacts_table}; free)"

        checks.append(Check(f"airtable:{row.workspace_id}", False, run))
    return checks


def _module_checks(known: set[str]) -> list[Check]:
    """Other provider modules' own `check()` (and `CHECK_COSTS`, default True)."""
    import prospecting.providers as package

    checks = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in known:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        check = getattr(module, "check", None)
        if callable(check):
            costs = bool(getattr(module, "CHECK_COSTS", True))
            checks.append(Check(info.name, costs, check))
    return checks


def provider_checks() -> list[Check]:
    """Every check: the global providers, then per workspace, then modules'."""
    checks = list(GLOBAL_CHECKS) + _unipile_checks() + _airtable_checks()
    known = {c.name for c in GLOBAL_CHECKS} | {"unipile", "airtable"}
    return checks + _module_checks(known)


def not_configured_providers() -> list[str]:
    """Why each provider production cannot use is not configured (empty outside
    production)."""
    return list(provider_settings.not_configured(current_app.config).values())


def check_providers(
    only: str | None = None, *, spend: bool = False
) -> list[ProviderCheck]:
    """Call each provider once and report ok or the error; a check that costs
    credits runs only when `spend` is set, one not configured is not called."""
    missing = provider_settings.not_configured(current_app.config)
    results = []
    for check in provider_checks():
        if only and check.name != only and check.name.split(":")[0] != only:
            continue
        base = check.name.split(":")[0]
        if base in missing:
            results.append(
                ProviderCheck(
                    check.name,
                    False,
                    missing[base],
                    costs=check.costs,
                    not_configured=True,
                )  # fmt: skip
            )
            continue
        if check.costs and not spend:
            results.append(
                ProviderCheck(
                    check.name,
                    True,
                    "costs credits: run with --spend to call it",
                    costs=True,
                    skipped=True,
                )  # fmt: skip
            )
            continue
        results.append(_run(check))
    if only and not results:
        raise NotFound(f"No configured provider named '{only}'.")
    return results


def _run(check: Check) -> ProviderCheck:
    started = time.perf_counter()
    try:
        detail, ok = str(check.run() or "ok"), True
    except Exception as exc:  # a check reports every failure, it never raises
        detail = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        ok = False
    ms = int((time.perf_counter() - started) * 1000)
    return ProviderCheck(check.name, ok, detail, ms, costs=check.costs)
