"""The main pages of a workspace with data on every one, shared by the page-width
test and scripts/screenshots.py: the demo workspace (`flask demo seed`) plus one
object of each kind it lacks."""

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models import Creator
from prospecting.models import Job
from prospecting.models import Membership
from prospecting.models import OutreachTask
from prospecting.models import Workspace
from prospecting.sandbox import faults
from prospecting.services import accounts
from prospecting.services import members
from prospecting.services import prospects
from prospecting.services import searches
from prospecting.services import webhooks
from tests.test_prospects_service import request_body

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"


def seed(app) -> dict[str, list]:
    """Seed the demo workspace (its jobs run against the sandbox at full speed) and
    the kinds it lacks (a search, a prospect search, a webhook, a token, an
    invitation); return the ids the page list needs."""
    saved = faults.set_overrides({"latency_ms": 0})
    try:
        result = app.test_cli_runner().invoke(args=["demo", "seed"])
    finally:
        faults.set_overrides(saved or {})
    assert result.exit_code == 0, result.output
    ws = db.session.scalar(select(Workspace).where(Workspace.name == "Demo")).id
    search = searches.start(ws, None, {"job_title": ["CTO"]})
    searches.save(ws, search.id, "CTOs")
    prospect_job = prospects.create_job(ws, None, request_body(10))
    accounts.create_token(ws, "Zapier")
    owner = db.session.scalar(
        select(Membership.user_id).where(Membership.workspace_id == ws)
    )
    members.invite(ws, "new@example.com", "member", by_user_id=owner, by_role="owner")
    endpoint, _ = webhooks.add_endpoint(ws, "http://127.0.0.1:9/", ["job.failed"])
    webhooks.emit(ws, "job.failed", {"job": None})
    db.session.commit()
    enrichment = db.session.scalar(
        select(Job)
        .where(Job.workspace_id == ws, Job.kind == "enrichment")
        .order_by(Job.id)
    )

    def first(model):
        return db.session.scalar(
            select(model.id).where(model.workspace_id == ws).order_by(model.id)
        )

    return {
        "enrichment": enrichment.id,
        "upload": enrichment.params["upload_id"],
        "search": search.id,
        "prospects": prospect_job.id,
        "company": first(Company),
        "contact": first(Contact),
        "creator": first(Creator),
        "task": first(OutreachTask),
        "endpoint": endpoint.id,
    }


def main_pages(o: dict) -> list[tuple[str, str]]:
    """(name, path) of every main page; names become screenshot file names."""
    return [
        ("home", "/"),
        ("enrichment", "/enrichment/"),
        ("enrichment-job", f"/enrichment/jobs/{o['enrichment']}"),
        ("enrichment-preview", f"/enrichment/uploads/{o['upload']}"),
        ("searches", "/searches/"),
        ("search", f"/searches/{o['search']}"),
        ("prospects", "/prospects/"),
        ("prospects-job", f"/prospects/jobs/{o['prospects']}"),
        ("prospects-account", "/prospects/account"),
        ("contacts", "/contacts/"),
        ("contacts-new", "/contacts/new"),
        ("contacts-import", "/contacts/import/csv"),
        ("companies", "/contacts/companies"),
        ("company", f"/contacts/companies/{o['company']}"),
        ("contact", f"/contacts/{o['contact']}"),
        ("contact-edit", f"/contacts/{o['contact']}/edit"),
        ("contacts-sync", "/contacts/sync/stats"),
        ("airtable", "/contacts/airtable"),
        ("finder", "/finder/"),
        ("outreach", "/outreach/"),
        ("outreach-creator", f"/outreach/creators/{o['creator']}"),
        ("outreach-samples", "/outreach/samples"),
        ("outreach-tasks", "/outreach/tasks"),
        ("outreach-task", f"/outreach/tasks/{o['task']}"),
        ("outreach-rules", "/outreach/rules"),
        ("outreach-schedules", "/outreach/schedules"),
        ("outreach-upcoming", "/outreach/upcoming"),
        ("outreach-messages", "/outreach/messages"),
        ("ops", "/ops/"),
        ("settings", "/settings"),
        ("members", "/settings/members"),
        ("webhooks", "/settings/webhooks"),
        ("webhook", f"/settings/webhooks/{o['endpoint']}"),
    ]


def sign_in_demo(page) -> None:
    """Sign in through the login form as the demo user."""
    page.goto("/login")
    page.fill("#email", DEMO_EMAIL)
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator(".topbar").wait_for()


def open_page(page, path: str) -> None:
    """Open `path` and let sections that load themselves (htmx) arrive."""
    response = page.goto(path)
    assert response.status == 200, (path, response.status)
    try:
        page.wait_for_load_state("networkidle", timeout=3_000)
    except Exception:  # a page polling every second is never idle: it loaded anyway
        pass


def overflow(page) -> int:
    """How many px the document is wider than its viewport (0 when it fits)."""
    return page.evaluate(
        "Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )
