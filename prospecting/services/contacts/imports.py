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
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import PersonProfile
from prospecting.models import Prospect
from prospecting.services import jobs
from prospecting.services.contacts import strategy
from prospecting.services.contacts.book import UpsertReport
from prospecting.services.contacts.gate import RULES
from prospecting.services.contacts.import_companies import BatchCompanies
from prospecting.services.contacts.import_sources import batch_inputs
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
    inputs, originals = batch_inputs(job, params, BatchCompanies(job.workspace_id))
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
