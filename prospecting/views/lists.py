"""Lists and tags (/lists): the workspace's lists, a list's page (members,
export, Airtable sync, re-verification), bulk actions from any table of the
book, a results table's people brought onto a list, and tags."""

from urllib.parse import parse_qs
from urllib.parse import urlencode

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from prospecting import tasks
from prospecting.auth import safe_next
from prospecting.forms import BulkForm
from prospecting.forms import ImportToListForm
from prospecting.forms import ListForm
from prospecting.forms import RenameListForm
from prospecting.forms import TagsForm
from prospecting.services import contacts
from prospecting.services import enrichment
from prospecting.services import exports
from prospecting.services import jobs
from prospecting.services import lists
from prospecting.services.contacts import ContactFilter
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.errors import ServiceError
from prospecting.services.jobs import kinds as job_kinds
from prospecting.services.pages import Page
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options
from prospecting.views.responses import warn_if_not_sent

bp = Blueprint("lists", __name__, url_prefix="/lists")


@bp.app_context_processor
def _import_lists() -> dict:
    """`static_lists_for_import()` for the results tables' "Add to a list" form."""

    def static_lists_for_import():
        return (
            lists.static_lists(g.workspace.id) if getattr(g, "workspace", None) else []
        )

    return {"static_lists_for_import": static_lists_for_import}


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


def _where(query: str) -> ContactFilter:
    args = MultiDict([(k, v[0]) for k, v in parse_qs(query or "").items()])
    return lists.filters.from_args(args)


# The workspace's lists


@bp.get("/")
def index():
    """The workspace's lists with their sizes, and a form to add one."""
    return _index(ListForm(formdata=None))


def _index(form: ListForm, status: int = 200):
    return render_template(
        "lists/index.html",
        rows=lists.lists_of(g.workspace.id),
        form=form,
        tags=lists.tags_in_use(g.workspace.id),
    ), status


@bp.post("/")
def create():
    """Add a static list, or a smart list saving the book's filter it came from."""
    form = ListForm()
    if not form.validate_on_submit():
        return _index(form, 422)
    try:
        saved = lists.filters.to_dict(_where(form.filter.data))
        found = lists.create_list(g.workspace.id, form.name.data, form.kind.data, saved)
    except InvalidInput as exc:
        form.name.errors.append(exc.message)
        return _index(form, 422)
    flash(f"List “{found.name}” created.", "info")
    return redirect(url_for("lists.show", list_id=found.id))


@bp.get("/<int:list_id>")
def show(list_id: int):
    """A list's people (a smart list evaluated now) and what can be done with it."""
    found = lists.get_list(g.workspace.id, list_id)
    where = lists.members_filter(found)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    per_page = current_app.config["RESULTS_PER_PAGE"]
    rows, total = contacts.list_contacts(
        g.workspace.id, where, page=page, per_page=per_page
    )
    return render_template(
        "lists/show.html",
        found=found,
        contacts=rows,
        total=total,
        page=Page(rows, page, per_page, total),
        bulk=bulk_context(where, rows, total),
        rename=RenameListForm(formdata=None, name=found.name),
        book_args=lists.filters.to_args(
            lists.filters.from_dict(found.filter) if found.smart else where
        ),
        export_columns=[c.name for c in exports.tables.CONTACT_COLUMNS],
        estimate=lists.reverify_estimate(
            g.workspace.id, lists.selected_ids(g.workspace.id, where=where)
        ),
    )


@bp.post("/<int:list_id>/rename")
def rename(list_id: int):
    """Rename a list."""
    lists.get_list(g.workspace.id, list_id)
    form = RenameListForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput("Give the list a name.")
        lists.update_list(g.workspace.id, list_id, name=form.name.data)
    except InvalidInput as exc:
        flash(exc.message, "error")
    return redirect(url_for("lists.show", list_id=list_id))


@bp.post("/<int:list_id>/delete")
def delete(list_id: int):
    """Remove a list (its people stay in the book)."""
    found = lists.get_list(g.workspace.id, list_id)
    lists.delete_list(g.workspace.id, found.id)
    flash(f"List “{found.name}” deleted; its people stay in the book.", "info")
    return redirect(url_for("lists.index"))


@bp.get("/<int:list_id>/export")
def export(list_id: int):
    """The list's people as CSV or XLSX with the columns chosen."""
    found = lists.get_list(g.workspace.id, list_id)
    opts = export_options()
    header, rows = lists.export_table(
        g.workspace.id, lists.member_ids_query(found), opts.columns
    )
    return export_download(exports.stream(header, rows, opts), opts, "list")


@bp.post("/<int:list_id>/sync")
def sync(list_id: int):
    """Sync the list's people to Airtable (the sync job, restricted to them)."""
    return _act_on_list(list_id, "sync")


@bp.post("/<int:list_id>/reverify")
def reverify(list_id: int):
    """Re-verify the emails of the list's people (a job under the cost caps)."""
    return _act_on_list(list_id, "reverify")


def _act_on_list(list_id: int, action: str):
    found = lists.get_list(g.workspace.id, list_id)
    ids = lists.selected_ids(g.workspace.id, where=lists.members_filter(found))
    return _run(ids, action, None, None, url_for("lists.show", list_id=found.id))


# Bulk actions from any table of the book


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
    return _run(ids, action, form.target_list.data, form.tag_name.data, back)


def _selection(form: BulkForm) -> list[int]:
    ws = g.workspace.id
    if form.scope.data == "all":
        return lists.selected_ids(ws, where=_where(form.filter.data))
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


def _run(ids: list[int], action: str, list_id, tag, back: str):
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


# A results table's people onto a list


@bp.post("/import/<job_id>")
def import_to_list(job_id: str):
    """Bring a job's people (enrichment results, people-search profiles,
    prospects) into the book through the quality gate, then put them on the
    list chosen."""
    found = jobs.get(g.workspace.id, job_id)
    sources = {kind: name for name, kind in contacts.IMPORT_SOURCES.items() if kind}
    if found.kind not in sources:
        raise NotFound("No such results table.")
    source = sources[found.kind]
    form = ImportToListForm()
    back = safe_next(form.next.data or url_for("lists.index"))
    if not form.validate_on_submit():
        flash("Choose a list.", "error")
        return redirect(back)
    try:
        row_ids, row_filter = _chosen_rows(form, source, found.id)
        job = lists.start_import_to_list(
            g.workspace.id,
            current_user.id,
            source,
            job_id,
            form.target_list.data,
            include_risky=bool(form.include_risky.data),
            row_ids=row_ids,
            row_filter=row_filter,
        )
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(back)
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job.id)))
    flash("Adding these people to the book, then to the list.", "info")
    return redirect(url_for("contacts.import_job", job_id=job.id))


def _chosen_rows(form: ImportToListForm, source: str, job_id: str):
    """(row ids, results filter) of the rows the form chose; InvalidInput when
    none is checked or "all matching" is not confirmed with its current count."""
    scope = form.scope.data or "job"
    if scope == "selected":
        if not form.row_ids.data:
            raise InvalidInput("Check the rows to add first.", code="no_rows")
        return list(form.row_ids.data), None
    if scope == "page":
        raw = (form.page_ids.data or "").split(",")
        return [int(v) for v in raw if v.strip().isdigit() and len(v) < 12], None
    if scope != "all":
        return None, None
    row_filter = None
    if source == "enrichment":
        row_filter = enrichment.row_filter(
            form.status.data, form.verdict.data, form.flag.data, strict=False
        )
    total = contacts.count_import_rows(source, job_id, row_filter)
    if form.confirm_count.data != total:
        raise InvalidInput(
            f"confirm_count: tick the box to confirm adding all {total} matching rows.",
            code="not_confirmed",
        )
    return None, row_filter


# Tags


@bp.post("/contacts/<int:contact_id>/tags")
def contact_tags(contact_id: int):
    """Set a contact's tags (comma-separated)."""
    contacts.get_contact(g.workspace.id, contact_id)
    back = url_for("contacts.show", contact_id=contact_id)
    return _save_tags(lists.set_contact_tags, contact_id, back)


@bp.post("/companies/<int:company_id>/tags")
def company_tags(company_id: int):
    """Set a company's tags (comma-separated)."""
    contacts.get_company(g.workspace.id, company_id)
    back = url_for("contacts.company", company_id=company_id)
    return _save_tags(lists.set_company_tags, company_id, back)


def _save_tags(set_tags, owner_id: int, back: str):
    """Save the posted tags with `set_tags` and go back, saying how it went."""
    form = TagsForm()
    try:
        tags = lists.parse_tag_text(form.tags.data or "")
        set_tags(g.workspace.id, owner_id, tags)
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(back)
    flash("Tags saved.", "info")
    return redirect(back)
