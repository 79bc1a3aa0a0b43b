"""The email finder pages: a single lookup, the bulk action with its estimate,
its job page, the waterfall settings and the list of addresses that went bad."""

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
from prospecting.forms import BulkFindForm
from prospecting.forms import FinderLookupForm
from prospecting.forms import ReverifyForm
from prospecting.forms import waterfall_form
from prospecting.providers import adapters
from prospecting.providers.errors import ProviderError
from prospecting.services import finder
from prospecting.services import jobs
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.finder import bulk
from prospecting.services.finder import freshness
from prospecting.views.responses import warn_if_not_sent

bp = Blueprint("finder", __name__, url_prefix="/finder")
PERSON = ("first_name", "last_name", "full_name", "domain", "company")


def _waterfall_form_class() -> type:
    return waterfall_form({n: finder.field_choices(n) for n in adapters.FIELDS})


def _page(
    *,
    lookup=None,
    settings=None,
    result=None,
    error: str | None = None,
    status: int = 200,
):
    """The finder page: the lookup form, its result and the waterfall settings."""
    workspace_id = g.workspace.id
    fields = [
        {
            "name": name,
            "label": adapters.FIELD_LABELS[name],
            "order": finder.provider_order(workspace_id, name),
            "choices": finder.field_choices(name),
        }
        for name in adapters.FIELDS
    ]
    freshness_days = finder.freshness_days(workspace_id)
    if settings is None:
        positions = {
            f"{f['name']}:{c}": f["order"].index(c) + 1
            for f in fields
            for c in f["choices"]
            if c in f["order"]
        }
        settings = _waterfall_form_class()(
            formdata=None, data={**positions, "freshness": str(freshness_days)}
        )
    return render_template(
        "finder/index.html",
        form=lookup or FinderLookupForm(formdata=None),
        settings_form=settings,
        result=result,
        error=error,
        fields=fields,
        freshness=freshness_days,
    ), status


@bp.get("/")
def index():
    """The single lookup form and the waterfall each field follows."""
    return _page()


@bp.post("/")
def find():
    """Find one person's address (synchronous, under the caps)."""
    form = FinderLookupForm()
    if not form.validate():
        return _page(lookup=form, status=422)
    person = {k: (form[k].data or "").strip() or None for k in PERSON}
    try:
        result = finder.lookup(g.workspace.id, current_user.id, **person)
    except (InvalidInput, ProviderError) as exc:
        return _page(lookup=form, error=exc.message, status=422)
    return _page(lookup=form, result=result)


@bp.post("/settings")
def save_settings():
    """Save the provider order of each field and the freshness window (the page
    again, 422, with the error under the field on bad input)."""
    form = _waterfall_form_class()()
    if not form.validate():
        return _page(settings=form, status=422)
    orders = {}
    for name in adapters.FIELDS:
        picked = [(form[f"{name}:{c}"].data, c) for c in finder.field_choices(name)]
        ranked = sorted((p, c) for p, c in picked if p)
        if ranked:  # a field left blank keeps its order
            orders[name] = [c for _, c in ranked]
    try:
        finder.save_settings(g.workspace.id, orders, form.freshness.data)
    except InvalidInput as exc:
        if exc.code == "bad_freshness":
            form.freshness.errors = [*form.freshness.errors, exc.message]
            return _page(settings=form, status=422)
        return _page(settings=form, error=exc.message, status=422)
    flash("Waterfall settings saved.", "info")
    return redirect(url_for("finder.index"))


@bp.get("/bulk")
def estimate():
    """What finding the emails of a source's people would cost, before starting."""
    source = request.args.get("source", "contacts")
    scope = request.args.get("scope") or None
    if source not in bulk.SOURCES:
        raise InvalidInput(f"Unknown source {source!r}.", code="bad_source")
    people = bulk.people_without_email(g.workspace.id, source, scope)
    return render_template(
        "finder/estimate.html",
        source=source,
        scope=scope,
        people=people,
        estimate=bulk.estimate(g.workspace.id, people),
    )


@bp.post("/bulk")
def start_bulk():
    """Start the finder job over a source's people without an email."""
    form = BulkFindForm()
    try:
        if not form.validate():
            raise InvalidInput("Choose whose emails to find (the source is missing).")
        job = bulk.start(
            g.workspace.id, current_user.id, form.source.data, form.scope.data or None
        )
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("finder.index"))
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("finder.job", job_id=job.id))


@bp.post("/reverify")
def reverify():
    """Re-verify now the contacts whose verification went stale."""
    form = ReverifyForm()
    try:
        if not form.validate():
            raise InvalidInput("Older than: a whole number of days.", code="bad_days")
        conditions = freshness.conditions_from(form.data, g.workspace.id)
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("finder.bad"))
    job = freshness.start(g.workspace.id, current_user.id, conditions)
    if job is None:
        flash("No contact matches, or a re-verification is running.", "info")
        return redirect(url_for("finder.bad"))
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    return redirect(url_for("finder.job", job_id=job.id))


@bp.get("/jobs/<job_id>")
def job(job_id: str):
    """A finder or re-verification job: live progress, then each person's answer."""
    found = jobs.get(g.workspace.id, job_id)
    if found.kind not in (bulk.KIND, freshness.KIND):
        raise NotFound("No such job.")
    return render_template(
        "finder/job.html",
        job=found,
        outcomes=bulk.outcomes(found),
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
    )


@bp.get("/bad")
def bad():
    """The smart list of people whose address went bad, and a conditional
    re-verification run with its estimate (only the contacts it will verify)."""
    try:
        conditions = freshness.conditions_from(request.args, g.workspace.id)
    except InvalidInput as exc:
        flash(exc.message, "error")
        conditions = freshness.conditions_from({}, g.workspace.id)
    return render_template(
        "finder/bad.html",
        contacts=freshness.bad_contacts(g.workspace.id),
        conditions=conditions,
        selected=len(freshness.due_contacts(g.workspace.id, conditions=conditions)),
        estimate=freshness.estimate(g.workspace.id, conditions),
        days=finder.freshness_days(g.workspace.id),
    )
