"""Outreach rules that do what they say: the form shows how many samples already
in a status the rule would schedule, applies it to them or to future changes
only, warns about a status no sample has, edits rules, and asks before deleting."""

from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import MessageSchedule
from prospecting.models import Sample
from prospecting.services import outreach
from tests.test_outreach_views import ingest
from tests.test_outreach_views import row

RULE = {"template": "Hi {creator}", "active": "y"}


def schedules(**where) -> list[MessageSchedule]:
    stmt = select(MessageSchedule)
    for name, value in where.items():
        stmt = stmt.where(getattr(MessageSchedule, name) == value)
    return list(db.session.scalars(stmt))


def shipped_samples(workspace_id: int, n: int = 3) -> None:
    ingest(
        workspace_id, [row(f"c{i}") for i in range(n)] + [row("r", status="requested")]
    )


def test_the_form_offers_the_statuses_seen_with_their_counts(auth_client, workspace):
    shipped_samples(workspace.id)
    page = auth_client.get("/outreach/rules").get_data(as_text=True)
    assert 'list="sample-statuses"' in page
    assert '<option value="shipped">shipped (3 samples)</option>' in page
    assert '<option value="requested">requested (1 sample)</option>' in page
    assert 'hx-get="/outreach/rules/reach"' in page


def test_the_reach_note_counts_the_samples_a_new_rule_would_schedule(
    auth_client, workspace, htmx
):
    shipped_samples(workspace.id)
    note = auth_client.get("/outreach/rules/reach?sample_status=Shipped", headers=htmx)
    text = note.get_data(as_text=True)
    assert 'id="rule-reach"' in text and "<html" not in text
    assert "<strong>3</strong> sample(s) are in status <strong>shipped</strong>" in text
    assert '<strong id="rule-would-schedule">3</strong>' in text


def test_a_status_no_sample_has_is_allowed_with_a_warning(auth_client, workspace):
    shipped_samples(workspace.id)
    note = auth_client.get("/outreach/rules/reach?sample_status=shiped")
    assert b'id="rule-status-unknown"' in note.data
    assert b"seen: shipped, requested" in note.data
    saved = auth_client.post(
        "/outreach/rules", data={**RULE, "sample_status": "shiped"}
    )
    assert saved.status_code == 302
    page = auth_client.get("/outreach/rules").get_data(as_text=True)
    assert "no ingested sample has the status shiped yet" in page
    assert [r.sample_status for r in outreach.rules(workspace.id)] == ["shiped"]


def test_a_new_rule_applies_to_future_changes_only_by_default(auth_client, workspace):
    shipped_samples(workspace.id)
    saved = auth_client.post(
        "/outreach/rules", data={**RULE, "sample_status": "shipped"}
    )
    assert saved.status_code == 302
    assert schedules() == []
    page = auth_client.get("/outreach/rules").get_data(as_text=True)
    assert "the 3 already shipped were left alone" in page
    ingest(workspace.id, [row("late", status="requested")])
    ingest(workspace.id, [row("late", status="shipped")])
    (planned,) = schedules()
    assert planned.sample.creator.platform_creator_id == "late"


def test_a_new_rule_can_schedule_the_samples_already_in_its_status(
    auth_client, workspace
):
    shipped_samples(workspace.id)
    saved = auth_client.post(
        "/outreach/rules",
        data={
            **RULE,
            "sample_status": "shipped",
            "apply_to": "existing",
            "reminder_every_hours": "24",
            "reminder_max": "1",
        },
    )
    assert saved.status_code == 302
    page = auth_client.get("/outreach/rules").get_data(as_text=True)
    assert "3 sample(s) already shipped are scheduled" in page
    planned = schedules()
    assert len(planned) == 6  # a first message and one reminder each
    assert {p.sample.status for p in planned} == {"shipped"}
    (rule,) = outreach.rules(workspace.id)
    assert outreach.reach(workspace.id, "shipped", rule.id) == 0


def test_applying_to_existing_samples_never_schedules_one_twice(workspace):
    rule = outreach.save_rule(workspace.id, sample_status="shipped", template="Hi")
    shipped_samples(workspace.id, 0)
    ingest(workspace.id, [row("a", status="requested")])
    ingest(workspace.id, [row("a", status="shipped")])  # planned by ingestion
    ingest(workspace.id, [row("b")])  # shipped from the start: planned too
    before = len(schedules())
    assert before == 2
    outreach.save_rule(
        workspace.id,
        sample_status="shipped",
        template="Hi again",
        rule_id=rule.id,
        apply_to_existing=True,
    )
    assert len(schedules()) == before


def test_the_reach_of_an_inactive_rule_counts_what_it_missed(workspace):
    rule = outreach.save_rule(
        workspace.id, sample_status="shipped", template="Hi", active=False
    )
    shipped_samples(workspace.id)
    assert schedules() == []
    assert outreach.reach(workspace.id, "shipped", rule.id) == 3
    outreach.save_rule(
        workspace.id,
        sample_status="shipped",
        template="Hi",
        rule_id=rule.id,
        apply_to_existing=True,
    )
    assert len(schedules(rule_id=rule.id)) == 3


def test_a_rule_can_be_edited(auth_client, workspace):
    rule = outreach.save_rule(workspace.id, sample_status="shipped", template="Hi")
    form = auth_client.get(f"/outreach/rules/{rule.id}/edit")
    assert form.status_code == 200 and b"Edit the rule for shipped" in form.data
    assert f'action="/outreach/rules/{rule.id}/edit"'.encode() in form.data
    saved = auth_client.post(
        f"/outreach/rules/{rule.id}/edit",
        data={**RULE, "sample_status": "shipped", "template": "Hello {product}"},
    )
    assert saved.status_code == 302
    db.session.refresh(rule)
    assert rule.template == "Hello {product}"
    assert len(outreach.rules(workspace.id)) == 1


def test_moving_a_rule_to_another_status_cancels_its_pending_messages(workspace):
    rule = outreach.save_rule(workspace.id, sample_status="shipped", template="Hi")
    shipped_samples(workspace.id)
    assert len(schedules(status="pending")) == 3
    outreach.save_rule(
        workspace.id, sample_status="requested", template="Hi", rule_id=rule.id
    )
    cancelled = schedules(status="cancelled")
    assert len(cancelled) == 3
    assert cancelled[0].reason == "The rule now applies to status requested."


def test_a_status_has_one_rule(auth_client, workspace):
    outreach.save_rule(workspace.id, sample_status="shipped", template="Hi")
    other = outreach.save_rule(workspace.id, sample_status="requested", template="Yo")
    again = auth_client.post(
        "/outreach/rules", data={**RULE, "sample_status": "shipped"}
    )
    assert again.status_code == 409 and b"has a rule already: edit it" in again.data
    clash = auth_client.post(
        f"/outreach/rules/{other.id}/edit", data={**RULE, "sample_status": "shipped"}
    )
    assert clash.status_code == 409 and b"has its own rule already" in clash.data


def test_deleting_a_rule_asks_first_and_says_what_stops(auth_client, workspace):
    rule = outreach.save_rule(workspace.id, sample_status="shipped", template="Hi")
    shipped_samples(workspace.id)
    ask = auth_client.get(f"/outreach/rules/{rule.id}/delete")
    assert ask.status_code == 200
    assert b"Its 3 message(s) and reminder(s) still to be sent" in ask.data
    assert outreach.rules(workspace.id) == [rule]
    page = auth_client.get("/outreach/rules").get_data(as_text=True)
    assert f'href="/outreach/rules/{rule.id}/delete"' in page
    assert f'action="/outreach/rules/{rule.id}/delete"' not in page
    assert auth_client.post(f"/outreach/rules/{rule.id}/delete").status_code == 302
    assert outreach.rules(workspace.id) == []
    assert db.session.scalar(select(func.count()).select_from(Sample)) == 4
