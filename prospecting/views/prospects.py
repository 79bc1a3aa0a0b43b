"""LinkedIn prospect search pages: the connected account, the search form, job pages."""

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
from prospecting.forms import LinkedInAccountForm
from prospecting.forms import ProspectSearchForm
from prospecting.providers import unipile
from prospecting.providers.errors import ProviderError
from prospecting.services import exports
from prospecting.services import jobs
from prospecting.services import ledger
from prospecting.services import prospects
from prospecting.services.errors import InvalidInput
from prospecting.services.pages import Page
from prospecting.views.jobs import follows
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options
from prospecting.views.responses import requested_page
from prospecting.views.responses import warn_if_not_sent

bp = Blueprint("prospects", __name__, url_prefix="/prospects")


def _poll() -> int:
    return current_app.config["PROGRESS_POLL_SECONDS"]


# Connected account


@bp.get("/account")
def account():
    """The connected account settings, with a test-connection button."""
    return _account_page()


def _account_page(status: int = 200, error: str | None = None, form=None):
    account = prospects.get_account(g.workspace.id)
    if form is None:
        form = LinkedInAccountForm(
            formdata=None,
            dsn=account.dsn if account else current_app.config["UNIPILE_DEFAULT_DSN"],
            account_id=account.account_id if account else "",
        )
    return render_template(
        "prospects/account.html",
        account=account,
        default_dsn=current_app.config["UNIPILE_DEFAULT_DSN"],
        sandbox=current_app.config["SANDBOX_ENABLED"],
        default_api=prospects.default_api,
        form=form,
        error=error,
    ), status


@bp.post("/account")
def save_account():
    """Connect or update the account, then test it."""
    form = LinkedInAccountForm()
    if not form.validate():
        return _account_page(422, form=form)
    try:
        prospects.save_account(
            g.workspace.id,
            dsn=form.dsn.data,
            api_key=form.api_key.data or "",
            account_id=form.account_id.data,
        )
    except InvalidInput as exc:
        return _account_page(422, exc.message, form=form)
    saved = prospects.check_account(g.workspace.id)
    if saved.is_active and not saved.last_error:
        flash("LinkedIn account connected.", "info")
    else:
        flash(f"Saved, but the connection test failed: {saved.last_error}", "error")
    return redirect(url_for("prospects.account"))


@bp.post("/account/test")
def test_account():
    """Test the stored credentials; returns the account status fragment."""
    return render_template(
        "prospects/_account_status.html",
        account=prospects.check_account(g.workspace.id),
        default_api=prospects.default_api,
    )


@bp.post("/account/remove")
def remove_account():
    """Forget the connected account."""
    prospects.remove_account(g.workspace.id)
    flash("LinkedIn account removed.", "info")
    return redirect(url_for("prospects.account"))


# Search form


@bp.get("/")
def index():
    """The search form and the workspace's prospect searches."""
    return _index()


def _index(status: int = 200, error: str | None = None, form=None):
    account = prospects.get_account(g.workspace.id)
    if form is None:
        # The form starts on the best product the account is known to have.
        best = prospects.default_api(account.premium_features if account else None)
        form = ProspectSearchForm(
            formdata=None,
            search_source=best if best in unipile.APIS else "classic",
            cost_cap=str(current_app.config["COST_CAP_PER_JOB"]),
        )
    source = form.search_source.data
    source = source if source in unipile.APIS else "classic"
    return render_template(
        "prospects/index.html",
        form=form,
        error=error,
        account=account,
        jobs=jobs.recent(g.workspace.id, kind=prospects.KIND),
        selected=_selected_locations(form.location.data or []),
        **_estimate_context(source, form.target_count.data),
    ), status


@bp.post("/")
def create():
    """Create a search job from the form, enqueue its first page, go to its page."""
    form = ProspectSearchForm()
    if not form.validate():
        return _index(422, form=form)
    chosen = _selected_locations(form.location.data or [])
    data = {
        "search_source": form.search_source.data,
        "target_count": form.target_count.data,
        "search_criteria": {
            "category": "people",
            "keywords": form.keywords.data or "",
            "title": form.title.data or "",
            "location": [i for i, _ in chosen],
            "company_headcount": form.company_headcount.data or [],
        },
    }
    try:
        cap = ledger.parse_cap(form.cost_cap.data)
        job = prospects.create_job(
            g.workspace.id, current_user.id, data, location_titles=dict(chosen)
        )
    except InvalidInput as exc:
        return _index(422, exc.message, form=form)
    ledger.set_job_cap(job.id, cap)
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("prospects.show", job_id=job.id))


def _selected_locations(values: list[str]) -> list[tuple[str, str]]:
    """Checkbox values "id::title" as (id, title) pairs, numeric ids only."""
    pairs = []
    for value in values:
        ident, _, title = value.partition("::")
        if ident.strip().isdigit():
            pairs.append((ident.strip(), title.strip() or ident.strip()))
    return list(dict(pairs).items())


@bp.get("/locations")
def locations():
    """Active search of location ids (fragment); keeps the locations already chosen."""
    chosen = _selected_locations(request.args.getlist("location"))
    api = request.args.get("search_source", "classic")
    error, found = None, []
    try:
        found = prospects.search_locations(
            g.workspace.id,
            request.args.get("location_query", ""),
            api if api in unipile.APIS else "classic",
        )
    except (InvalidInput, ProviderError) as exc:
        error = exc.message
    ids = {i for i, _ in chosen}
    return render_template(
        "prospects/_locations.html",
        selected=chosen,
        found=[p for p in found if p.id not in ids],
        error=error,
    )


@bp.get("/estimate")
def estimate():
    """The estimated time of the search the form describes (fragment)."""
    source = request.args.get("search_source", "classic")
    source = source if source in unipile.APIS else "classic"
    return render_template(
        "prospects/_estimate.html",
        **_estimate_context(source, request.args.get("target_count", "")),
    )


def _estimate_context(api: str, raw_target) -> dict:
    try:
        target = int(raw_target)
    except (TypeError, ValueError):
        target = None
    cap = prospects.cap(api)
    usable = target if target and 0 < target <= cap else None
    return {
        "source": api,
        "target": target,
        "cap": cap,
        "api_label": prospects.API_LABELS[api],
        "guess": prospects.estimate(api, usable) if usable else None,
        "cost": (
            ledger.prospect_search_estimate(prospects.estimate(api, usable)["pages"])
            if usable
            else None
        ),
    }


# Jobs


@bp.get("/jobs/<job_id>")
def show(job_id: str):
    """Job page: live progress, then the prospects and the CSV export."""
    job = prospects.get_job(g.workspace.id, job_id)
    return render_template(
        "prospects/job.html",
        job=job,
        poll=_poll(),
        prospect_columns=[c.name for c in exports.tables.PROSPECT_COLUMNS],
        **_table_context(job),
    )


@bp.get("/jobs/<job_id>/table")
def table(job_id: str):
    """One page of the job's prospects (fragment)."""
    job = prospects.get_job(g.workspace.id, job_id)
    return render_template("prospects/_table.html", job=job, **_table_context(job))


@follows(prospects.KIND)
def _live_table(job) -> str:
    """The prospects table as the progress poll swaps it in."""
    return render_template(
        "prospects/_table.html", job=job, oob=True, **_table_context(job)
    )


def _table_context(job) -> dict:
    per_page = current_app.config["RESULTS_PER_PAGE"]
    number = requested_page()
    rows, total = prospects.prospects_page(job.id, page=number, per_page=per_page)
    return {"page": Page(rows, number, per_page, total)}


@bp.get("/jobs/<job_id>/export.csv")
@bp.get("/jobs/<job_id>/export")
def export(job_id: str):
    """The job's prospects (the columns chosen) as CSV or XLSX."""
    job = prospects.get_job(g.workspace.id, job_id)
    opts = export_options()
    header, rows = exports.tables.prospects(job.id, columns=opts.columns)
    chunks = exports.stream(header, rows, opts)
    return export_download(chunks, opts, f"prospects-{job.id[:8]}")
