"""A results table's people (enrichment, people search, prospects) brought into
the book and onto a list."""

from flask import flash
from flask import g
from flask import redirect
from flask import url_for
from flask_login import current_user

from prospecting import tasks
from prospecting.auth import safe_next
from prospecting.forms import ImportToListForm
from prospecting.services import contacts
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services import lists
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.views.lists import bp
from prospecting.views.responses import warn_if_not_sent


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
