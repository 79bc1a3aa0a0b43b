"""The cost of an upload's run, estimated before it starts from its first rows."""

from dataclasses import dataclass

from email_validator import EmailNotValidError
from email_validator import validate_email
from flask import current_app

from prospecting.models import Upload
from prospecting.providers import companies
from prospecting.providers import emails
from prospecting.services import cache
from prospecting.services import csvfiles
from prospecting.services import ledger
from prospecting.services.enrichment.worker import company_domain


@dataclass
class CostEstimate:
    rows: int  # data rows in the file (approximate when only a sample was read)
    sampled: int
    exact: bool
    estimate: ledger.Estimate


def estimate_cost(upload: Upload, pv: csvfiles.Preview) -> CostEstimate:
    """Rows × calls × price, less answers already cached, from the file's first rows.

    Reads up to COST_ESTIMATE_SAMPLE_ROWS rows, counts the distinct addresses and
    domains that would be sent and those the cache already holds, and scales the
    figures to the whole file by its line count.
    """
    limit = current_app.config["COST_ESTIMATE_SAMPLE_ROWS"]
    emails_seen, domains_seen = set(), set()
    email_calls = company_calls = sampled = 0
    truncated = False
    rows = csvfiles.iter_rows(
        upload.stored_path,
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
            email = _normalised(fields["email"])
            if email is None or email.lower() in emails_seen:
                continue
            emails_seen.add(email.lower())
            email_calls += 1
            domain = company_domain(fields["website"], email)
            if domain and domain not in domains_seen:
                domains_seen.add(domain)
                company_calls += 1
    except csvfiles.CsvError:
        pass  # the estimate covers the readable part; the run reports the error
    total = max(_data_lines(upload.stored_path), sampled) if truncated else sampled
    scale = total / sampled if sampled else 0
    email_hits = cache.count_cached(emails.PROVIDER, emails_seen)
    domain_hits = cache.count_cached(companies.PROVIDER, domains_seen)
    lines = [
        ("Email checks", emails.PROVIDER, emails.ENDPOINT,
         round(email_calls * scale), round(email_hits * scale)),
        ("Company look-ups", companies.PROVIDER, companies.ENDPOINT,
         round(company_calls * scale), round(domain_hits * scale)),
    ]  # fmt: skip
    return CostEstimate(
        rows=total,
        sampled=sampled,
        exact=not truncated,
        estimate=ledger.estimate(lines),
    )


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
