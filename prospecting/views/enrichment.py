"""CSV enrichment pages: upload, preview and mapping, job progress, results, exports."""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from prospecting import tasks
from prospecting.forms import EnrichmentStartForm
from prospecting.forms import RerunForm
from prospecting.forms import UploadForm
from prospecting.services import contacts
from prospecting.services import csvfiles
from prospecting.services import enrichment
from prospecting.services import exports
from prospecting.services import jobs
from prospecting.services.enrichment.worker import OPTIONS
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.views import uploads
from prospecting.views.jobs import follows
from prospecting.views.responses import csv_download
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options
from prospecting.views.responses import warn_if_not_sent

bp = Blueprint("enrichment", __name__, url_prefix="/enrichment")

DELIMITER_NAMES = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "pipe (|)"}
STATUSES = ("pending", "success", "failed", "cancelled")
FLAG_LABELS = {"catch_all": "catch-all", "free_provider": "free mail"}
# The rows "Add to contacts" takes (processed ones).
IMPORTED = ("success", "failed")


@bp.get("/")
def index():
    """Upload form and the workspace's enrichment jobs."""
    return _index(UploadForm())


def _index(form, status=200, error=None):
    recent = jobs.recent(g.workspace.id, kind=enrichment.KIND)
    return render_template(
        "enrichment/index.html",
        form=form,
        jobs=recent,
        error=error,
        max_mb=current_app.config["MAX_UPLOAD_MB"],
    ), status


@bp.post("/uploads")
def upload():
    """Store a CSV and go to its preview."""
    return uploads.receive(_index, "enrichment.preview")


@bp.get("/uploads/<int:upload_id>")
def preview(upload_id: int):
    """Detected encoding, delimiter and mapping of an upload (of the chosen sheet
    of a workbook), each overridable."""
    upload = enrichment.get_upload(g.workspace.id, upload_id)
    options = {o: bool(request.args.get(f"opt_{o}")) for o in OPTIONS}
    return _preview_page(upload, uploads.requested_reading(), options)


def _preview_page(upload, reading, options, form=None, status=200):
    """The preview and its mapping form (`form` when a start was refused)."""
    read = uploads.read(upload, reading)
    if read.refusal:
        return render_template(
            "enrichment/preview.html",
            error=uploads.describe(read.refusal),
            **_choices(),
            **read.context(),
        ), read.refusal.status_code
    if form is None:
        form = EnrichmentStartForm.suggested(
            read.pv.mapping,
            reading,
            **{f"opt_{o}": on for o, on in options.items()},
            cost_cap=str(current_app.config["COST_CAP_PER_JOB"]),
        )
    return render_template(
        "enrichment/preview.html",
        error=None,
        form=form,
        cost=enrichment.estimate_cost(upload, read.pv, options),
        options=options,
        **_choices(),
        **read.context(),
    ), status


def _choices() -> dict:
    return {"encodings": csvfiles.ENCODINGS, "delimiters": DELIMITER_NAMES}


@bp.post("/uploads/<int:upload_id>/start")
def start(upload_id: int):
    """Confirm the mapping: create the job, then enqueue its planning. A refusal
    shows the preview again (422) with the error under its field."""
    upload = enrichment.get_upload(g.workspace.id, upload_id)
    form = EnrichmentStartForm()
    if not form.validate_on_submit():
        return _start_refused(upload, form)
    try:
        job = enrichment.start(
            g.workspace.id,
            current_user.id,
            upload_id,
            mapping=form.mapping(),
            cost_cap=form.cost_cap.data,
            options=_options(form),
            **form.reading(),
        )
    except InvalidInput as exc:
        field = START_FIELDS.get(exc.code)
        if field is None:
            flash(uploads.describe(exc), "error")
        else:
            form[field].errors = [*form[field].errors, uploads.describe(exc)]
        return _start_refused(upload, form, exc.status_code)
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("enrichment.show", job_id=job.id))


# The start's refusals that name a field of the mapping form.
START_FIELDS = {"no_email_column": "map_email", "bad_cost_cap": "cost_cap"}


def _options(form) -> dict:
    return {o: bool(form[f"opt_{o}"].data) for o in OPTIONS}


def _start_refused(upload, form, status: int = 422):
    return _preview_page(upload, form.reading(), _options(form), form, status)


@bp.get("/jobs/<job_id>")
def show(job_id: str):
    """Job page: live progress, counts, results."""
    job = jobs.get(g.workspace.id, job_id, kind=enrichment.KIND)
    return render_template(
        "enrichment/job.html",
        job=job,
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
        **_results_context(job),
    )


@bp.get("/jobs/<job_id>/rerun")
def rerun_form(job_id: str):
    """Re-run a finished job's rows on conditions, with the cost of only those."""
    job = jobs.get(g.workspace.id, job_id, kind=enrichment.KIND)
    form = RerunForm(request.args, meta={"csrf": False})
    return _rerun_page(job, form)


@bp.post("/jobs/<job_id>/rerun")
def rerun(job_id: str):
    """Send the rows the conditions pick through the job again."""
    job = jobs.get(g.workspace.id, job_id, kind=enrichment.KIND)
    form = RerunForm()
    if not form.validate_on_submit():
        return _rerun_page(job, form, status=422)
    try:
        conditions = _conditions(form)
        job = enrichment.rerun_failed(g.workspace.id, job.id, conditions)
    except (InvalidInput, Conflict) as exc:
        return _rerun_page(job, form, exc.message, exc.status_code)
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    flash(f"Re-running the {conditions.describe()}.", "info")
    return redirect(url_for("enrichment.show", job_id=job.id))


def _conditions(form) -> enrichment.RerunConditions:
    return enrichment.rerun_conditions(
        form.only_unknown.data, form.older_than_days.data, form.empty_field.data
    )


def _rerun_page(job, form, error=None, status=200):
    estimate = None
    if error is None and not form.errors:
        try:
            conditions = _conditions(form)
            estimate = enrichment.rerun_estimate(job, conditions)
        except InvalidInput as exc:
            error, status = exc.message, exc.status_code
    return render_template(
        "enrichment/rerun.html", job=job, form=form, error=error, estimate=estimate
    ), status


@bp.get("/jobs/<job_id>/results")
def results(job_id: str):
    """The results table partial (status filter, keyset pages)."""
    job = jobs.get(g.workspace.id, job_id, kind=enrichment.KIND)
    return render_template("enrichment/_results.html", job=job, **_results_context(job))


@bp.app_template_filter("readable_name")
def readable_name(name) -> str:
    """A name in capitals shown in a readable case (the row keeps the original)."""
    return enrichment.readable_name(name)


@follows(enrichment.KIND)
def _live_results(job) -> str:
    """The results table (and its buttons) as the progress poll swaps it in."""
    return render_template(
        "enrichment/_results.html", job=job, oob=True, **_results_context(job)
    )


def _filter():
    """The results filter in the URL (an unknown value shows every row)."""
    args = request.args
    return enrichment.row_filter(
        args.get("status"), args.get("verdict"), args.get("flag"), strict=False
    )


def _results_context(job) -> dict:
    where = _filter()
    after = max(0, request.args.get("after", 0, type=int))
    per_page = current_app.config["RESULTS_PER_PAGE"]
    rows = enrichment.results_after(job, where=where, after=after, limit=per_page + 1)
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    counts = enrichment.status_counts(job.id)
    return {
        "rows": rows,
        "where": where,
        "status": where.status,
        "statuses": STATUSES,
        "verdicts": enrichment.VERDICTS,
        "flags": enrichment.FLAGS,
        "flag_labels": FLAG_LABELS,
        "export_columns": enrichment.columns_of(job),
        "counts": counts,
        "after": after,
        "next_after": rows[-1].row_number if has_more else None,
        "import_total": _import_total(job, where, counts) if job.is_terminal else None,
    }


def _import_total(job, where, counts: dict) -> int:
    """How many rows "Add to a list" takes with "all matching": from the job's
    counters, counted in its rows only when the filter is by verdict or flag."""
    if where.verdict or where.flag:
        return contacts.count_import_rows("enrichment", job.id, where)
    if where.status:
        return counts.get(where.status, 0) if where.status in IMPORTED else 0
    return sum(counts.get(s, 0) for s in IMPORTED)


@bp.get("/jobs/<job_id>/export.csv")
@bp.get("/jobs/<job_id>/export")
def export(job_id: str):
    """The rows the filter shows: original plus enriched columns (or those chosen),
    as spreadsheet CSV (formula-safe, BOM), CSV for import, or XLSX."""
    job = jobs.get(g.workspace.id, job_id, kind=enrichment.KIND)
    opts = export_options()
    header, rows = enrichment.export_table(job, where=_filter(), columns=opts.columns)
    chunks = exports.stream(header, rows, opts)
    return export_download(chunks, opts, f"{_stem(job)}-enriched")


@bp.get("/jobs/<job_id>/errors.csv")
def errors(job_id: str):
    """Failed rows with their reason, ready to fix and upload again."""
    job = jobs.get(g.workspace.id, job_id, kind=enrichment.KIND)
    lines = enrichment.export_lines(job, only_failed=True)
    return csv_download(lines, f"{_stem(job)}-errors.csv")


def _stem(job) -> str:
    name = job.params.get("filename", "export").rsplit(".", 1)[0]
    return "".join(c for c in name if c.isalnum() or c in "-_")[:60] or "export"
