"""Removing people: delete a contact from the book, or erase the person everywhere
(confirmed by typing their address)."""

from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user

from prospecting.forms import ConfirmForm
from prospecting.services import contacts
from prospecting.services.contacts import erase as erasing
from prospecting.services.errors import InvalidInput
from prospecting.views.contacts import bp
from prospecting.views.contacts.contact_forms import EraseForm


@bp.get("/<int:contact_id>/delete")
def confirm_delete(contact_id: int):
    """Ask before removing a contact from the book."""
    contact = contacts.get_contact(g.workspace.id, contact_id)
    return render_template(
        "components/confirm.html",
        title="Delete contact",
        lines=[
            f"Delete {contact.name or erasing.confirmation(contact)} from the "
            "contact book?",
            "Their emails, phones, companies and sources go with them. To remove "
            "the person everywhere and keep them out of later imports, erase them.",
        ],
        form=ConfirmForm(),
        action=url_for("contacts.delete", contact_id=contact.id),
        button="Delete contact",
        cancel=url_for("contacts.show", contact_id=contact.id),
    )


@bp.post("/<int:contact_id>/delete")
def delete(contact_id: int):
    """Remove a contact from the book (PRG to the book)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    contacts.delete_contact(g.workspace.id, contact_id, user_id=current_user.id)
    flash("Contact deleted.", "info")
    return redirect(url_for("contacts.index"))


@bp.get("/<int:contact_id>/erase")
def erase_form(contact_id: int):
    """The erase page: what goes, confirmed by typing the address."""
    contact = contacts.get_contact(g.workspace.id, contact_id)
    return _page(contact, EraseForm())


def _page(contact, form, status: int = 200):
    return render_template(
        "contacts/erase.html",
        contact=contact,
        form=form,
        expected=erasing.confirmation(contact),
    ), status


@bp.post("/<int:contact_id>/erase")
def erase(contact_id: int):
    """Erase the person everywhere and suppress them, or show the page again (422)."""
    contact = contacts.get_contact(g.workspace.id, contact_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _page(contact, form, 422)
    try:
        done = erasing.erase_contact(
            g.workspace.id,
            contact_id,
            confirm=form.confirm.data,
            user_id=current_user.id,
        )
    except InvalidInput as exc:
        form.confirm.errors = [exc.message.removeprefix("confirm: ")]
        return _page(contact, form, 422)
    note = {
        "deleted": " and deleted in Airtable",
        "failed": "; deleting it in Airtable failed: delete the record there by hand",
    }.get(done["airtable"], "")
    flash(f"The person was erased and will be kept out of the book{note}.", "info")
    flash(f"Removed: {_removed(done)}.", "info")
    if done["not_scrubbed"]:
        names = ", ".join(f["file"] for f in done["not_scrubbed"])
        flash(f"Could not scrub these files; delete them by hand: {names}.", "error")
    return redirect(url_for("contacts.index"))


def _removed(done: dict) -> str:
    """What the erase removed where, in words ("2 enrichment rows, ...")."""
    parts = [f"{n} {key.replace('_', ' ')}" for key, n in done["removed"].items() if n]
    parts += [f"{f['rows']} rows of the file {f['file']}" for f in done["files"]]
    return ", ".join(parts) or "nothing besides the contact"
