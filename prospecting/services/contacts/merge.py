"""Merging duplicate contacts into one, and its preview (undo: `merge_undo`).

The winner keeps each of its values; an empty one takes the first loser's. The
losers' other values are never dropped silently: every email and phone becomes
one more of the winner's, and every row of any table that points at a contact
(companies with roles, sources, list memberships, whatever a later area adds)
moves to the winner, found from the foreign keys so that new tables move too. A
loser's value of a one-value field that does not survive is shown in the preview
and kept in the merge record, which holds everything undoing needs.
"""

from datetime import date
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime
from sqlalchemy import UniqueConstraint
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactEmail
from prospecting.models import ContactMerge
from prospecting.models import ContactPhone
from prospecting.models.base import utcnow
from prospecting.services import audit
from prospecting.services import webhooks
from prospecting.services.contacts.book import brief
from prospecting.services.contacts.book import get_contact
from prospecting.services.contacts.relations import relations
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound

# One-value fields, in the order the preview shows them.
FIELDS = (
    "name",
    "email",
    "phone",
    "title",
    "location",
    "linkedin_url",
    "company_id",
    "addresses",
    "crm_record_id",
)
UNDO_DAYS = 30
MAX_LOSERS = 20


def plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(mapping) -> dict:
    return {k: plain(v) for k, v in dict(mapping).items()}


def restored(table, row: dict) -> dict:
    """A row as stored in a snapshot, back in its columns' Python types."""
    out = {}
    for name, value in row.items():
        column = table.c[name]
        if isinstance(column.type, DateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        out[name] = value
    return out


def _losers(workspace_id: int, winner_id, loser_ids) -> tuple[Contact, list[Contact]]:
    for value, name in ((winner_id, "winner_id"),):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{name} must be a contact's id.", code=f"bad_{name}")
    if (
        not isinstance(loser_ids, list)
        or not loser_ids
        or any(isinstance(i, bool) or not isinstance(i, int) for i in loser_ids)
    ):
        raise InvalidInput(
            "loser_ids must be a list of contact ids.", code="bad_loser_ids"
        )
    ids = list(dict.fromkeys(loser_ids))
    if winner_id in ids:
        raise InvalidInput(
            "The winner cannot also be merged into itself.", code="bad_loser_ids"
        )
    if len(ids) > MAX_LOSERS:
        raise InvalidInput(
            f"Merge at most {MAX_LOSERS} contacts at once.", code="bad_loser_ids"
        )
    winner = get_contact(workspace_id, winner_id)
    losers = []
    for contact_id in ids:
        try:
            losers.append(get_contact(workspace_id, contact_id))
        except NotFound as exc:
            raise NotFound(f"No such contact #{contact_id}.") from exc
    return winner, losers


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _label(contact: Contact, name: str, value):
    if name == "company_id" and value:
        from prospecting.models import Company

        company = db.session.get(Company, value)
        return company.name if company else value
    return value


def preview(workspace_id: int, winner_id, loser_ids) -> dict:
    """What merging `loser_ids` into `winner_id` would do: each field's surviving
    value and the others, and every value and relation that moves."""
    winner, losers = _losers(workspace_id, winner_id, loser_ids)
    return _preview(winner, losers)


def _preview(winner: Contact, losers: list[Contact]) -> dict:
    fields = []
    for name in FIELDS:
        value, source = getattr(winner, name), winner.id
        if _empty(value):
            for loser in losers:
                if not _empty(getattr(loser, name)):
                    value, source = getattr(loser, name), loser.id
                    break
        others = [
            {
                "contact_id": c.id,
                "value": getattr(c, name),
                "shown": _label(c, name, getattr(c, name)),
            }
            for c in [winner, *losers]
            if c.id != source
            and not _empty(getattr(c, name))
            and getattr(c, name) != value
        ]
        fields.append(
            {
                "field": name,
                "value": value,
                "shown": _label(winner, name, value),
                "from": source if not _empty(value) else None,
                "others": others,
            }
        )
    ids = [c.id for c in losers]
    moves = []
    for table, column in relations():
        rows = db.session.execute(select(table).where(column.in_(ids))).mappings().all()
        if rows:
            moves.append(
                {"table": table.name, "rows": [_describe(table.name, r) for r in rows]}
            )
    provider_ids = {}
    for contact in [*reversed(losers), winner]:
        provider_ids.update(
            {k: v for k, v in (contact.provider_ids or {}).items() if v}
        )
    return {
        "winner_id": winner.id,
        "loser_ids": ids,
        "fields": fields,
        "moves": moves,
        "provider_ids": provider_ids,
        "locked_fields": sorted(
            {f for c in [winner, *losers] for f in (c.locked_fields or [])}
        ),
    }


def _describe(table: str, row) -> dict:
    """A moving row as the preview shows it (the interesting columns only)."""
    keep = ("email", "phone", "company_id", "role", "source", "ref", "list_id", "tag")
    out = {k: plain(row[k]) for k in keep if k in row}
    if table == "contact_companies" and row.get("company_id"):
        from prospecting.models import Company

        company = db.session.get(Company, row["company_id"])
        out["company"] = company.name if company else None
    return out


def merge(
    workspace_id: int,
    winner_id,
    loser_ids,
    *,
    user_id: int | None = None,
    dry_run: bool = False,
) -> tuple[dict, ContactMerge | None]:
    """Merge the losers into the winner (commits), or only preview it (dry run);
    the preview and the merge record."""
    winner, losers = _losers(workspace_id, winner_id, loser_ids)
    plan = _preview(winner, losers)
    if dry_run:
        return plan, None
    ids = plan["loser_ids"]
    snapshot = {
        "winner": _row(_contact_row(winner.id)),
        "losers": [_row(_contact_row(i)) for i in ids],
        "moved": {},
        "removed": {},
        "set": {},
    }
    briefs = [brief(c) for c in losers]
    for table, column in relations():
        _move(table, column, ids, winner.id, snapshot)
    db.session.execute(delete(Contact.__table__).where(Contact.id.in_(ids)))
    db.session.expire_all()
    winner = db.session.get(Contact, winner.id)
    for item in plan["fields"]:
        name, value = item["field"], item["value"]
        if getattr(winner, name) != value:
            setattr(winner, name, value)
            snapshot["set"][name] = plain(value)
            if name == "linkedin_url":
                key = next(
                    (
                        row["linkedin_key"]
                        for row in snapshot["losers"]
                        if row["linkedin_url"] == value
                    ),
                    None,
                )
                winner.linkedin_key = key
                snapshot["set"]["linkedin_key"] = key
    winner.provider_ids = plan["provider_ids"]
    winner.locked_fields = plan["locked_fields"]
    primaries(winner)
    winner.updated_at = utcnow()
    winner.sync_failed, winner.sync_error = False, None
    record = ContactMerge(
        workspace_id=workspace_id,
        winner_id=winner.id,
        loser_ids=ids,
        snapshot=snapshot,
        user_id=user_id,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        workspace_id,
        "contact.merged",
        f"contact #{winner.id}",
        user_id=user_id,
        details={"merge_id": record.id, "loser_ids": ids},
    )
    webhooks.emit(workspace_id, "contact.updated", {"contacts": [brief(winner)]})
    webhooks.emit(
        workspace_id,
        "contact.deleted",
        {"contacts": [b | {"merged_into": winner.id} for b in briefs]},
    )
    db.session.commit()
    return plan, record


def _contact_row(contact_id: int):
    return (
        db.session.execute(select(Contact.__table__).where(Contact.id == contact_id))
        .mappings()
        .one()
    )


def _move(table, column, loser_ids: list[int], winner_id: int, snapshot) -> None:
    """Point the losers' rows of `table` at the winner; a row the winner already
    has (a unique key says so) is removed instead. Both kept in the snapshot."""
    pk = list(table.primary_key.columns)
    keys = [pk] if column.name in table.primary_key.columns else []
    keys += [
        list(i.columns) for i in table.indexes if i.unique and column.name in i.columns
    ]
    keys += [
        list(c.columns)
        for c in table.constraints
        if isinstance(c, UniqueConstraint) and column.name in c.columns
    ]
    rows = db.session.execute(select(table).where(column.in_(loser_ids))).mappings()
    for row in rows.all():
        taken = any(
            db.session.execute(
                select(column).where(
                    column == winner_id,
                    *[c == row[c.name] for c in key if c is not column],
                )
            ).first()
            for key in keys
        )
        where = [c == row[c.name] for c in pk]
        if taken:
            db.session.execute(delete(table).where(*where))
            snapshot["removed"].setdefault(table.name, []).append(_row(row))
        else:
            db.session.execute(
                update(table).where(*where).values({column.name: winner_id})
            )
            snapshot["moved"].setdefault(table.name, []).append(_row(row))


def primaries(winner: Contact) -> None:
    """One primary email and phone: the winner's surviving ones."""
    for model, column, value in (
        (ContactEmail, ContactEmail.email, winner.email),
        (ContactPhone, ContactPhone.phone, winner.phone),
    ):
        db.session.execute(
            update(model)
            .where(model.contact_id == winner.id)
            .values(is_primary=column == value if value else False)
        )
