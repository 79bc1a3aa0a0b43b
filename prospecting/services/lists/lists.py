"""Lists of the book: create, read, rename, re-filter and delete them, and the
built-in "Went bad" smart list."""

from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactList
from prospecting.models.base import utcnow
from prospecting.models.lists import LIST_KINDS
from prospecting.services.contacts import ContactFilter
from prospecting.services.contacts import contacts_query
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.lists import filters

WENT_BAD = "went_bad"
WENT_BAD_NAME = "Went bad"
MAX_NAME = 120


def _name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(
            "name: give the list a name.", code="bad_name", details={"field": "name"}
        )
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise InvalidInput(
            f"name: at most {MAX_NAME} characters.",
            code="bad_name",
            details={"field": "name"},
        )
    return name


def _unique(workspace_id: int, name: str, list_id: int | None = None) -> None:
    other = db.session.scalar(
        select(ContactList.id).where(
            ContactList.workspace_id == workspace_id,
            func.lower(ContactList.name) == name.lower(),
        )
    )
    if other is not None and other != list_id:
        raise InvalidInput(
            f"name: a list called “{name}” already exists.",
            code="duplicate_name",
            details={"field": "name"},
        )


def _smart_filter(workspace_id: int, values) -> dict:
    """A smart list's filter, checked; a list inside it must be a static one."""
    where = filters.from_dict(values)
    if where.list_id:
        inner = get_list(workspace_id, where.list_id, field="filter.list_id")
        if inner.smart:
            raise InvalidInput(
                "filter.list_id: a smart list can narrow to a static list only.",
                code="bad_list_id",
                details={"field": "list_id"},
            )
    return filters.to_dict(where)


def create_list(
    workspace_id: int, name, kind: str = "static", filter_values=None
) -> ContactList:
    """A new static list, or a smart list saving `filter_values` (committed)."""
    if kind not in LIST_KINDS:
        raise InvalidInput(
            "kind must be static or smart.", code="bad_kind", details={"field": "kind"}
        )
    name = _name(name)
    _unique(workspace_id, name)
    saved = _smart_filter(workspace_id, filter_values) if kind == "smart" else {}
    found = ContactList(workspace_id=workspace_id, name=name, kind=kind, filter=saved)
    db.session.add(found)
    db.session.commit()
    return found


def get_list(workspace_id: int, list_id, *, field: str | None = None) -> ContactList:
    """A list of the workspace, or NotFound (naming `field` when given)."""
    found = db.session.get(ContactList, list_id) if isinstance(list_id, int) else None
    if found is None or found.workspace_id != workspace_id:
        details = {"field": field} if field else None
        raise NotFound("No such list.", code="list_not_found", details=details)
    return found


def update_list(
    workspace_id: int, list_id: int, *, name=None, filter_values=None
) -> ContactList:
    """Rename a list and/or change a smart list's filter (committed)."""
    found = get_list(workspace_id, list_id)
    if found.builtin:
        raise Conflict("This list is kept by the product and cannot be changed.")
    if name is not None:
        found.name = _name(name)
        _unique(workspace_id, found.name, found.id)
    if filter_values is not None:
        if not found.smart:
            raise InvalidInput(
                "filter: only a smart list has a filter.",
                code="bad_filter",
                details={"field": "filter"},
            )
        found.filter = _smart_filter(workspace_id, filter_values)
    found.updated_at = utcnow()
    db.session.commit()
    return found


def delete_list(workspace_id: int, list_id: int) -> None:
    """Remove a list (its contacts stay in the book)."""
    found = get_list(workspace_id, list_id)
    if found.builtin:
        raise Conflict("This list is kept by the product and cannot be deleted.")
    db.session.delete(found)
    db.session.commit()


def members_filter(found: ContactList) -> ContactFilter:
    """The book's filter that shows the list's contacts."""
    return ContactFilter(list_id=found.id)


def member_ids_query(found: ContactList):
    """A SELECT of the ids of the list's contacts (a smart list evaluated now)."""
    stmt = contacts_query(found.workspace_id, members_filter(found))
    return stmt.with_only_columns(Contact.id).order_by(None)


def count_members(found: ContactList) -> int:
    return db.session.scalar(
        select(func.count()).select_from(member_ids_query(found).subquery())
    )


def lists_of(workspace_id: int) -> list[tuple[ContactList, int]]:
    """The workspace's lists (built-in first, then by name) with their sizes."""
    found = db.session.scalars(
        select(ContactList)
        .where(ContactList.workspace_id == workspace_id)
        .order_by(ContactList.builtin.is_(None), func.lower(ContactList.name))
    ).all()
    return [(each, count_members(each)) for each in found]


def static_lists(workspace_id: int) -> list[ContactList]:
    """The lists people can be added to, by name."""
    return list(
        db.session.scalars(
            select(ContactList)
            .where(ContactList.workspace_id == workspace_id)
            .where(ContactList.kind == "static")
            .order_by(func.lower(ContactList.name))
        )
    )


def ensure_went_bad(workspace_id: int) -> ContactList:
    """The workspace's built-in smart list of people whose address went bad,
    created the first time (flushed: the caller commits)."""
    found = db.session.scalar(
        select(ContactList).where(
            ContactList.workspace_id == workspace_id, ContactList.builtin == WENT_BAD
        )
    )
    if found is None:
        name = WENT_BAD_NAME
        taken = db.session.scalar(
            select(ContactList.id).where(
                ContactList.workspace_id == workspace_id, ContactList.name == name
            )
        )
        found = ContactList(
            workspace_id=workspace_id,
            name=f"{name} (re-verification)" if taken else name,
            kind="smart",
            filter={"went_bad": True},
            builtin=WENT_BAD,
        )
        db.session.add(found)
        db.session.flush()
    return found
