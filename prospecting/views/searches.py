"""People search pages: filter form, live status, profiles, export, saved searches."""

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
from prospecting.forms import SaveSearchForm
from prospecting.forms import people_search_form
from prospecting.providers.reachstream import FILTER_FIELDS
from prospecting.services import exports
from prospecting.services import jobs
from prospecting.services import ledger
from prospecting.services import searches
from prospecting.services.errors import ServiceError
from prospecting.services.pages import Page
from prospecting.views.jobs import follows
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options
from prospecting.views.responses import requested_page
from prospecting.views.responses import warn_if_not_sent

bp = Blueprint("searches", __name__, url_prefix="/searches")

# Filters with a fixed vocabulary get a multi-select; the others take typed values.
CHOICES = {
    "contact_job_title_level_1": (
        "C-Level", "VP", "Director", "Manager", "Senior", "Entry",
    ),
    "company_employee_size": (
        "1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000",
        "10001+",
    ),
    "company_annual_revenue_amount": (
        "<$1M", "$1M-$10M", "$10M-$50M", "$50M-$100M", "$100M-$500M", "$500M-$1B",
        "$1B+",
    ),
}  # fmt: skip
PER_PAGE = 50
PeopleSearchForm = people_search_form(FILTER_FIELDS, CHOICES)


@bp.get("/")
def index():
    """The search form, saved searches and recent searches."""
    form = PeopleSearchForm(
        formdata=None,
        fetch_count=searches.DEFAULT_FETCH,
        cost_cap=current_app.config["COST_CAP_PER_JOB"],
    )
    return _index(form)


def _index(form, *, error: str | None = None, status=200):
    return render_template(
        "searches/index.html",
        form=form,
        fields=FILTER_FIELDS,
        choices=CHOICES,
        error=error,
        cost=ledger.people_search_estimate(),
        saved=searches.saved_searches(g.workspace.id),
        recent=searches.recent(g.workspace.id),
    ), status


@bp.post("/")
def create():
    """Start a search from the form, then show its page."""
    form = PeopleSearchForm()
    if not form.validate():
        return _index(form, status=422)
    values = {key: _values(form[key].data) for key in FILTER_FIELDS}
    fetch_count = form.fetch_count.data or ""
    try:
        cap = ledger.parse_cap(form.cost_cap.data)
        search = searches.start(g.workspace.id, current_user.id, values, fetch_count)
    except ServiceError as exc:
        return _index(form, error=exc.message, status=422)
    ledger.set_job_cap(search.id, cap)
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(search.id)))
    return redirect(url_for("searches.show", job_id=search.id))


def _values(data) -> list[str]:
    """A filter's values: the options picked, or the values typed in one box."""
    if isinstance(data, list):
        return [v for raw in data for v in searches.split_values(raw)]
    return searches.split_values(data)


@bp.get("/<job_id>")
def show(job_id: str):
    """A search: live status, then its profiles."""
    return _show(searches.get(g.workspace.id, job_id))


def _show(search, *, save_form=None, status: int = 200):
    return render_template(
        "searches/show.html",
        search=search,
        fields=FILTER_FIELDS,
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
        profile_columns=[c.name for c in exports.tables.PROFILE_COLUMNS],
        save_form=save_form,
        **_profiles_context(search),
    ), status


@bp.app_template_global()
def job_search(job):
    """The people search a job carries (for its progress headline)."""
    return searches.get(job.workspace_id, job.id)


@bp.get("/<job_id>/profiles")
def profiles(job_id: str):
    """The profiles table partial (sorted, paginated)."""
    search = searches.get(g.workspace.id, job_id)
    return render_template(
        "searches/_profiles.html", search=search, **_profiles_context(search)
    )


@follows(searches.KIND)
def _live_profiles(job) -> str:
    """The profiles and the buttons as the progress poll swaps them in."""
    search = searches.get(job.workspace_id, job.id)
    context = {
        "search": search,
        "oob": True,
        "profile_columns": [c.name for c in exports.tables.PROFILE_COLUMNS],
        **_profiles_context(search),
    }
    return render_template("searches/_actions.html", **context) + render_template(
        "searches/_profiles.html", **context
    )


def _profiles_context(search) -> dict:
    sort = request.args.get("sort") or ""
    if sort not in searches.SORTS:
        sort = ""
    number = requested_page()
    rows, total = searches.profiles_page(
        search.id, page=number, per_page=PER_PAGE, sort=sort
    )
    return {"page": Page(rows, number, PER_PAGE, total), "sort": sort}


@bp.get("/<job_id>/export.csv")
@bp.get("/<job_id>/export")
def export(job_id: str):
    """The search's profiles (the columns chosen) as CSV or XLSX."""
    search = searches.get(g.workspace.id, job_id)
    opts = export_options()
    header, rows = exports.tables.profiles(search.id, columns=opts.columns)
    chunks = exports.stream(header, rows, opts)
    return export_download(chunks, opts, f"people-{search.id[:8]}")


@bp.post("/<job_id>/save")
def save(job_id: str):
    """Save the search's filter under a name (the page again, 422, on a bad name)."""
    search = searches.get(g.workspace.id, job_id)
    form = SaveSearchForm()
    if not form.validate():
        return _show(search, save_form=form, status=422)
    try:
        saved = searches.save(g.workspace.id, job_id, form.name.data)
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        form.name.errors = [*form.name.errors, exc.message]
        return _show(search, save_form=form, status=exc.status_code)
    flash(f"Saved as “{saved.name}”.", "info")
    return redirect(url_for("searches.show", job_id=job_id))


@bp.post("/saved/<int:saved_id>/run")
def run_saved(saved_id: int):
    """Run a saved search again as a new search."""
    search = searches.run_saved(g.workspace.id, current_user.id, saved_id)
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(search.id)))
    return redirect(url_for("searches.show", job_id=search.id))


@bp.post("/saved/<int:saved_id>/delete")
def delete_saved(saved_id: int):
    """Forget a saved search."""
    searches.delete_saved(g.workspace.id, saved_id)
    flash("Saved search deleted.", "info")
    return redirect(url_for("searches.index"))


@bp.get("/proxies")
def proxies():
    """Health of the proxy pool (every workspace's traffic): operators only."""
    return render_template(
        "searches/proxies.html",
        items=searches.proxy_health(),
        providers=current_app.config.get("PROXY_PROVIDERS") or [],
        cooldown=current_app.config["PROXY_COOLDOWN_SECONDS"],
    )
