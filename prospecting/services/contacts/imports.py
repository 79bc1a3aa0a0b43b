"""Adding the people of other areas to the contact book, as a job ("Add to
contacts"): an enrichment job's processed rows, a people search's profiles, a
LinkedIn prospect search's prospects, or the rows of a CSV file.

Each batch takes a range of the source's rows through the quality gate into the
book (`upsert`, one transaction a chunk) and keeps its counts: how many people
entered, how many were merged into a contact already there, and how many each
rule of the gate kept out, with those rows for the kept-out CSV.
"""

from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import PersonProfile
from prospecting.models import Prospect
from prospecting.models.base import utcnow
from prospecting.services import csvfiles
from prospecting.services import jobs
from prospecting.services.contacts import strategy
from prospecting.services.contacts.book import ContactInput
from prospecting.services.contacts.book import UpsertReport
from prospecting.services.contacts.companies import company_for
from prospecting.services.contacts.gate import RULES
from prospecting.services.contacts.normalise import company_name_key
from prospecting.services.contacts.normalise import normalise_domain
from prospecting.services.contacts.upsert import insert_ignoring
from prospecting.services.contacts.upsert import upsert_contacts
from prospecting.services.enrichment.results import row_conditions
from prospecting.services.errors import InvalidInput

KIND = "contact_import"
CHUNK = "contact_import.chunk"
BATCH_ROWS = 2000
# Where the people come from -> the job kind that found them.
SOURCES = {
    "enrichment": "enrichment",
    "people_search": "people_search",
    "prospects": "prospect_search",
    "csv": None,
}
KEPT_OUT_COLUMNS = ["row", "name", "email", "phone", "linkedin_url", "rule", "reason"]


# Starting an import


def start_import(
    workspace_id: int,
    user_id: int | None,
    source: str,
    job_id: str | None = None,
    *,
    include_risky: bool = False,
    keep_undeliverable: bool = False,
    rows: list[dict] | None = None,
    filename: str = "",
    update_strategy: str | None = None,
    row_ids: list[int] | None = None,
    row_filter=None,
) -> Job:
    """Create the import job and its batches (committed, not yet enqueued).

    `source` is one of SOURCES; a job's people need its `job_id`, a CSV file its
    `rows` (dicts with name, email, phone, title, company, website, linkedin_url,
    location). `row_ids` (row numbers of enrichment results, ids of profiles or
    prospects) or `row_filter` (an enrichment results filter) take only those
    rows of the job."""
    if source not in SOURCES:
        raise InvalidInput(
            f"source must be one of {', '.join(s for s in SOURCES if s != 'csv')}.",
            code="bad_source",
        )
    if not isinstance(include_risky, bool):
        raise InvalidInput("include_risky must be true or false.", code="bad_flag")
    params = {
        "source": source,
        "include_risky": include_risky,
        "keep_undeliverable": bool(keep_undeliverable),
        "update_strategy": strategy.check(update_strategy),
    }
    if source == "csv":
        rows = list(rows or [])
        batches = [
            jobs.NewBatch(CHUNK, {"rows": rows[i : i + BATCH_ROWS], "offset": i})
            for i in range(0, len(rows), BATCH_ROWS)
        ]
        total, title = len(rows), f"Add {filename or 'a CSV file'} to contacts"
    else:
        if not isinstance(job_id, str) or not job_id.strip():
            raise InvalidInput("job_id is required.", code="job_id_required")
        found = jobs.get(workspace_id, job_id.strip(), kind=SOURCES[source])
        params["source_job_id"] = found.id
        keys = _source_keys(source, found.id, row_filter)
        subset = row_ids is not None or row_filter is not None
        if row_ids is not None:
            chosen = set(row_ids)
            keys = [k for k in keys if k in chosen]
            params["row_ids"] = len(keys)
        if subset and not keys:
            raise InvalidInput(
                "row_ids: none of the rows chosen can be added.", code="no_rows"
            )
        batches = [
            jobs.NewBatch(CHUNK, _range(keys[i : i + BATCH_ROWS], subset))
            for i in range(0, len(keys), BATCH_ROWS)
        ]
        total = len(keys)
        title = f"Add to contacts: {found.title or found.id[:8]}"
    job = jobs.create(
        KIND,
        params,
        batches,
        workspace_id=workspace_id,
        user_id=user_id,
        title=title,
        total=total,
    )
    db.session.commit()
    return job


def count_rows(source: str, job_id: str, row_filter=None) -> int:
    """How many rows of a job an import would take (with `row_filter`: those the
    enrichment results filter shows), counted in the database."""
    keys = _keys_query(source, job_id, row_filter).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(keys))


def _range(keys: list, subset: bool) -> dict:
    """A batch's params: its first and last key, and its keys when the import
    takes a subset of the rows."""
    params = {"first": keys[0], "last": keys[-1]}
    return {**params, "keys": keys} if subset else params


def _source_keys(source: str, job_id: str, row_filter=None) -> list:
    """The ordered keys of the source rows the import takes."""
    return list(db.session.scalars(_keys_query(source, job_id, row_filter)))


def _keys_query(source: str, job_id: str, row_filter=None):
    """The query of those keys, in order."""
    if source == "enrichment":
        stmt = (
            select(EnrichmentRow.row_number)
            .where(
                EnrichmentRow.job_id == job_id,
                EnrichmentRow.status.in_(("success", "failed")),
                *(row_conditions(row_filter) if row_filter is not None else ()),
            )
            .order_by(EnrichmentRow.row_number)
        )
    elif source == "people_search":
        stmt = (
            select(PersonProfile.id)
            .where(PersonProfile.search_id == job_id)
            .order_by(PersonProfile.id)
        )
    else:
        stmt = (
            select(Prospect.id).where(Prospect.job_id == job_id).order_by(Prospect.id)
        )
    return stmt


# The work of a batch


def run_chunk(run: jobs.Run) -> jobs.Result:
    """Take the batch's rows through the gate into the book; keep its counts."""
    job, params = run.job, run.params
    source = job.params["source"]
    inputs, originals = _inputs(job, params, _Companies(job.workspace_id))
    run.check()
    report = upsert_contacts(
        job.workspace_id,
        inputs,
        include_risky=bool(job.params.get("include_risky")),
        keep_undeliverable=bool(job.params.get("keep_undeliverable")),
        strategy=job.params.get("update_strategy") or strategy.DEFAULT,
    )
    kept = [
        [originals[i.index][0], *_kept_values(originals[i.index][1:], i.rule)]
        + [i.rule, i.reason]
        for i in report.items
        if i.status == "kept_out"
    ]
    counts = _counts(report)
    done = {**params, "source": source, "counts": counts, "kept_out_rows": kept}
    if job.params.get("list_id"):
        # The people this import brought, for the list its end puts them on.
        done["contact_ids"] = [
            i.contact_id
            for i in report.items
            if i.status != "kept_out" and i.contact_id
        ]
    return jobs.Done(
        success=counts["entered"] + counts["merged"],
        failed=counts["kept_out"],
        params=done,
    )


def _kept_values(values: list, rule: str) -> list:
    """A kept-out row's values, blanked for an erased (suppressed) person."""
    return ["" for _ in values] if rule == "suppressed" else list(values)


def _counts(report: UpsertReport) -> dict:
    return {
        "entered": report.created,
        "merged": report.updated + report.skipped,
        "updated": report.updated,
        "kept_out": report.kept_out,
        "rules": report.rules(),
    }


class _Companies:
    """Find-or-create of the companies of one batch: the known ones read in one
    query (by domain and by name key), the missing ones created once each."""

    def __init__(self, workspace_id: int):
        self.workspace_id, self.ids = workspace_id, {}
        self.by_domain: dict[str, tuple[int, str | None]] = {}
        self.by_key: dict[str, tuple[int, str | None]] = {}

    def preload(self, pairs) -> None:
        domains = {d for d in (normalise_domain(d) for _, d in pairs) if d}
        keys = {k for k in (company_name_key(n) for n, _ in pairs) if k}
        if not (domains or keys):
            return
        self._remember(self._lookup(domains, keys))
        self._create_missing(pairs)

    def _lookup(self, domains, keys) -> list:
        """The companies of these domains, then of these name keys (two index
        lookups rather than one OR), oldest first."""
        found = []
        for column, values in ((Company.domain, domains), (Company.name_key, keys)):
            if values:
                found += db.session.execute(
                    select(Company.id, Company.domain, Company.name_key)
                    .where(
                        Company.workspace_id == self.workspace_id, column.in_(values)
                    )
                    .order_by(Company.id)
                ).all()
        return found

    def _known(self, domain, key) -> tuple[int, str | None] | None:
        """The company of this domain, else of this name (unless that one has
        another domain), as company_for finds it."""
        if domain and domain in self.by_domain:
            return self.by_domain[domain]
        found = self.by_key.get(key) if key else None
        if found is not None and not (domain and found[1] and found[1] != domain):
            return found
        return None

    def _remember(self, rows) -> None:
        for company_id, domain, key in rows:
            if domain:
                self.by_domain.setdefault(domain, (company_id, domain))
            if key:
                self.by_key.setdefault(key, (company_id, domain))

    def _create_missing(self, pairs) -> None:
        """The batch's new companies in one statement (a concurrent writer's
        company of the same domain wins; the lookup below reads it)."""
        new, now = {}, utcnow()
        for name, domain in pairs:
            domain = normalise_domain(domain)
            key = company_name_key(name)
            if self._known(domain, key) or not (domain or key):
                continue
            new.setdefault(
                domain or key,
                {
                    "workspace_id": self.workspace_id,
                    "name": ((name or "").strip() or domain)[:255],
                    "name_key": key,
                    "domain": domain,
                    "registration_number": None,
                    "sync_failed": False,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        if not new:
            return
        # In key order, so that batches creating the same companies at once take
        # the unique index's locks in one order (no deadlock between them).
        db.session.execute(
            insert_ignoring(Company.__table__), [new[k] for k in sorted(new)]
        )
        domains = [r["domain"] for r in new.values() if r["domain"]]
        keys = [r["name_key"] for r in new.values() if r["name_key"]]
        self._remember(self._lookup(domains, keys))
        db.session.commit()

    def __call__(self, name: str | None, domain: str | None = None) -> int | None:
        name = (name or "").strip() or None
        if not (name or domain):
            return None
        key = (domain or "", (name or "").lower())
        if key in self.ids:
            return self.ids[key]
        found = self._known(normalise_domain(domain), company_name_key(name))
        if found is None:
            company = company_for(self.workspace_id, domain=domain, name=name)
            self.ids[key] = company.id if company else None
        else:
            self.ids[key] = found[0]
        return self.ids[key]


def _inputs(job: Job, params: dict, company) -> tuple[list[ContactInput], list]:
    """The batch's rows as ContactInputs, and each one's row for the kept-out CSV
    (row, name, email, phone, linkedin_url)."""
    source, ref = job.params["source"], job.params.get("source_job_id") or job.id
    inputs, originals = [], []
    if source == "enrichment":
        e = EnrichmentRow
        rows = db.session.execute(
            select(
                e.row_number,
                e.name,
                e.email,
                e.email_normalized,
                e.email_verdict,
                e.email_flags,
                e.processed_at,
                e.phone,
                e.phone_e164,
                e.location,
                e.company,
                e.company_name,
                e.company_domain,
                e.data,
            )
            .where(
                EnrichmentRow.job_id == ref,
                EnrichmentRow.row_number.between(params["first"], params["last"]),
                EnrichmentRow.status.in_(("success", "failed")),
                *_only(EnrichmentRow.row_number, params),
            )
            .order_by(EnrichmentRow.row_number)
        )
        rows = rows.all()
        company.preload([(r.company_name or r.company, r.company_domain) for r in rows])
        mapped = _BookColumns(db.session.get(Job, ref))
        for row in rows:
            person = mapped(row.data)
            email = row.email_normalized or (row.email or "").strip() or None
            verdict = row.email_verdict
            if email and verdict is None:
                verdict = "unknown"  # its verification failed: not known deliverable
            inputs.append(
                ContactInput(
                    name=row.name or "",
                    email=email,
                    email_verdict=verdict,
                    email_flags=row.email_flags or [],
                    verified_at=row.processed_at if row.email_verdict else None,
                    phone=row.phone_e164,
                    # the worker normalised the address and number already
                    normalised=bool(row.email_normalized or not email),
                    title=person.get("title") or None,
                    linkedin_url=person.get("linkedin_url") or None,
                    location=person.get("location") or row.location,
                    extra=person.get("extra") or {},
                    source="enrichment",
                    source_ref=ref,
                    company_id=company(
                        row.company_name or row.company, row.company_domain
                    ),
                )
            )
            originals.append([row.row_number, row.name, row.email, row.phone, None])
    elif source == "people_search":
        p = PersonProfile
        rows = db.session.execute(
            select(
                p.id,
                p.full_name,
                p.email,
                p.job_title,
                p.location,
                p.linkedin_url,
                p.provider_record_id,
                p.company_name,
            )
            .where(
                PersonProfile.search_id == ref,
                PersonProfile.id.between(params["first"], params["last"]),
                *_only(PersonProfile.id, params),
            )
            .order_by(PersonProfile.id)
        )
        rows = rows.all()
        company.preload([(r.company_name, None) for r in rows])
        for row in rows:
            inputs.append(
                ContactInput(
                    name=row.full_name,
                    email=row.email,
                    title=row.job_title,
                    location=row.location,
                    linkedin_url=row.linkedin_url,
                    source="people_search",
                    source_ref=ref,
                    provider_ids={"reachstream": row.provider_record_id},
                    company_id=company(row.company_name),
                )
            )
            originals.append(
                [row.id, row.full_name, row.email, None, row.linkedin_url or None]
            )
    elif source == "prospects":
        rows = db.session.execute(
            select(
                Prospect.id,
                Prospect.name,
                Prospect.title,
                Prospect.location,
                Prospect.linkedin_url,
                Prospect.provider_id,
                Prospect.company,
            )
            .where(
                Prospect.job_id == ref,
                Prospect.id.between(params["first"], params["last"]),
                *_only(Prospect.id, params),
            )
            .order_by(Prospect.id)
        )
        rows = rows.all()
        company.preload([(r.company, None) for r in rows])
        for row in rows:
            inputs.append(
                ContactInput(
                    name=row.name,
                    title=row.title,
                    location=row.location,
                    linkedin_url=row.linkedin_url,
                    source="prospects",
                    source_ref=ref,
                    provider_ids={"linkedin": row.provider_id},
                    company_id=company(row.company),
                )
            )
            originals.append([row.id, row.name, None, None, row.linkedin_url])
    else:
        company.preload(
            [(r.get("company"), r.get("website")) for r in params.get("rows", [])]
        )
        for n, row in enumerate(params.get("rows", [])):
            inputs.append(
                ContactInput(
                    name=row.get("name") or "",
                    email=row.get("email"),
                    phone=row.get("phone"),
                    title=row.get("title"),
                    location=row.get("location"),
                    linkedin_url=row.get("linkedin_url"),
                    source="csv",
                    source_ref=job.id,
                    extra=row.get("extra") or {},
                    company_id=company(row.get("company"), row.get("website")),
                )
            )
            originals.append(
                [
                    params.get("offset", 0) + n + 2,  # the file's line
                    row.get("name"),
                    row.get("email"),
                    row.get("phone"),
                    row.get("linkedin_url"),
                ]
            )
    return inputs, originals


def _only(column, params: dict) -> tuple:
    """The batch's keys when the import takes a subset of its range."""
    return (column.in_(params["keys"]),) if "keys" in params else ()


class _BookColumns:
    """A source enrichment job's row data as the book fields its mapping names
    but the worker does not enrich (title, LinkedIn URL, location) and its
    unmapped columns (`extra`)."""

    def __init__(self, source: Job | None):
        params = (source.params or {}) if source else {}
        self.headers = params.get("headers") or []
        self.mapping = params.get("mapping") or {}

    def __call__(self, data) -> dict:
        if not self.headers or not isinstance(data, list):
            return {}
        record = csvfiles.as_record(self.headers, [str(v) for v in data])
        return csvfiles.apply_book_mapping(record, self.mapping)


# What an import did


def import_summary(job: Job) -> dict:
    """The import's counts so far: entered, merged, kept out (and by which rule)."""
    total = {"entered": 0, "merged": 0, "updated": 0, "kept_out": 0, "rules": {}}
    for params in db.session.scalars(
        select(JobBatch.params).where(JobBatch.job_id == job.id)
    ):
        counts = (params or {}).get("counts")
        if not counts:
            continue
        for key in ("entered", "merged", "updated", "kept_out"):
            total[key] += counts.get(key, 0)
        for rule, n in counts.get("rules", {}).items():
            total["rules"][rule] = total["rules"].get(rule, 0) + n
    total["rules"] = {r: total["rules"][r] for r in RULES if r in total["rules"]}
    return total


def kept_out_rows(job: Job):
    """The rows the gate kept out, batch by batch, for the kept-out CSV."""
    for params in db.session.scalars(
        select(JobBatch.params).where(JobBatch.job_id == job.id).order_by(JobBatch.seq)
    ):
        yield from (params or {}).get("kept_out_rows", [])


def rerun_import(job: Job, user_id: int | None) -> Job:
    """A new import of the same source with the same options (commits)."""
    if job.params["source"] == "csv":
        rows = [
            r
            for params in db.session.scalars(
                select(JobBatch.params)
                .where(JobBatch.job_id == job.id)
                .order_by(JobBatch.seq)
            )
            for r in (params or {}).get("rows", [])
        ]
        if not rows:
            raise InvalidInput("Upload the file again to import it again.")
        return start_import(
            job.workspace_id,
            user_id,
            "csv",
            rows=rows,
            update_strategy=job.params.get("update_strategy"),
        )
    return start_import(
        job.workspace_id,
        user_id,
        job.params["source"],
        job.params["source_job_id"],
        include_risky=bool(job.params.get("include_risky")),
        keep_undeliverable=bool(job.params.get("keep_undeliverable")),
        update_strategy=job.params.get("update_strategy"),
    )
