"""Outreach services: schedules from status changes, reminders, publisher, dispatch."""

from datetime import datetime
from datetime import timedelta
from unittest import mock

import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import MessageLog
from prospecting.models import MessageSchedule
from prospecting.models import Sample
from prospecting.sandbox import faults
from prospecting.services import jobs
from prospecting.services import outreach
from prospecting.services.errors import InvalidInput
from prospecting.services.outreach import dispatch as dispatching
from prospecting.services.outreach import schemas
from prospecting.tasks import outreach as outreach_tasks
from tests import factories

T0 = datetime(2026, 3, 2, 12, 0)  # a Monday, noon UTC


def ingest(workspace_id, *rows, now=T0):
    body = schemas.parse(
        schemas.SamplesIngest, {"source": "crawler", "rows": list(rows)}
    )
    return outreach.ingest_samples(workspace_id, body, now=now)


def row(status="shipped", creator="c-1", product="p-1", **over):
    values = {
        "platformProductId": product,
        "productName": "Tee",
        "status": status,
        "platformCreatorId": creator,
        "platformCreatorDisplayName": f"Name {creator}",
        "platformCampaignName": "Spring",
    }
    values.update(over)
    return values


def shipped_rule(workspace_id, **over):
    options = {
        "sample_status": "shipped",
        "template": "Hi {creator}, your {product} is on its way!",
        "reminder_template": "Reminder {creator}: post about {product}",
        "reminder_every_hours": 24,
        "reminder_max": 2,
    }
    options.update(over)
    return outreach.save_rule(workspace_id, **options)


def schedules():
    return db.session.scalars(
        select(MessageSchedule)
        .order_by(MessageSchedule.seq)
        .execution_options(populate_existing=True)
    ).all()


def messages():
    return db.session.scalars(
        select(MessageLog)
        .order_by(MessageLog.id)
        .execution_options(populate_existing=True)
    ).all()


def dispatch(batch_id, now):
    """Run a dispatch batch as a worker would, at `now`."""
    with mock.patch.object(dispatching, "utcnow", return_value=now):
        return factories.run_batch(batch_id)


def publish_and_dispatch(now):
    batches = outreach.publish(now=now)
    for batch_id, _ in batches:
        dispatch(batch_id, now)
    return batches


@pytest.fixture
def chat(sandbox_url):
    """The sandbox chat's received messages, emptied first."""
    url = f"{sandbox_url}/chat/messages"
    requests.delete(url, timeout=5)
    return lambda: requests.get(url, timeout=5).json()["messages"]


def test_status_change_creates_first_message_and_reminders(workspace):
    shipped_rule(workspace.id)
    result = ingest(workspace.id, row(status="requested"))
    assert result.schedules == 0 and schedules() == []
    result = ingest(workspace.id, row(status="shipped"), now=T0 + timedelta(hours=1))
    assert result.schedules == 3
    planned = schedules()
    assert [s.seq for s in planned] == [0, 1, 2]
    assert [s.due_at for s in planned] == [T0 + timedelta(hours=h) for h in (1, 25, 49)]
    assert {s.status for s in planned} == {"pending"}


def test_same_status_posted_again_schedules_nothing_new(workspace):
    shipped_rule(workspace.id)
    ingest(workspace.id, row())
    again = ingest(workspace.id, row(), now=T0 + timedelta(hours=2))
    assert again.schedules == 0 and len(schedules()) == 3


def test_status_without_rule_or_inactive_rule_schedules_nothing(workspace):
    shipped_rule(workspace.id, active=False)
    assert ingest(workspace.id, row()).schedules == 0


def test_moving_to_another_status_cancels_pending_schedules(workspace):
    shipped_rule(workspace.id)
    outreach.save_rule(
        workspace.id, sample_status="completed", template="Thanks {creator}!"
    )
    ingest(workspace.id, row())
    ingest(workspace.id, row(status="completed"), now=T0 + timedelta(hours=1))
    by_rule = {}
    for s in schedules():
        by_rule.setdefault(s.rule.sample_status, set()).add(s.status)
    assert by_rule == {"shipped": {"cancelled"}, "completed": {"pending"}}


def test_publisher_sends_first_message_with_rendered_template(workspace, chat):
    shipped_rule(workspace.id)
    ingest(workspace.id, row())
    batches = publish_and_dispatch(T0)
    assert len(batches) == 1
    sent = messages()
    assert [m.status for m in sent] == ["sent"]
    assert sent[0].content == "Hi Name c-1, your Tee is on its way!"
    assert sent[0].attempts == 1 and sent[0].sent_at == T0
    assert [m["content"] for m in chat()] == [sent[0].content]
    assert chat()[0]["platformCreatorId"] == "c-1"
    job = db.session.get(Job, db.session.get(JobBatch, batches[0][0]).job_id)
    assert job.kind == outreach.KIND and job.status == "completed"
    assert job.success_count == 1


def test_publisher_claims_each_schedule_once(workspace, chat):
    shipped_rule(workspace.id)
    ingest(workspace.id, row(), row(creator="c-2"))
    publish_and_dispatch(T0)
    assert publish_and_dispatch(T0) == []
    assert len(messages()) == 2 and len(chat()) == 2


def test_reminders_go_out_until_content_appears(workspace, chat):
    shipped_rule(workspace.id)
    ingest(workspace.id, row())
    publish_and_dispatch(T0)
    publish_and_dispatch(T0 + timedelta(hours=25))
    assert [m.content for m in messages()][-1] == "Reminder Name c-1: post about Tee"
    # The creator posts a video: the last reminder is skipped, not sent.
    ingest(
        workspace.id,
        row(type="video", typeNumber=1, promotionViewCount=10),
        now=T0 + timedelta(hours=30),
    )
    publish_and_dispatch(T0 + timedelta(hours=50))
    assert len(chat()) == 2
    last = schedules()[-1]
    assert last.status == "skipped" and "posted content" in last.reason


def test_publisher_skips_reminder_when_content_exists_at_claim_time(workspace):
    shipped_rule(workspace.id)
    ingest(workspace.id, row())
    sample = db.session.scalars(select(Sample)).one()
    # Content recorded without going through ingestion's stop (e.g. another path).
    from prospecting.models import SampleContent

    db.session.add(
        SampleContent(
            workspace_id=workspace.id, sample_id=sample.id, type="live", type_number=1
        )
    )
    db.session.commit()
    outreach.materialise_due(now=T0 + timedelta(hours=26), limit=100)
    statuses = [s.status for s in schedules()]
    assert statuses == ["messaged", "skipped", "pending"]


def test_creator_cap_defers_the_extra_message(app, workspace, chat):
    app.config["OUTREACH_CREATOR_DAILY_CAP"] = 1
    shipped_rule(workspace.id, reminder_every_hours=1, reminder_max=1)
    ingest(workspace.id, row())
    publish_and_dispatch(T0)
    publish_and_dispatch(T0 + timedelta(hours=2))
    first, second = messages()
    assert first.status == "sent" and second.status == "pending"
    assert second.not_before == T0 + timedelta(days=1)
    assert "24 hours" in second.reason and second.attempts == 0
    publish_and_dispatch(T0 + timedelta(days=1, minutes=1))
    assert messages()[1].status == "sent" and len(chat()) == 2


def test_sender_hourly_cap_holds_messages_until_a_slot_frees(app, workspace, chat):
    app.config["OUTREACH_SENDER_HOURLY_CAP"] = 2
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, *(row(creator=f"c-{i}") for i in range(3)))
    publish_and_dispatch(T0)
    assert [m.status for m in messages()] == ["sent", "sent", "pending"]
    held = messages()[2]
    assert held.not_before == T0 + timedelta(hours=1) and "hourly cap" in held.reason
    publish_and_dispatch(T0 + timedelta(minutes=30))
    assert messages()[2].status == "pending"
    publish_and_dispatch(T0 + timedelta(hours=1, seconds=1))
    assert messages()[2].status == "sent" and len(chat()) == 3


def test_sender_daily_cap_counts_the_last_24_hours(app, workspace):
    app.config["OUTREACH_SENDER_DAILY_CAP"] = 1
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, row(creator="a"), row(creator="b"))
    publish_and_dispatch(T0)
    held = messages()[1]
    assert held.status == "pending" and "daily cap" in held.reason
    assert held.not_before == T0 + timedelta(days=1)


def test_quiet_hours_hold_messages_until_the_window_ends(app, workspace, chat):
    app.config["OUTREACH_QUIET_HOURS"] = "22:00-08:00"
    app.config["OUTREACH_TIMEZONE"] = "America/Mexico_City"  # UTC-6 in March
    shipped_rule(workspace.id, reminder_max=0)
    night = datetime(2026, 3, 3, 5, 0)  # 23:00 in Mexico City
    ingest(workspace.id, row(), now=night)
    assert publish_and_dispatch(night) == []  # the publisher packs nothing at night
    assert messages()[0].status == "pending"
    assert outreach.quiet_until(night) == datetime(2026, 3, 3, 14, 0)
    publish_and_dispatch(datetime(2026, 3, 3, 14, 1))
    assert messages()[0].status == "sent" and len(chat()) == 1


def test_dispatch_defers_a_queued_message_in_quiet_hours(app, workspace, chat):
    outreach.ingest_creators(
        workspace.id,
        schemas.parse(schemas.CreatorsIngest, {"rows": [{"platformCreatorId": "c-1"}]}),
    )
    items = schemas.parse_list(
        schemas.ChatItem,
        [{"platformCreatorId": "c-1", "messages": [{"type": "text", "content": "hi"}]}],
    )
    _, batches = outreach.queue_chat(workspace.id, items, now=T0)
    app.config["OUTREACH_QUIET_HOURS"] = "11:00-13:00"
    dispatch(batches[0][0], T0)
    message = messages()[0]
    assert message.status == "pending" and message.not_before == T0 + timedelta(hours=1)
    assert "Quiet hours" in message.reason and chat() == []


def test_transient_sender_error_retries_later_and_records_attempts(
    app, workspace, chat
):
    app.config["OUTREACH_RETRY_SECONDS"] = 60
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, row())
    faults.set_overrides({"error_rate": 1.0})
    publish_and_dispatch(T0)
    message = messages()[0]
    assert message.status == "pending" and message.attempts == 1
    assert message.not_before == T0 + timedelta(seconds=60)
    assert "unavailable" in message.reason
    publish_and_dispatch(T0 + timedelta(seconds=61))
    assert messages()[0].attempts == 2
    assert messages()[0].not_before == T0 + timedelta(seconds=61 + 120)
    faults.set_overrides({})
    publish_and_dispatch(T0 + timedelta(minutes=10))
    message = messages()[0]
    assert message.status == "sent" and message.attempts == 3 and len(chat()) == 1


def test_transient_errors_fail_the_message_after_max_attempts(app, workspace):
    app.config["OUTREACH_MAX_ATTEMPTS"] = 2
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, row())
    faults.set_overrides({"error_rate": 1.0})
    publish_and_dispatch(T0)
    publish_and_dispatch(T0 + timedelta(hours=1))
    message = messages()[0]
    assert message.status == "failed" and message.attempts == 2
    assert "Gave up after 2" in message.reason


def test_refused_credentials_fail_the_message_with_the_reason(app, workspace):
    app.config["OUTREACH_SENDER_KEY"] = "invalid-key"
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, row())
    publish_and_dispatch(T0)
    message = messages()[0]
    assert message.status == "failed" and "credentials" in message.reason


def test_messages_of_a_failed_batch_return_to_pending(workspace):
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, row())
    batches = outreach.publish(now=T0)
    jobs.fail_batch(batches[0][0], "worker died")
    assert outreach.recover_orphans() == 1
    assert messages()[0].status == "pending" and messages()[0].batch_id is None


def test_publish_task_enqueues_and_dispatches(workspace, chat):
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, row(), now=datetime(2020, 1, 1))
    outreach_tasks.publish_outreach.call_local()
    assert [m.status for m in messages()] == ["sent"] and len(chat()) == 1


def test_upcoming_lists_the_next_24_hours(app, workspace):
    shipped_rule(workspace.id)
    ingest(workspace.id, row(), row(creator="c-2", type="video", typeNumber=1))
    planned = outreach.upcoming(workspace.id, now=T0)
    kinds = sorted((p.creator.platform_creator_id, p.kind) for p in planned)
    # c-2 already posted a video, so only its first message is planned.
    assert kinds == [
        ("c-1", "first message"),
        ("c-1", "reminder 1"),
        ("c-2", "first message"),
    ]
    assert [p.due_at for p in planned][-1] == T0 + timedelta(hours=24)
    assert "reminder 2" not in {p.kind for p in planned}


def test_upcoming_marks_quiet_hours(app, workspace):
    app.config["OUTREACH_QUIET_HOURS"] = "11:00-13:00"
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, row())
    (planned,) = outreach.upcoming(workspace.id, now=T0)
    assert planned.note.startswith("Quiet hours: goes out at 2026-03-02 13:00")


def test_save_rule_validates_and_replaces_by_status(workspace):
    first = shipped_rule(workspace.id)
    again = shipped_rule(workspace.id, template="New text")
    assert first.id == again.id and again.template == "New text"
    with pytest.raises(InvalidInput):
        outreach.save_rule(workspace.id, sample_status="", template="x")
    with pytest.raises(InvalidInput):
        outreach.save_rule(
            workspace.id, sample_status="x", template="y", reminder_max=2
        )


def test_render_leaves_unknown_placeholders(workspace):
    shipped_rule(workspace.id, template="Hi {creator} {unknown} {0.__class__}")
    ingest(workspace.id, row())
    outreach.materialise_due(now=T0, limit=10)
    assert messages()[0].content == "Hi Name c-1 {unknown} {0.__class__}"


def test_messages_are_counted_once_per_schedule(workspace):
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, row())
    outreach.materialise_due(now=T0, limit=10)
    outreach.materialise_due(now=T0, limit=10)
    assert db.session.scalar(select(func.count()).select_from(MessageLog)) == 1


def test_chatbot_replies_are_not_held_by_the_creator_cap(app, workspace, chat):
    app.config["OUTREACH_CREATOR_DAILY_CAP"] = 1
    outreach.ingest_creators(
        workspace.id,
        schemas.parse(schemas.CreatorsIngest, {"rows": [{"platformCreatorId": "c-1"}]}),
    )
    texts = [{"type": "text", "content": f"part {i}"} for i in range(3)]
    items = schemas.parse_list(
        schemas.ChatItem, [{"platformCreatorId": "c-1", "messages": texts}]
    )
    _, batches = outreach.queue_chat(workspace.id, items, now=T0)
    dispatch(batches[0][0], T0)
    assert [m["content"] for m in chat()] == ["part 0", "part 1", "part 2"]


def test_cli_publish_queues_due_messages(runner, workspace, chat):
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, row(), now=datetime(2020, 1, 1))
    result = runner.invoke(args=["outreach", "publish"])
    assert result.exit_code == 0 and "Queued 1 dispatch batch(es)." in result.output
    assert [m.status for m in messages()] == ["sent"]


def test_a_2xx_sender_answer_without_readable_json_counts_as_sent(workspace):
    shipped_rule(workspace.id, reminder_max=0)
    ingest(workspace.id, row())
    faults.set_overrides({"malformed_rate": 1.0})
    publish_and_dispatch(T0)
    message = messages()[0]
    assert message.status == "sent"
    assert message.provider_ref == f"outreach-message-{message.id}"
