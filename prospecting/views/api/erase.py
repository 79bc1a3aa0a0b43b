"""JSON API: erasing a person from the workspace (confirmed with their address)."""

from flask import jsonify
from flask import request

from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.services import contacts
from prospecting.services.contacts import erase
from prospecting.services.errors import InvalidInput
from prospecting.views.api import bp
from prospecting.views.api.book import _body
from prospecting.views.api.book import _id
from prospecting.views.api.book import _text


@bp.post("/api/v1/contacts/<contact_id>/erase")
@token_required
def erase_contact(contact_id: str):
    """Erase the person everywhere, suppress them, delete them in Airtable."""
    # Unreadable JSON is a 400 and another workspace's contact a 404, before the
    # missing confirmation (422).
    body = _body() if request.get_data(cache=True).strip() else None
    contact = contacts.get_contact(workspace_id(), _id(contact_id, "contact"))
    if body is None:
        raise InvalidInput("Send a JSON object.", code="invalid_json")
    confirm = _text(body, "confirm")
    return jsonify(erase.erase_contact(workspace_id(), contact.id, confirm=confirm))
