"""Who is on a static list: the contacts a selection names, adding and removing
them, and the `list.updated` event that announces a change."""

from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactList
from prospecting.models import ListMember
from prospecting.models.base import utcnow
from prospecting.services import webhooks
from prospecting.services.contacts import ContactFilter
from prospecting.services.contacts import contacts_query
from prospecting.services.errors import InvalidInput
from prospecting.services.lists.lists import get_list

CHUNK = 500
# At most this many ids ride in one list.updated event (the count is always there).
EVENT_IDS = 1000
MAX_IDS = 10_000


def chunks(ids: list[int], size: int = CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def check_ids(values, field: str = "contact_ids") -> list[int]:
    """A JSON list of contact ids, checked (InvalidInput naming the field)."""
    if not isinstance(values, list) or not values:
        raise InvalidInput(
            f"{field} must be a non-empty list of contact ids.",
            code=f"bad_{field}",
            details={"field": field},
        )
    if len(values) > MAX_IDS:
        raise InvalidInput(
            f"{field}: at most {MAX_IDS} ids at once (send a filter for more).",
            code=f"bad_{field}",
            details={"field": field},
        )
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInput(
                f"{field} must hold contact ids (whole numbers); got {value!r}.",
                code=f"bad_{field}",
                details={"field": field},
            )
    return list(dict.fromkeys(values))


def selected_ids(
    workspace_id: int,
    *,
    ids: list[int] | None = None,
    where: ContactFilter | None = None,
) -> list[int]:
    """The workspace's contacts a selection names: these ids (others' and unknown
    ones dropped), or every contact matching the filter; in id order."""
    if where is not None:
        stmt = contacts_query(workspace_id, where).with_only_columns(Contact.id)
        return list(db.session.scalars(stmt.order_by(Contact.id)))
    found: list[int] = []
    for part in chunks(sorted(set(ids or ()))):
        found += db.session.scalars(
            select(Contact.id)
            .where(Contact.workspace_id == workspace_id, Contact.id.in_(part))
            .order_by(Contact.id)
        )
    return found


def _static(workspace_id: int, list_id: int) -> ContactList:
    found = get_list(workspace_id, list_id, field="list_id")
    if found.smart:
        raise InvalidInput(
            "A smart list's members follow its filter; add people to a static list.",
            code="smart_list",
            details={"field": "list_id"},
        )
    return found


def add_members(
    workspace_id: int, list_id: int, contact_ids: list[int], *, announce: bool = True
) -> int:
    """Put the contacts on the static list (those already on it stay); how many
    were added. Committed, with the list.updated event when `announce`."""
    found = _static(workspace_id, list_id)
    added = insert_members(found, contact_ids)
    if added:
        found.updated_at = utcnow()
        if announce:
            announce_change(found, added=added)
    db.session.commit()
    return len(added)


def insert_members(found: ContactList, contact_ids: list[int]) -> list[int]:
    """Add the rows of the contacts not yet on the list (flushed); their ids."""
    added: list[int] = []
    for part in chunks(contact_ids):
        there = set(
            db.session.scalars(
                select(ListMember.contact_id).where(
                    ListMember.list_id == found.id, ListMember.contact_id.in_(part)
                )
            )
        )
        new = [i for i in part if i not in there]
        db.session.add_all(ListMember(list_id=found.id, contact_id=i) for i in new)
        added += new
    db.session.flush()
    return added


def remove_members(
    workspace_id: int, list_id: int, contact_ids: list[int], *, announce: bool = True
) -> int:
    """Take the contacts off the static list; how many were on it (committed)."""
    found = _static(workspace_id, list_id)
    removed: list[int] = []
    for part in chunks(contact_ids):
        removed += db.session.scalars(
            select(ListMember.contact_id).where(
                ListMember.list_id == found.id, ListMember.contact_id.in_(part)
            )
        )
        db.session.execute(
            delete(ListMember).where(
                ListMember.list_id == found.id, ListMember.contact_id.in_(part)
            )
        )
    if removed:
        found.updated_at = utcnow()
        if announce:
            announce_change(found, removed=removed)
    db.session.commit()
    return len(removed)


def announce_change(
    found: ContactList,
    *,
    added: list[int] = (),
    removed: list[int] = (),
    added_count: int | None = None,
    removed_count: int | None = None,
) -> None:
    """Queue `list.updated` in the caller's transaction (a bulk job gives only
    its counts)."""
    webhooks.emit(
        found.workspace_id,
        "list.updated",
        {
            "list": {"id": found.id, "name": found.name, "kind": found.kind},
            "added": len(added) if added_count is None else added_count,
            "removed": len(removed) if removed_count is None else removed_count,
            "added_ids": list(added)[:EVENT_IDS],
            "removed_ids": list(removed)[:EVENT_IDS],
        },
    )
