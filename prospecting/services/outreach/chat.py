"""Chatbot messages: a crawler's conversation replies, queued for dispatch at once."""

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Creator
from prospecting.models import MessageLog
from prospecting.models.base import utcnow
from prospecting.services import jobs
from prospecting.services.outreach.dispatch import create_dispatch_job
from prospecting.services.outreach.schemas import ChatItem
from prospecting.services.outreach.upserts import log_changes
from prospecting.services.outreach.upserts import sync


def queue_chat(
    workspace_id: int, items: list[ChatItem], *, now: datetime | None = None
) -> tuple[int, list[tuple[int, str]]]:
    """Queue the messages of each item for its creator; returns (messages, batches)."""
    now = now or utcnow()
    wanted = {item.platform_creator_id for item in items}
    creators = {}
    for creator in db.session.scalars(
        select(Creator)
        .where(
            Creator.workspace_id == workspace_id,
            Creator.platform_creator_id.in_(wanted),
        )
        .order_by(Creator.id)
    ):
        creators.setdefault(creator.platform_creator_id, creator)
    unknown = [i for i in dict.fromkeys(wanted) if i not in creators]
    creators.update(_record_creators(workspace_id, unknown, now))
    messages = [
        MessageLog(
            workspace_id=workspace_id,
            creator_id=creators[item.platform_creator_id].id,
            source="chatbot",
            type=m.type,
            content=m.content,
            meta=m.meta,
            sender=current_app.config["OUTREACH_SENDER_NAME"],
            status="queued",
            created_at=now,
            updated_at=now,
        )
        for item in items
        for m in item.messages
    ]
    db.session.add_all(messages)
    db.session.flush()
    job_id = create_dispatch_job(
        workspace_id, [m.id for m in messages], now=now, title="Chatbot messages"
    )
    db.session.commit()
    return len(messages), jobs.open_batches(job_id)


def _record_creators(workspace_id: int, ids: list[str], now: datetime) -> dict:
    """Creators the chatbot wrote to before any crawler ingested them: the seed's
    inner API publishes by platformCreatorId alone, so the message is accepted and
    the creator recorded now (default platform, no names yet; a later
    /creators/ingest fills them in), with a crawl log naming the chatbot."""
    if not ids:
        return {}
    platform = current_app.config["OUTREACH_DEFAULT_PLATFORM"]
    synced = sync(
        Creator,
        ("workspace_id", "platform", "platform_creator_id"),
        (
            {
                "workspace_id": workspace_id,
                "platform": platform,
                "platform_creator_id": i,
            }
            for i in ids
        ),
        entity="creator",
        now=now,
    )
    log_changes(
        workspace_id, synced.changes, source="chatbot", operator_id=None, now=now
    )
    found = db.session.scalars(
        select(Creator).where(Creator.id.in_(list(synced.ids.values())))
    )
    return {c.platform_creator_id: c for c in found}
