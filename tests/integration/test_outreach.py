"""Outreach on PostgreSQL + Redis: concurrent publishers and real workers send once."""

import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import MessageLog
from prospecting.models import MessageSchedule
from prospecting.models.base import utcnow
from prospecting.services import outreach
from prospecting.services.outreach import publisher
from prospecting.services.outreach import schemas
from tests import factories
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration
CREATORS = 60


@pytest.fixture
def chat(sandbox_url):
    url = f"{sandbox_url}/chat/messages"
    requests.delete(url, timeout=5)
    return lambda: requests.get(url, timeout=5).json()["messages"]


def _workspace() -> int:
    user = factories.make_user(email="outreach@it.test", workspace="Outreach IT")
    return user.memberships[0].workspace.id


def _seed_due_schedules(workspace_id: int) -> None:
    outreach.save_rule(workspace_id, sample_status="shipped", template="Hi {creator}")
    rows = [
        {"platformProductId": "p-1", "status": "shipped", "platformCreatorId": f"c-{i}"}
        for i in range(CREATORS)
    ]
    body = schemas.parse(schemas.SamplesIngest, {"source": "it", "rows": rows})
    outreach.ingest_samples(workspace_id, body)


def _in_threads(app, fn, n: int = 2) -> list:
    """Run fn(index) in n threads at once, each in its own app context (own session)."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(index):
        with app.app_context():
            barrier.wait()
            try:
                results[index] = fn(index)
            except Exception as exc:  # surfaced below with the thread's error
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_two_publishers_at_once_send_each_message_once(pg_app, chat):
    pg_app.config["OUTREACH_PUBLISH_LIMIT"] = (
        7  # many small claims, so the two interleave
    )
    pg_app.config["OUTREACH_BATCH_SIZE"] = 5
    _seed_due_schedules(_workspace())
    later = utcnow()

    def publish_until_empty(_):
        batches = []
        for _ in range(CREATORS):
            got = outreach.publish(now=later)
            batches.extend(got)
            if not got and not db.session.scalar(
                select(func.count())
                .select_from(MessageSchedule)
                .where(MessageSchedule.status == "pending")
            ):
                break
        return batches

    published = _in_threads(pg_app, publish_until_empty)
    all_batches = [b for batches in published for b in batches]
    assert len({b for b, _ in all_batches}) == len(all_batches)

    def dispatch_all(index):
        # Both workers try every batch: the lease lets only one of them send it.
        order = all_batches if index == 0 else list(reversed(all_batches))
        for batch_id, _ in order:
            factories.run_batch(batch_id)

    _in_threads(pg_app, dispatch_all)
    received = chat()
    ids = Counter(m["id"] for m in received)
    assert len(received) == CREATORS
    assert all(n == 1 for n in ids.values())
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(MessageLog)
            .where(MessageLog.status == "sent")
        )
        == CREATORS
    )
    assert {m["platformCreatorId"] for m in received} == {
        f"c-{i}" for i in range(CREATORS)
    }


def test_chatbot_messages_go_through_real_workers_once(pg_app, chat, start_worker):
    workspace_id = _workspace()
    outreach.ingest_creators(
        workspace_id,
        schemas.parse(
            schemas.CreatorsIngest,
            {"rows": [{"platformCreatorId": f"c-{i}"} for i in range(20)]},
        ),
    )
    items = schemas.parse_list(
        schemas.ChatItem,
        [
            {
                "platformCreatorId": f"c-{i}",
                "messages": [{"type": "text", "content": f"hello {i}"}],
            }
            for i in range(20)
        ],
    )
    pg_app.config["OUTREACH_BATCH_SIZE"] = 4
    _, batches = outreach.queue_chat(workspace_id, items)
    start_worker(threads=2)
    start_worker(threads=2)
    tasks.enqueue_batches(batches)
    wait_for(lambda: len(chat()) >= 20, timeout=60, message="20 messages sent")

    def all_sent():
        db.session.expire_all()
        return (
            db.session.scalar(
                select(func.count())
                .select_from(MessageLog)
                .where(MessageLog.status == "sent")
            )
            == 20
        )

    wait_for(all_sent, timeout=30, message="message log shows 20 sent")
    received = chat()
    assert sorted(m["content"] for m in received) == sorted(
        f"hello {i}" for i in range(20)
    )
    assert len(received) == 20


def test_claim_skips_rows_another_publisher_holds(pg_app):
    _seed_due_schedules(_workspace())
    due = (
        MessageSchedule.status == "pending",
        MessageSchedule.due_at <= utcnow(),
    )

    def claim():
        return publisher._claim(
            MessageSchedule,
            due,
            order_by=MessageSchedule.due_at,
            limit=10,
            values={"status": "messaged"},
        )

    held = claim()  # this transaction keeps its row locks until the commit below
    other = []

    def second_publisher():
        with pg_app.app_context():
            other.extend(claim())
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=second_publisher)
    thread.start()
    thread.join(30)
    db.session.commit()
    assert len(held) == 10 and len(other) == 10
    assert not set(held) & set(other)
