"""A list, or a selection of the book, as an export (through services/exports)."""

from sqlalchemy import select

from prospecting.models import Company
from prospecting.models import Contact
from prospecting.services import exports
from prospecting.services.exports.tables import CONTACT_COLUMNS


def export_table(workspace_id: int, ids, columns: str | None = None):
    """The header and rows of the contacts whose ids `ids` selects (a SELECT of
    Contact.id, or a list of ids), with the book's export columns."""
    base = (
        select()
        .select_from(Contact)
        .outerjoin(Company, Contact.company_id == Company.id)
        .where(Contact.workspace_id == workspace_id, Contact.id.in_(ids))
    )
    return exports.tables.table(
        base, Contact.id, exports.pick(CONTACT_COLUMNS, columns)
    )
