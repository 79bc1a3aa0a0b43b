"""The home page answers "where do we stand": credits against the caps, running
jobs with live progress, outcomes, contacts by verdict, recent jobs, next steps."""

from datetime import timedelta
from decimal import Decimal

from prospecting.extensions import db
from prospecting.models import ProviderCall
from prospecting.models.base import utcnow
from prospecting.services import accounts
from prospecting.services import contacts
from prospecting.services import ledger
from prospecting.services import overview
from prospecting.services.contacts import ContactInput
from tests import factories


def _call(job_id: str, cost: str, *, at=None) -> None:
    db.session.add(
        ProviderCall(
            provider="emails",
            endpoint="check_email",
            method="POST",
            status_code=200,
            latency_ms=5,
            job_id=job_id,
            cost=Decimal(cost),
            created_at=at or utcnow(),
        )
    )
    db.session.commit()


def test_a_new_workspace_is_told_what_to_do_first(auth_client):
    response = auth_client.get("/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Get started" in body
    for step in ("enrich", "linkedin", "airtable", "token"):
        assert f'id="step-{step}"' in body, step
    assert 'href="/enrichment/"' in body
    assert "Nothing is running." in body
    assert "No contacts yet." in body
    assert "No jobs yet" in body
    assert "Set one" in body  # the owner may set the daily cap


def test_steps_done_leave_the_list(auth_client, workspace):
    factories.make_job(workspace.id, status="completed", success_count=1)
    accounts.create_token(workspace.id, "crawler")
    body = auth_client.get("/").get_data(as_text=True)
    assert 'id="step-enrich"' not in body and 'id="step-token"' not in body
    assert 'id="step-crawlers"' in body
    assert "Next steps" in body


def test_credits_spent_today_and_this_month_against_the_daily_cap(
    auth_client, workspace, other_workspace
):
    job = factories.make_job(workspace.id, status="completed")
    _call(job.id, "1.5")
    _call(job.id, "0.5")
    month_start = overview.metering.month_start()
    if utcnow() - month_start > timedelta(days=1):
        _call(job.id, "4", at=utcnow() - timedelta(days=1))  # this month, not today
        month = "6 credits"
    else:
        month = "2 credits"
    theirs = factories.make_job(other_workspace.id, status="completed")
    _call(theirs.id, "100")
    ledger.set_daily_cap(workspace.id, "8")
    spend = overview.spend(workspace.id)
    assert spend.today == Decimal("2") and spend.daily_percent == 25
    body = auth_client.get("/").get_data(as_text=True)
    assert 'id="spent-today">2 credits' in body
    assert f'id="spent-month">{month}' in body
    assert 'id="daily-cap">8 credits' in body
    assert "25 % of today's cap" in body


def test_running_jobs_show_the_live_progress_box(auth_client, workspace):
    running = factories.make_job(
        workspace.id, status="running", progress_total=10, progress_current=4
    )
    done = factories.make_job(workspace.id, status="completed")
    body = auth_client.get("/").get_data(as_text=True)
    running_section = body.split('id="running"', 1)[1].split("</section>", 1)[0]
    assert f'id="job-{running.id}"' in running_section
    assert f'hx-get="/jobs/{running.id}/progress' in running_section
    assert f'id="job-{done.id}"' not in running_section


def test_outcomes_of_the_last_30_days_are_counted_honestly(auth_client, workspace):
    for success, failed in ((5, 0), (5, 0), (4, 1), (0, 3)):
        factories.make_job(
            workspace.id,
            status="completed",
            success_count=success,
            failed_count=failed,
        )
    factories.make_job(workspace.id, status="paused")
    factories.make_job(workspace.id, status="cancelled")
    old = factories.make_job(workspace.id, status="failed")
    old.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    counts = {o.key: n for o, n in overview.outcome_counts(workspace.id)}
    assert counts == {
        "paused": 1,
        "completed": 2,
        "completed_with_failures": 1,
        "failed": 1,
        "cancelled": 1,
    }
    body = auth_client.get("/").get_data(as_text=True)
    assert 'id="outcome-completed_with_failures"' in body
    assert ">completed with failures</span> <strong>1</strong>" in body


def test_contacts_are_counted_by_verdict(auth_client, workspace, other_workspace):
    def person(name, email=None, verdict=None, phone=None):
        return ContactInput(name=name, email=email, email_verdict=verdict, phone=phone)

    contacts.upsert_contacts(
        workspace.id,
        [
            person("A", "a@acme.com", "valid"),
            person("B", "b@acme.com", "valid"),
            person("C", phone="+14155550100"),
        ],
    )
    contacts.upsert_contacts(other_workspace.id, [person("D", "d@acme.com", "valid")])
    verdicts = overview.contacts_by_verdict(workspace.id)
    assert verdicts == {"valid": 2, "no email": 1}
    body = auth_client.get("/").get_data(as_text=True)
    assert "<strong>3</strong> in the book" in body
    assert 'id="verdicts"' in body


def test_a_viewer_sees_where_the_workspace_stands_without_the_cap_link(app, workspace):
    from tests.test_security_sweep import member_client

    factories.make_job(workspace.id, status="completed", success_count=2)
    response = member_client(app, "viewer", workspace).get("/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="spend"' in body and 'id="recent"' in body
    assert "Set one" not in body
