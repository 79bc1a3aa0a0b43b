"""The workspace's lists and a list's page: its people, export, Airtable sync
and re-verification."""

from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from prospecting.services import contacts
from prospecting.services import exports
from prospecting.services import lists
from prospecting.services.errors import InvalidInput
from prospecting.services.pages import Page
from prospecting.views.lists import bp
from prospecting.views.lists import bulk
from prospecting.views.lists import where_of
from prospecting.views.lists.forms import ListForm
from prospecting.views.lists.forms import RenameListForm
from prospecting.views.responses import export_download
from prospecting.views.responses import export_options


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
        saved = lists.filters.to_dict(where_of(form.filter.data))
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
        bulk=bulk.bulk_context(where, rows, total),
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
    return bulk.run(ids, action, None, None, url_for("lists.show", list_id=found.id))
