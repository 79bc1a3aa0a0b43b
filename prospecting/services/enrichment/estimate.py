"""The cost of an upload's run, estimated before it starts from its first rows."""

from dataclasses import dataclass

from email_validator import EmailNotValidError
from email_validator import validate_email
from flask import current_app

from prospecting.models import Upload
from prospecting.providers import adapters
from prospecting.services import cache
from prospecting.services import csvfiles
from prospecting.services import ledger
from prospecting.services.enrichment.worker import company_domain
from prospecting.services.enrichment.worker import wants_finder
from prospecting.services.finder import provider_order
from prospecting.services.finder import waterfall
from prospecting.services.finder.bulk import EXPECTED_CANDIDATES
from prospecting.services.finder.bulk import PATTERN_MISS_RATE


@dataclass
class CostEstimate:
    rows: int  # data rows in the file (approximate when only a sample was read)
    sampled: int
    exact: bool
    estimate: ledger.Estimate


def estimate_cost(
    upload: Upload, pv: csvfiles.Preview, options: dict | None = None
) -> CostEstimate:
    """Rows × calls × price, less answers already cached, from the file's first rows.

    Reads up to COST_ESTIMATE_SAMPLE_ROWS rows, counts the distinct addresses and
    domains that would be sent and those the cache already holds, and scales the
    figures to the whole file by its line count. Only the rows that will run are
    counted (options: the finder's rows, the company look-up only where the
    company field is empty), and each field's providers after the first are
    counted for the share the ones before them are expected to miss.
    """
    options = options or {}
    limit = current_app.config["COST_ESTIMATE_SAMPLE_ROWS"]
    emails_seen, domains_seen = set(), set()
    email_calls = company_calls = sampled = finder_rows = 0
    truncated = False
    path = pv.path or upload.stored_path
    rows = csvfiles.iter_rows(
        path,
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
            if options.get("find_emails") and wants_finder(fields):
                finder_rows += 1
                continue
            email = _normalised(fields["email"])
            if email is None or email.lower() in emails_seen:
                continue
            emails_seen.add(email.lower())
            email_calls += 1
            domain = company_domain(fields["website"], email)
            if options.get("company_if_empty") and fields["company"].strip():
                continue
            if domain and domain not in domains_seen:
                domains_seen.add(domain)
                company_calls += 1
    except csvfiles.CsvError:
        pass  # the estimate covers the readable part; the run reports the error
    total = max(_data_lines(path), sampled) if truncated else sampled
    scale = total / sampled if sampled else 0
    workspace_id = upload.workspace_id
    verify_order = provider_order(workspace_id, "email_verification")
    company_order = provider_order(workspace_id, "company")
    # What the cache answers for the first provider asked.
    email_hits = cache.count_cached(
        adapters.ordered("email_verification", verify_order)[0].provider, emails_seen
    )
    domain_hits = cache.count_cached(
        adapters.ordered("company", company_order)[0].provider, domains_seen
    )
    checks = email_calls + finder_rows * EXPECTED_CANDIDATES
    lines = _waterfall_lines(
        "Email checks", "email_verification", verify_order,
        checks * scale, email_hits * scale,
    )  # fmt: skip
    lines += _waterfall_lines(
        "Company look-ups", "company", company_order,
        company_calls * scale, domain_hits * scale,
    )  # fmt: skip
    if finder_rows:
        others = [n for n in provider_order(workspace_id, "email_finding")
                  if n != "patterns"]  # fmt: skip
        lines += _waterfall_lines(
            "Email searches", "email_finding", others,
            finder_rows * PATTERN_MISS_RATE * scale, 0,
        )  # fmt: skip
    return CostEstimate(
        rows=total,
        sampled=sampled,
        exact=not truncated,
        estimate=ledger.estimate(lines),
    )


def _waterfall_lines(label, field_name, order, calls, cached) -> list[tuple]:
    """One estimate line per provider of a field: the first gets every call (less
    what the cache answers, counted against the first provider's price), each
    next one the share expected to fall through (WATERFALL_MISS_RATES)."""
    out = []
    for i, (adapter, reaching) in enumerate(
        waterfall.expected_calls(field_name, order, round(calls))
    ):
        name = label if i == 0 else f"{label}, falling through to {adapter.label}"
        hits = round(cached) if i == 0 else 0
        out.append((name, adapter.provider, adapter.endpoint, round(reaching), hits))
    return out


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
