"""The demo workspace: something on every page, and settings that point at the
sandbox providers, so a newcomer can try every flow without reading code.

Everything here is idempotent: providers settings and ingested data are upserts,
and the jobs (with the contacts they bring) are made once per workspace. The
jobs run for real, on the engine, against the sandbox: the caller serves it,
points the provider settings at it and enqueues them (`flask demo seed`).
"""

from pathlib import Path

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.services import contacts
from prospecting.services import enrichment
from prospecting.services import outreach
from prospecting.services import prospects
from prospecting.services.finder import demo as finder_demo
from prospecting.services.outreach import rulebook
from prospecting.services.outreach import schemas

SAMPLE_FILE = "samples/contacts-sample.csv"
SAMPLE_TITLE = "contacts-sample.csv"
# An Indian CIN the sandbox's Attestr answers with directors.
DEMO_CIN = "U74999TG2017PTC118280"
# The sandbox accepts any key that does not start with "invalid".
DEMO_LINKEDIN = {"api_key": "demo-unipile-key", "account_id": "demo-account"}
DEMO_AIRTABLE = {
    "token": "demo-airtable-token",
    "base_id": "appDemo0000000000",
    "contacts_table": "Contacts",
    "companies_table": "Companies",
}
RULE_STATUS = "shipped"


def sample_path() -> Path:
    return Path(current_app.static_folder) / SAMPLE_FILE


def seed_settings_and_outreach(workspace_id: int, *, sandbox_url: str) -> Path:
    """Everything but the jobs (idempotent): provider settings, outreach data and
    the email finder's mix; `sandbox_url` is where the sandbox answers once the
    app serves (the settings pages keep it). Returns the finder demo's CSV."""
    connect_providers(workspace_id, sandbox_url=sandbox_url)
    ingest_outreach(workspace_id)
    add_rule(workspace_id)
    return finder_demo.seed(workspace_id, Path(current_app.instance_path))


def connect_providers(workspace_id: int, *, sandbox_url: str) -> None:
    """A LinkedIn account and Airtable settings pointing at the sandbox."""
    prospects.save_account(
        workspace_id, dsn=f"{sandbox_url.rstrip('/')}/unipile", **DEMO_LINKEDIN
    )
    contacts.save_settings(
        workspace_id,
        contact_fields=dict(contacts.CONTACT_FIELDS),
        company_fields=dict(contacts.COMPANY_FIELDS),
        **DEMO_AIRTABLE,
    )


def _sample_row(creator: str, product: str, status: str, **over) -> dict:
    return {
        "platformProductId": product,
        "productName": f"Demo product {product}",
        "status": status,
        "platformCreatorId": creator,
        "platformCreatorDisplayName": f"Creator {creator.title()}",
        "platformCreatorUsername": creator,
        "region": "MX",
        "platformCampaignName": "Spring launch",
        **over,
    }


def ingest_outreach(workspace_id: int) -> None:
    """Creators, samples in several statuses and one outreach task, as a crawler
    would post them (upserts on their natural keys)."""
    creators = ["ana", "bruno", "carla", "diego", "elena"]
    outreach.ingest_creators(
        workspace_id,
        schemas.parse(
            schemas.CreatorsIngest,
            {
                "source": "demo",
                "rows": [
                    {
                        "platformCreatorId": c,
                        "platformCreatorDisplayName": f"Creator {c.title()}",
                        "platformCreatorUsername": c,
                        "email": f"{c}@creators.example",
                    }
                    for c in creators
                ],
            },
        ),
    )
    statuses = ["shipped", "shipped", "requested", "delivered", "content posted"]
    rows = [
        _sample_row(c, f"p-{i % 2 + 1}", s)
        for i, (c, s) in enumerate(zip(creators, statuses, strict=True))
    ]
    outreach.ingest_samples(
        workspace_id,
        schemas.parse(schemas.SamplesIngest, {"source": "demo", "rows": rows}),
    )
    task = {
        "taskId": "demo-task-1",
        "platform": "tiktok",
        "taskName": "Invite new creators for the spring launch",
        "productName": "Demo product p-1",
        "region": "MX",
        "status": "running",
        "maxCreators": 50,
    }
    outreach.ingest_task(
        workspace_id,
        schemas.parse(schemas.TasksIngest, {"source": "demo", "task": task}),
        task,
    )


def add_rule(workspace_id: int) -> None:
    """A rule for shipped samples, once (future changes only: nothing is sent
    until a sample moves to the status)."""
    if any(r.sample_status == RULE_STATUS for r in rulebook.rules(workspace_id)):
        return
    rulebook.save_rule(
        workspace_id,
        sample_status=RULE_STATUS,
        template="Hi {name}, your sample is on its way. Tell us when it arrives!",
        reminder_template="Hi {name}, did the sample arrive?",
        reminder_every_hours=48,
        reminder_max=2,
    )


def has_jobs(workspace_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.workspace_id == workspace_id, Job.title == SAMPLE_TITLE)
        )
    )


def start_enrichment(workspace_id: int, user_id: int) -> Job:
    """The sample file's enrichment job (committed; the caller enqueues it)."""
    with sample_path().open("rb") as stream:
        _, job = enrichment.start_from_file(workspace_id, user_id, SAMPLE_TITLE, stream)
    return job


def start_fetch(workspace_id: int, user_id: int) -> Job:
    """A company's directors fetched by CIN (committed; the caller enqueues it)."""
    company = contacts.save_company(
        workspace_id,
        name="Demo Technologies Private Limited",
        registration_number=DEMO_CIN,
    )
    return contacts.start_fetch(workspace_id, user_id, company.id, max_contacts=5)
