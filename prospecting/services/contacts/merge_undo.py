"""Undoing a merge of duplicates within 30 days: the losers come back with their
rows as they were; the winner's fields the merge set go back unless edited since."""

from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactMerge
from prospecting.models.base import utcnow
from prospecting.services import audit
from prospecting.services import webhooks
from prospecting.services.contacts.book import brief
from prospecting.services.contacts.merge import UNDO_DAYS
from prospecting.services.contacts.merge import plain as _plain
from prospecting.services.contacts.merge import primaries as _primaries
from prospecting.services.contacts.merge import restored as _restored
from prospecting.services.contacts.relations import relations as _relations
from prospecting.services.errors import Conflict
from prospecting.services.errors import NotFound


def list_merges(workspace_id: int, limit: int = 50) -> list[ContactMerge]:
    """The workspace's latest merges, newest first."""
    return list(
        db.session.scalars(
            select(ContactMerge)
            .where(ContactMerge.workspace_id == workspace_id)
            .order_by(ContactMerge.id.desc())
            .limit(limit)
        )
    )


def undoable(record: ContactMerge) -> bool:
    return record.undone_at is None and record.created_at > utcnow() - timedelta(
        days=UNDO_DAYS
    )


def undo(
    workspace_id: int, merge_id: int, *, user_id: int | None = None
) -> ContactMerge:
    """Put the losers back as they were (commits); the winner's fields the merge
    changed go back unless edited since."""
    record = db.session.get(ContactMerge, merge_id)
    if record is None or record.workspace_id != workspace_id:
        raise NotFound("No such merge.")
    if record.undone_at is not None:
        raise Conflict("This merge was already undone.", code="already_undone")
    if not undoable(record):
        raise Conflict(
            f"A merge can be undone for {UNDO_DAYS} days only.", code="too_old"
        )
    winner = db.session.get(Contact, record.winner_id)
    if winner is None:
        raise Conflict("The merged contact was deleted since.", code="winner_gone")
    snap = record.snapshot
    table = Contact.__table__
    before = _restored(table, snap["winner"])
    for name, value in snap["set"].items():
        if _plain(getattr(winner, name)) == value:
            setattr(winner, name, before[name])
    try:
        db.session.flush()
        for row in snap["losers"]:
            db.session.execute(insert(table).values(_restored(table, row)))
        tables = {t.name: (t, c) for t, c in _relations()}
        for name, rows in snap["moved"].items():
            rel, column = tables[name]
            for row in rows:
                row = _restored(rel, row)
                now = [
                    c == (record.winner_id if c.name == column.name else row[c.name])
                    for c in rel.primary_key.columns
                ]
                done = db.session.execute(update(rel).where(*now).values(row))
                if not done.rowcount:
                    db.session.execute(insert(rel).values(row))
        for name, rows in snap["removed"].items():
            rel, _ = tables[name]
            for row in rows:
                db.session.execute(insert(rel).values(_restored(rel, row)))
        db.session.expire_all()
        winner = db.session.get(Contact, record.winner_id)
        _primaries(winner)
        record = db.session.get(ContactMerge, merge_id)
        record.undone_at = utcnow()
        audit.record(
            workspace_id,
            "contact.merge_undone",
            f"contact #{winner.id}",
            user_id=user_id,
            details={"merge_id": record.id, "loser_ids": record.loser_ids},
        )
        restored = [brief(db.session.get(Contact, i)) for i in record.loser_ids]
        webhooks.emit(workspace_id, "contact.updated", {"contacts": [brief(winner)]})
        webhooks.emit(workspace_id, "contact.created", {"contacts": restored})
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(
            "An email, phone or profile of these contacts now belongs to another "
            "contact: the merge cannot be undone.",
            code="undo_conflict",
        ) from exc
    return record
