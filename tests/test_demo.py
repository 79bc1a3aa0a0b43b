"""`flask demo seed`: a demo workspace where every page has something to show and
the provider settings point at the sandbox; seeding twice changes nothing."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import AirtableSettings
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models import Creator
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import LinkedInAccount
from prospecting.models import OutreachRule
from prospecting.models import OutreachTask
from prospecting.models import Sample
from prospecting.models import Upload
from prospecting.models import Workspace
from prospecting.services import jobs
from tests import factories

MODELS = (
    Job,
    Upload,
    EnrichmentRow,
    Contact,
    Company,
    Creator,
    Sample,
    OutreachTask,
    OutreachRule,
    LinkedInAccount,
    AirtableSettings,
)

# Page -> text it shows once the demo is seeded.
PAGES = {
    "/": "completed with failures",
    "/enrichment/": "Try it with a sample file",
    "/prospects/": "Prospect search",
    "/prospects/account": "demo-account",
    "/searches/": "People search",
    "/contacts/": "Ada Lovelace",
    "/contacts/companies": "Demo Technologies",
    "/contacts/airtable": "appDemo0000000000",
    "/outreach/": "Creator Ana",
    "/outreach/samples": "Demo product p-1",
    "/outreach/tasks": "demo-task-1",
    "/outreach/rules": "shipped",
    "/ops/": "Running jobs",
    "/settings": "Cost caps",
}


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in MODELS
    }


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return result


def test_seeding_twice_leaves_the_same_data(runner, seeded):
    first = _counts()
    assert all(first.values()), first
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0, again.output
    assert "already seeded" in again.output
    db.session.expire_all()
    assert _counts() == first


def test_the_demo_jobs_ran_on_the_engine_against_the_sandbox(seeded):
    ws = db.session.scalar(select(Workspace).where(Workspace.name == "Demo"))
    demo_jobs = {j.kind: j for j in jobs.recent(ws.id)}
    enrichment = demo_jobs["enrichment"]
    assert enrichment.status == "completed"
    # One sample row has no email: the job is honest about it.
    assert (enrichment.success_count, enrichment.failed_count) == (11, 1)
    assert jobs.outcome(enrichment).key == "completed_with_failures"
    assert demo_jobs["contact_fetch"].status == "completed"
    assert "completed with failures" in seeded.output


def test_the_provider_settings_point_at_the_sandbox(app, seeded):
    account = db.session.scalar(select(LinkedInAccount))
    assert account.dsn == f"{app.config['SANDBOX_URL']}/unipile"
    # The test app's sandbox URL, not the one the jobs were served on while seeding.
    assert app.config["EMAIL_VERIFIER_URL"].startswith(app.config["SANDBOX_URL"])


@pytest.mark.parametrize(("path", "text"), PAGES.items())
def test_every_main_page_of_the_demo_workspace_has_something_to_show(
    client, seeded, path, text
):
    assert (
        factories.login(client, "demo@example.com", "demo-password").status_code == 302
    )
    response = client.get(path)
    assert response.status_code == 200, path
    assert text in response.get_data(as_text=True), path


def test_the_sample_file_downloads_from_the_enrichment_page(auth_client):
    page = auth_client.get("/enrichment/").get_data(as_text=True)
    href = page.split('id="sample-file"', 1)[1].split('href="', 1)[1].split('"', 1)[0]
    assert "sample" in href and href.endswith(".csv")
    response = auth_client.get(href)
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "Name,Email,Company,Phone,Website" and len(lines) == 13
