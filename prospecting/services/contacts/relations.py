"""Every table that points at a contact, found from the foreign keys, so that
merging, deleting and erasing reach tables other areas add later."""

from sqlalchemy import delete
from sqlalchemy import update

from prospecting.extensions import db


def relations() -> list[tuple]:
    """(table, column) of every column that points at contacts.id."""
    found = []
    for table in db.metadata.sorted_tables:
        if table.name == "contacts":
            continue
        for column in table.columns:
            if any(fk.target_fullname == "contacts.id" for fk in column.foreign_keys):
                found.append((table, column))
    return found


def detach(contact_ids: list[int]) -> None:
    """Remove the rows that belong to these contacts (a nullable reference is
    cleared instead), whatever each foreign key's ON DELETE says."""
    for table, column in relations():
        if column.nullable:
            stmt = (
                update(table).where(column.in_(contact_ids)).values({column.name: None})
            )
        else:
            stmt = delete(table).where(column.in_(contact_ids))
        db.session.execute(stmt)
