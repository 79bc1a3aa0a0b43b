"""Duplicates in the book: the candidate groups, a merge's preview, the merge
itself and the merges that can still be undone."""

from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from prospecting.forms import ConfirmForm
from prospecting.services.contacts import duplicates
from prospecting.services.contacts import merge as merging
from prospecting.services.contacts import merge_undo
from prospecting.services.errors import ServiceError
from prospecting.views.contacts import bp
from prospecting.views.contacts import page_number
from prospecting.views.contacts.contact_forms import MergeForm

GROUPS_PER_PAGE = 50


@bp.get("/duplicates")
def duplicates_index():
    """The groups of candidate duplicates, with the rules that matched."""
    page = page_number()
    groups, total = duplicates.find_groups(
        g.workspace.id, page=page, per_page=GROUPS_PER_PAGE
    )
    return render_template(
        "contacts/duplicates.html",
        groups=groups,
        total=total,
        page=page,
        pages=max(1, -(-total // GROUPS_PER_PAGE)),
        rules=duplicates.RULES,
    )


def _ids(raw: list[str]) -> list[int]:
    ids = []
    for value in raw:
        for part in str(value).split(","):
            if part.strip().isascii() and part.strip().isdigit():
                ids.append(int(part))
    return list(dict.fromkeys(ids))


@bp.get("/duplicates/preview")
def merge_preview():
    """What merging the chosen contacts into the one kept would do."""
    winner = request.args.get("winner", type=int)
    losers = [i for i in _ids(request.args.getlist("ids")) if i != winner]
    if not winner or not losers:
        flash("Choose the contact to keep and at least one other.", "error")
        return redirect(url_for("contacts.duplicates_index"))
    plan = merging.preview(g.workspace.id, winner, losers)
    form = MergeForm(winner_id=str(winner), loser_ids=",".join(str(i) for i in losers))
    return render_template("contacts/merge_preview.html", plan=plan, form=form)


@bp.post("/duplicates/merge")
def merge():
    """Merge the previewed contacts into the one kept (PRG to it)."""
    form = MergeForm()
    if not form.validate_on_submit():
        abort(400)
    winner = int(form.winner_id.data) if form.winner_id.data.isdigit() else None
    try:
        _, record = merging.merge(
            g.workspace.id,
            winner,
            _ids([form.loser_ids.data]),
            user_id=current_user.id,
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("contacts.duplicates_index"))
    flash(
        f"Merged {len(record.loser_ids)} contact(s) into this one; "
        f"it can be undone for {merging.UNDO_DAYS} days from the merges page.",
        "info",
    )
    return redirect(url_for("contacts.show", contact_id=record.winner_id))


@bp.get("/merges")
def merges():
    """The latest merges, each with its undo while it can be undone."""
    records = merge_undo.list_merges(g.workspace.id)
    return render_template(
        "contacts/merges.html",
        records=records,
        undoable=merge_undo.undoable,
        form=ConfirmForm(),
        days=merging.UNDO_DAYS,
    )


@bp.post("/merges/<int:merge_id>/undo")
def undo_merge(merge_id: int):
    """Undo a merge: the merged contacts come back as they were."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        merge_undo.undo(g.workspace.id, merge_id, user_id=current_user.id)
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        flash(exc.message, "error")
    else:
        flash("The merge was undone.", "info")
    return redirect(url_for("contacts.merges"))
