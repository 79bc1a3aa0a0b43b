"""Tags of a contact and of a company."""

from flask import flash
from flask import g
from flask import redirect
from flask import url_for

from prospecting.services import contacts
from prospecting.services import lists
from prospecting.services.errors import InvalidInput
from prospecting.views.lists import bp
from prospecting.views.lists.forms import TagsForm


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
