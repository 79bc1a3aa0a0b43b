"""The work of a rows batch: verify and enrich its pending rows one by one."""

import functools
import logging
import math
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

import orjson
import phonenumbers
from email_validator import EmailNotValidError
from email_validator import validate_email
from flask import current_app
from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import Integer
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models.base import utcnow
from prospecting.providers import companies
from prospecting.providers import emails
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderCostCapReached
from prospecting.providers.errors import ProviderNotConfigured
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderRateLimited
from prospecting.services import cache
from prospecting.services import csvfiles
from prospecting.services import jobs
from prospecting.services.enrichment.rows import mapped_fields
from prospecting.services.enrichment.rows import take_rows
from prospecting.services.errors import InvalidInput
from prospecting.services.finder import find_email
from prospecting.services.finder import provider_order
from prospecting.services.finder import waterfall

logger = logging.getLogger(__name__)

FREE_MAIL = frozenset(
    "gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com hotmail.com "
    "hotmail.co.uk hotmail.fr outlook.com live.com msn.com aol.com icloud.com me.com "
    "mac.com proton.me protonmail.com gmx.com gmx.de gmx.net web.de mail.com "
    "yandex.com yandex.ru mail.ru qq.com 163.com 126.com zoho.com fastmail.com "
    "hey.com tutanota.com rediffmail.com".split()
)


# A run's options (params["options"]): find the email of rows that have none
# (a name and a company or website), and look up the company only for rows
# whose company field is empty.
OPTIONS = ("find_emails", "company_if_empty")


@dataclass
class RowOptions:
    workspace_id: int | None = None
    verify_order: list[str] | None = None
    company_order: list[str] | None = None
    chosen: dict = field(default_factory=dict)

    def on(self, name: str) -> bool:
        return bool(self.chosen.get(name))


_options: ContextVar[RowOptions | None] = ContextVar("row_options", default=None)


def row_options(job: Job) -> RowOptions:
    """The waterfall orders of the job's workspace and the run's options."""
    return RowOptions(
        workspace_id=job.workspace_id,
        # Resolved once for the batch's rows.
        verify_order=waterfall.resolved(
            "email_verification", provider_order(job.workspace_id, "email_verification")
        ),
        company_order=waterfall.resolved(
            "company", provider_order(job.workspace_id, "company")
        ),
        chosen={
            **((job.params or {}).get("options") or {}),
            # A re-run of unknown or stale verdicts asks the verifier again.
            "fresh_verification": bool(
                ((job.params or {}).get("rerun") or {}).get("fresh")
            ),
        },
    )


def process_rows(run: jobs.Run) -> jobs.Result:
    """Turn the batch's page into rows (an import batch, the first time it is
    taken), then verify and enrich its pending rows; finished rows are skipped.

    The cache entries of the batch's addresses and domains are read in one query
    each; worked rows are written in groups (`run.write_due()`), each group with
    its call log and cache entries in one transaction, and whatever was worked is
    written before the batch stops for any reason (a rate limit, a cap, a cancel):
    a row paid for is never worked twice.
    """
    batch, job_id = run.batch, run.job.id
    in_batch = _in_batch(batch)
    pending = None
    if imported := _row_range(batch):
        taken = take_rows(job_id, *imported)
        # The rows just taken are the batch's pending rows when they are all of
        # them (none was taken before, by an earlier attempt or a reader).
        if len(taken) == imported[1] - imported[0] + 1:
            pending = taken
    job = db.session.get(Job, job_id)
    if pending is None:
        pending = db.session.execute(
            select(EnrichmentRow.row_number, EnrichmentRow.data)
            .where(EnrichmentRow.job_id == job_id, in_batch)
            .where(EnrichmentRow.status == "pending")
            .order_by(EnrichmentRow.row_number)
        ).all()
    headers, mapping = job.params.get("headers", []), job.params.get("mapping", {})
    rows = [
        (number, mapped_fields(csvfiles.as_record(headers, data), mapping))
        for number, data in pending
    ]
    options = row_options(job)
    _read_cache_ahead(rows, options)
    worked: list[dict] = []
    pace = _Pace(len(rows))
    token = _options.set(options)
    try:
        for number, fields in run.each(_while_kept(rows)):
            values = {**_BLANK, **fields, **enrich_row(fields)}
            worked.append({**values, "write_job_id": job_id, "write_row": number})
            pace.done += 1
            if run.write_due():
                _write_rows(run, worked)
                _share_the_rest(run, rows, pace, worked)
            elif pace.done == 1:  # a slow first row need not wait for the write
                _share_the_rest(run, rows, pace, worked)
    except BaseException:
        _keep_what_was_worked(run, worked)
        raise
    finally:
        _options.reset(token)
    _write_rows(run, worked)
    if pace.shared:  # the batch now holds fewer rows
        in_batch = _in_batch(run.batch)
    counts = _batch_counts(job_id, in_batch)
    return jobs.Done(success=counts["success"], failed=counts["failed"])


def _while_kept(rows: list) -> Iterator:
    """The rows one by one, as long as the batch keeps them (a split shortens
    the list while it is worked)."""
    i = 0
    while i < len(rows):
        yield rows[i]
        i += 1


@dataclass
class _Pace:
    """How far a batch is through its rows, and since when."""

    rows: int
    done: int = 0
    since: float = field(default_factory=time.monotonic)
    shared: bool = False  # some of the rows went to new batches

    def seconds_left(self, left: int) -> float:
        return (time.monotonic() - self.since) / max(1, self.done) * left


# A batch gives its rows to at most this many new batches at a time: pieces of
# about BATCH_SPLIT_SECONDS of work each, so that every thread that frees up at
# a job's end finds one (8 pieces left 15 of 24 threads idle while the last
# batch's 96 rows were worked).
SPLIT_PIECES = 32


def _share_the_rest(run: jobs.Run, rows: list, pace: _Pace, worked: list) -> None:
    """Split the batch's rows not yet worked when they would take longer than
    BATCH_SPLIT_SECONDS and no other batch of the job waits: worker threads with
    nothing else to do take the new batches (the batch keeps its share). The rows
    worked so far are written first.

    Without this, a job's last batches run on a few threads while the others
    idle: 49 batches on 24 threads ran one batch alone for a quarter of the job.
    """
    cfg = current_app.config
    least, left = cfg["ENRICHMENT_SPLIT_MIN_ROWS"], rows[pace.done :]
    if not least or len(left) < 2 * least:
        return
    seconds = pace.seconds_left(len(left))
    if seconds < cfg["BATCH_SPLIT_SECONDS"]:
        return
    _write_rows(run, worked)
    if not run.alone():
        return
    pieces = min(
        SPLIT_PIECES,
        len(left) // least,
        math.ceil(seconds / cfg["BATCH_SPLIT_SECONDS"]),
    )
    size = math.ceil(len(left) / pieces)
    # The batch keeps the first piece; its params name only what it keeps.
    starts = list(range(size, len(left), size))
    keep, parts = _cut(run.params, [number for number, _ in left], starts)
    if run.split(keep, parts):
        del rows[pace.done + size :]
        pace.shared = True


def _cut(params: dict, numbers: list[int], starts: list[int]) -> tuple[dict, list]:
    """The params of a batch cut before numbers[s] for each s in starts: what it
    keeps and the new batches' (a range cut at import, or a re-run's row
    numbers). Rows already worked in a range stay in whichever piece holds them;
    each piece counts its rows when it completes."""
    if "row_numbers" in params:
        given = set(numbers[starts[0] :])
        bounds = [*starts, len(numbers)]
        keep = [n for n in params["row_numbers"] if n not in given]
        parts = [
            {"row_numbers": numbers[a:b]}
            for a, b in zip(starts, bounds[1:], strict=True)
        ]
        return {**params, "row_numbers": keep}, parts
    firsts = [numbers[s] for s in starts]
    lasts = [f - 1 for f in firsts[1:]] + [params["last_row"]]
    parts = [
        {"first_row": a, "last_row": b} for a, b in zip(firsts, lasts, strict=True)
    ]
    return {**params, "last_row": firsts[0] - 1}, parts


def _read_cache_ahead(rows: list[tuple[int, dict]], options: RowOptions) -> None:
    """Read the cache entries of the batch's addresses and domains, for every
    provider of their waterfalls (a row that one provider missed asks the next),
    in one query."""
    addresses, domains = set(), set()
    for _, fields in rows:
        email = _normalised(fields["email"])
        if email:
            addresses.add(email.lower())
            domains.add(company_domain(fields["website"], email))
    domains.discard(None)
    wanted: dict[str, set] = {}
    for provider in waterfall.providers("email_verification", options.verify_order):
        wanted.setdefault(provider, set()).update(addresses)
    for provider in waterfall.providers("company", options.company_order):
        wanted.setdefault(provider, set()).update(domains)
    metering.cache_read_ahead_all(wanted)


def _normalised(email: str) -> str | None:
    if not email.strip():
        return None
    return _validated(email.strip())[0]


@functools.lru_cache(maxsize=8192)
def _validated(email: str) -> tuple[str | None, str | None]:
    """The normalised form of an address, or None and why it is not one (the
    read-ahead and the row's own work check each address once)."""
    try:
        return validate_email(email, check_deliverability=False).normalized, None
    except EmailNotValidError as exc:
        return None, str(exc)


def _write_rows(run: jobs.Run, worked: list[dict]) -> None:
    """Write the worked rows (one statement) with their counts, extending the
    lease, and commit."""
    if not worked:
        return
    run.extend()
    _update_rows(worked)
    failed = sum(1 for row in worked if row["status"] == "failed")
    run.count(success=len(worked) - failed, failed=failed)
    db.session.commit()
    worked.clear()


def _update_rows(worked: list[dict]) -> None:
    """Write the worked rows: on PostgreSQL one UPDATE joined to the rows as one
    JSON parameter (the driver dumps one string instead of twenty parameters a
    row, and the server runs one statement); elsewhere one statement a row."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        sql, encoders = _rows_update_pg(tuple(worked[0]))
        try:
            doc = orjson.dumps(
                [{**row, **{k: enc(row[k]) for k, enc in encoders}} for row in worked]
            ).decode()
        except TypeError:  # a value JSON cannot carry as the columns read it
            pass
        else:
            numbers = [row["write_row"] for row in worked]
            conn.exec_driver_sql(
                sql, (doc, worked[0]["write_job_id"], min(numbers), max(numbers))
            )
            return
    db.session.execute(_WRITE_ROW, worked)


@functools.cache
def _rows_update_pg(keys: tuple[str, ...]) -> tuple[str, tuple]:
    """The set-based UPDATE of worked rows with these keys (every row has the
    same), and the Python-side encoders of the values kept as text (JSONText:
    the same text the ORM would write)."""
    dialect = postgresql.dialect()
    columns = [k for k in keys if k not in ("write_job_id", "write_row")]
    record, sets, encoders = [], [], []
    for name in columns:
        type_ = _ROWS.c[name].type
        if isinstance(type_, TypeDecorator):
            encoders.append(
                (name, functools.partial(type_.process_bind_param, dialect=dialect))
            )
            sql_type = "text"
        elif isinstance(type_, JSON):
            sql_type = "jsonb"
        elif isinstance(type_, Boolean):
            sql_type = "boolean"
        elif isinstance(type_, DateTime):
            sql_type = "timestamp"
        elif isinstance(type_, Integer):
            sql_type = "integer"
        else:
            sql_type = "text"
        record.append(f"{name} {sql_type}")
        value = f"v.{name}"
        if sql_type == "jsonb" and not type_.none_as_null:
            # A JSON null arrives as SQL NULL; the ORM writes None as JSON null.
            value = f"COALESCE(v.{name}, 'null'::jsonb)"
        sets.append(f"{name} = {value}")
    sql = (
        f"UPDATE {_ROWS.name} AS r SET {', '.join(sets)} "
        "FROM json_to_recordset(%s::json) AS v(write_row integer, "
        f"{', '.join(record)}) "
        # The job and the span of its rows as index bounds: joined on the JSON's
        # job id (text against the varchar key) and without a range, the planner
        # hashed a sequential scan of the whole table for every write (14 ms a
        # write at 6,000 rows, on a table not yet analysed).
        "WHERE r.job_id = %s AND r.row_number BETWEEN %s AND %s "
        "AND r.row_number = v.write_row AND r.status = 'pending'"
    )
    return sql, tuple(encoders)


def _keep_what_was_worked(run: jobs.Run, worked: list[dict]) -> None:
    """On the way out of a stopped batch, write the rows already worked (their
    calls were made) unless the batch is no longer ours."""
    if not worked:
        return
    try:
        db.session.rollback()
        _write_rows(run, worked)
    except jobs.LeaseLost:
        db.session.rollback()
    except Exception:  # the stop's own cause is what the runner must see
        logger.exception("could not keep the rows worked before the batch stopped")
        db.session.rollback()


# Built once: the SET clause comes from the keys of the values, which every row
# has all of (one statement writes a group of rows).
_ROWS = EnrichmentRow.__table__
_BLANK = dict.fromkeys(
    ("email_normalized", "email_valid", "email_verdict", "email_flags",
     "phone_e164", "company_domain", "company_name", "company_size",
     "company_industry", "location", "error_message", "provenance")
)  # fmt: skip
_WRITE_ROW = update(_ROWS).where(
    _ROWS.c.job_id == bindparam("write_job_id"),
    _ROWS.c.row_number == bindparam("write_row"),
    _ROWS.c.status == "pending",
)


def _in_batch(batch: JobBatch) -> ColumnElement[bool]:
    """Which rows a batch holds: a range cut at import, or the row numbers of a
    re-run."""
    if imported := _row_range(batch):
        return EnrichmentRow.row_number.between(*imported)
    return EnrichmentRow.row_number.in_(batch.params["row_numbers"])


def _row_range(batch: JobBatch) -> tuple[int, int] | None:
    """The first and last row of a batch cut at import; None for a re-run's."""
    if "row_numbers" in batch.params:
        return None
    return batch.params["first_row"], batch.params["last_row"]


def _batch_counts(job_id: str, in_batch: ColumnElement[bool]) -> dict[str, int]:
    rows = db.session.execute(
        select(EnrichmentRow.status, func.count())
        .where(EnrichmentRow.job_id == job_id, in_batch)
        .group_by(EnrichmentRow.status)
    ).all()
    counts = {"success": 0, "failed": 0}
    counts.update({status: n for status, n in rows})
    return counts


# Errors that stop the batch rather than fail the row.
PASS_THROUGH = (
    ProviderRateLimited,
    ProviderAuthError,
    ProviderCostCapReached,
    ProviderNotConfigured,
)


def enrich_row(fields: dict[str, str]) -> dict:
    """The verdict, company and phone of one row's mapped fields, as column values.

    Each field goes down its waterfall (the workspace's provider order) and the
    row records who gave each value (`provenance`). Rate limits, refused
    credentials and cost caps propagate; other provider failures that no
    provider outlived become a failed row with the reason.
    """
    options = _options.get() or RowOptions()
    values = {"processed_at": utcnow(), "status": "success", "error_message": None}
    values["phone_e164"] = normalise_phone(fields["phone"])
    provenance: dict = {}
    if not fields["email"].strip():
        found = _find(options, fields, provenance)
        if found is None:
            message = "No email address in this row."
            if options.on("find_emails"):
                message = "No email address in this row, and none was found."
            return {**values, "status": "failed", "error_message": message,
                    "provenance": provenance or None}  # fmt: skip
        normalized = found.email
        values.update(
            email_normalized=normalized,
            email_valid=found.verdict == "valid",
            email_verdict=found.verdict,
            email_flags=found.flags,
        )
    else:
        normalized, error = _validated(fields["email"].strip())
        if normalized is None:
            return {
                **values,
                "email_valid": False,
                "email_verdict": "invalid",
                "email_flags": [],
                "error_message": f"Invalid email: {error}",
            }
        values["email_normalized"] = normalized
        answer = waterfall.verify(
            normalized, options.verify_order, fresh=options.on("fresh_verification")
        )
        if answer.value is None:
            message = answer.error or "No verifier answered."
            return {**values, "status": "failed", "error_message": message}
        verdict = answer.value
        provenance["email_verification"] = answer.provenance()
        values.update(
            email_valid=verdict.is_valid,
            email_verdict=verdict.verdict,
            email_flags=verdict.flags,
        )
    values["provenance"] = provenance
    domain = company_domain(fields["website"], normalized)
    values["company_domain"] = domain
    if domain and not (options.on("company_if_empty") and fields["company"].strip()):
        answer = waterfall.company(domain, options.company_order)
        if answer.value is None and answer.error:
            return {**values, "status": "failed", "error_message": answer.error}
        company = answer.value
        if company is not None:
            provenance["company"] = answer.provenance()
            values.update(
                company_name=company.name,
                company_size=company.size_range,
                company_industry=company.industry,
                location=company.location or None,
            )
    return values


def wants_finder(fields: dict[str, str]) -> bool:
    """A row the finder can work: no email, a name, and a company or website."""
    return (
        not fields["email"].strip()
        and bool(fields["name"].strip())
        and bool(fields["website"].strip() or fields["company"].strip())
    )


def _find(options: RowOptions, fields: dict[str, str], provenance: dict):
    """The finder's answer for a row without an email (None when off or none)."""
    if not (options.on("find_emails") and wants_finder(fields)):
        return None
    try:
        result = find_email(
            options.workspace_id,
            full_name=fields["name"],
            domain=company_domain(fields["website"], None),
            company=fields["company"].strip() or None,
        )
    except InvalidInput:
        return None
    provenance["email_finding"] = {
        **(result.provenance or {}),
        "pattern": result.pattern,
        "confidence": result.confidence,
        "candidates_tried": result.candidates_tried,
        "cost": str(result.cost),
    }
    return result if result.email else None


def verify_email(email: str) -> emails.EmailVerdict:
    """A cached or fresh verdict for a normalised address."""
    key = email.lower()
    hit = cache.get(emails.PROVIDER, key)
    if hit is not cache.MISSING and hit is not None:
        metering.record_cache_hit(emails.PROVIDER, emails.ENDPOINT)
        return emails.EmailVerdict(**hit)
    verdict = emails.verify(email)
    cache.put(emails.PROVIDER, key, verdict.to_dict())
    return verdict


def enrich_company(domain: str) -> companies.CompanyData | None:
    """A cached or fresh company for a domain; None when the provider has none."""
    hit = cache.get(companies.PROVIDER, domain)
    if hit is not cache.MISSING:
        metering.record_cache_hit(companies.PROVIDER, companies.ENDPOINT)
    if hit is None:
        return None
    if hit is not cache.MISSING:
        return companies.CompanyData(**hit)
    try:
        company = companies.enrich(domain)
    except ProviderNotFound:
        cache.put(companies.PROVIDER, domain, None)
        return None
    cache.put(companies.PROVIDER, domain, company.to_dict())
    return company


@functools.lru_cache(maxsize=8192)
def company_domain(website: str, email: str | None) -> str | None:
    """The domain from the website column, else the email's unless it is free mail
    (remembered: the read-ahead and the row's own work ask for each row's once)."""
    if website and website.strip():
        raw = website.strip().lower()
        host = urlsplit(raw if "//" in raw else f"//{raw}").hostname or ""
        host = host.removeprefix("www.")
        if "." in host:
            return host
    if email and "@" in email:
        domain = email.rsplit("@", 1)[1].lower()
        if domain not in FREE_MAIL:
            return domain
    return None


def normalise_phone(phone: str) -> str | None:
    """E.164 form of a phone number (default region), or None if not valid."""
    if not phone or not phone.strip():
        return None
    region = current_app.config["DEFAULT_PHONE_REGION"]
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
