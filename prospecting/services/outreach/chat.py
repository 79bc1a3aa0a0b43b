"""Chatbot messages: a crawler's conversation replies, queued for dispatch at once."""

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Creator
from prospecting.models import MessageLog
from prospecting.models.base import utcnow
from prospecting.services import jobs
from prospecting.services.errors import InvalidInput
from prospecting.services.outreach.dispatch import create_dispatch_job
from prospecting.services.outreach.schemas import ChatItem


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
    unknown = [
        {
            "row": index,
            "field": f"[{index}].platformCreatorId",
            "message": f"no creator {item.platform_creator_id} in this workspace",
        }
        for index, item in enumerate(items)
        if item.platform_creator_id not in creators
    ]
    if unknown:
        raise InvalidInput(
            f"{len(unknown)} unknown creator(s): post them to /creators/ingest first.",
            code="unknown_creator",
            details=unknown,
        )
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
