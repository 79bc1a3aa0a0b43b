"""Bulk actions from any table of the book (checked rows, the page, or every
contact matching the filter), the selection's export and a bulk job's page."""

from urllib.parse import parse_qs
from urllib.parse import urlencode

from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from prospecting import tasks
from prospecting.auth import safe_next
from prospecting.services import exports
from prospecting.services import jobs
from prospecting.services import lists
from prospecting.services.contacts import ContactFilter
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.errors import ServiceError
from prospecting.services.jobs import kinds as job_kinds
from prospecting.views.lists import bp
from prospecting.views.lists import where_of
from prospecting.views.lists.forms import BulkForm
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options
from prospecting.views.responses import warn_if_not_sent


def bulk_context(where: ContactFilter, rows, total: int) -> dict:
    """What the bulk bar of a table of the book needs (`lists/_bulk.html`)."""
    return {
        "total": total,
        "ids": ",".join(str(c.id) for c in rows),
        "filter": urlencode(lists.filters.to_args(where)),
        "lists": lists.static_lists(g.workspace.id),
        "actions": lists.ACTIONS,
        "next": request.full_path.rstrip("?"),
        "form": BulkForm(formdata=None),
    }


@bp.post("/bulk")
def bulk():
    """A bulk action on the checked rows, the page, or every contact matching the
    filter: confirmed first when it goes over the whole filter, deletes or costs."""
    form = BulkForm()
    back = safe_next(form.next.data or url_for("contacts.index"))
    if not form.validate_on_submit():
        flash("The bulk action's form was incomplete; nothing was done.", "error")
        return redirect(back)
    action = form.action.data
    ids = _selection(form)
    if not ids:
        flash("Select at least one contact.", "error")
        return redirect(back)
    if action == "export":
        return redirect(_export_url(form, ids), 303)
    try:
        lists.bulk.check(
            g.workspace.id,
            action,
            list_id=form.target_list.data,
            tag=form.tag_name.data,
        )
    except (InvalidInput, NotFound) as exc:
        flash(exc.message, "error")
        return redirect(back)
    needs_confirm = form.scope.data == "all" or action in ("delete", "reverify")
    if needs_confirm and not form.confirmed.data:
        return render_template(
            "lists/confirm.html",
            form=form,
            count=len(ids),
            action=lists.ACTIONS[action],
            estimate=lists.reverify_estimate(g.workspace.id, ids)
            if action == "reverify"
            else None,
            selected=form.ids.data,
            cancel=back,
        )
    return run(ids, action, form.target_list.data, form.tag_name.data, back)


def _selection(form: BulkForm) -> list[int]:
    ws = g.workspace.id
    if form.scope.data == "all":
        return lists.selected_ids(ws, where=where_of(form.filter.data))
    raw = (
        (form.page_ids.data or "").split(",")
        if form.scope.data == "page"
        else form.ids.data or []
    )
    ids = [int(v) for v in raw if v.strip().isdigit() and len(v.strip()) < 10]
    return lists.selected_ids(ws, ids=ids) if ids else []


def _export_url(form: BulkForm, ids: list[int]) -> str:
    if form.scope.data == "all":
        return url_for("lists.export_selection", **_args(form.filter.data))
    return url_for("lists.export_selection", ids=",".join(map(str, ids)))


def _args(query: str) -> dict:
    return {k: v[0] for k, v in parse_qs(query or "").items()}


def run(ids: list[int], action: str, list_id, tag, back: str):
    """Run a bulk action on `ids` (a list's page sends its own); to its job's
    page, or back to `back` saying how it went."""
    try:
        outcome = lists.run(
            g.workspace.id,
            current_user.id,
            ids,
            action=action,
            list_id=list_id,
            tag=tag,
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(back)
    flash(outcome.message, "info")
    if outcome.job is None:
        return redirect(back)
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(outcome.job.id)))
    return redirect(_job_page(outcome.job))


def _job_page(job) -> str:
    kind = job_kinds.get(job.kind)
    return url_for(kind.page, job_id=job.id) if kind.page else url_for("lists.index")


@bp.get("/selection/export")
def export_selection():
    """Checked rows (`ids`) or every contact matching the book's filter, as an
    export."""
    opts = export_options()
    raw = request.args.get("ids")
    if raw:
        ids = [int(v) for v in raw.split(",") if v.isdigit() and len(v) < 10]
        ids = lists.selected_ids(g.workspace.id, ids=ids)
    else:
        ids = lists.selected_ids(
            g.workspace.id, where=lists.filters.from_args(request.args)
        )
    header, rows = lists.export_table(g.workspace.id, ids, opts.columns)
    return export_download(exports.stream(header, rows, opts), opts, "contacts")


@bp.get("/jobs/<job_id>")
def job(job_id: str):
    """A bulk action's job: live progress."""
    found = jobs.get(g.workspace.id, job_id, kind=lists.KIND)
    return render_template(
        "lists/job.html",
        job=found,
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
    )
