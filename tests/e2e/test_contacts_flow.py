"""Contacts in a real browser: a company's contacts fetched by CIN, then synced to
Airtable (the sandbox's, over real HTTP) and marked synced."""

import re

import pytest
from playwright.sync_api import expect

from prospecting.sandbox import airtable
from prospecting.services.enrichment import readable_name
from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import snapshot

pytestmark = pytest.mark.e2e

CIN = "U74999TG2017PTC118286"  # six directors in the sandbox
BASE = "appE2eBrowser0001"


@pytest.fixture
def worker_env():
    # The worker's Airtable pacing, short as in TestConfig.
    return {"AIRTABLE_LOCKOUT_SECONDS": "1", "AIRTABLE_PHASE_WAIT_SECONDS": "0.2"}


def _wait_terminal(page, timeout_ms: int = 30_000) -> str:
    box = page.locator(".progress-box")
    expect(box.locator(".done-note")).to_be_visible(timeout=timeout_ms)
    return box.locator(".badge").inner_text().strip()


def test_contact_fetch_then_airtable_sync_marks_contacts_synced(
    page, live_server, worker
):
    airtable.reset()
    airtable.create_base(BASE)
    user = factories.make_user(email="contacts@acme.test", workspace="Acme")
    sign_in(page, user.email)

    page.goto("/contacts/companies")
    form = page.locator("#company-form")
    form.locator("input[name=name]").fill("Raheja Analytics Pvt Ltd")
    form.locator("input[name=domain]").fill("raheja.example")
    form.locator("input[name=registration_number]").fill(CIN)
    form.get_by_role("button", name="Add").click()
    page.wait_for_url(re.compile(r"/contacts/companies/\d+$"))
    expect(page.locator(".flash")).to_contain_text("Company Raheja Analytics Pvt Ltd")

    page.locator("#fetch-button").click()
    page.wait_for_url(re.compile(r"/contacts/jobs/[\w-]+/fetch$"))
    assert _wait_terminal(page) == "completed"
    page.locator(".progress-box .done-note a").click()  # "Reload results"
    outcomes = page.locator("#fetch-outcomes tbody tr")
    expect(outcomes.first).to_be_visible()
    expect(outcomes).to_have_count(6)
    results = outcomes.locator("td:nth-child(4)").all_inner_texts()
    assert results == ["created"] * 6, results  # a new company: every one is new
    created = 6

    # Contacts merge on email, else on phone: one with neither cannot be synced.
    rows = outcomes.filter(has_text="created").all()
    cells = [
        [row.locator(f"td:nth-child({n})").inner_text().strip() for n in (1, 2, 3)]
        for row in rows
    ]
    with_email = [name for name, email, _ in cells if email]
    mergeable = [name for name, email, phone in cells if email or phone]
    assert len(with_email) == 5  # the sandbox gives one of the six no address
    unmergeable = created - len(mergeable)
    page.goto("/contacts/sync/pending")
    expect(page.locator("main .actions span")).to_have_text(
        f"{created} contacts and 1 company never synced or changed since their "
        "last sync."
    )

    page.locator("#contacts-nav a", has_text="Airtable").click()
    settings = page.locator("#airtable-form")
    settings.locator("input[name=token]").fill("patE2eSandboxToken")
    settings.locator("input[name=base_id]").fill(BASE)
    expect(settings.locator("input[name=contacts_table]")).to_have_value("Contacts")
    settings.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash")).to_contain_text("Airtable settings saved.")

    page.locator("#sync-button").click()
    page.wait_for_url(re.compile(r"/contacts/jobs/[\w-]+/sync$"))
    assert _wait_terminal(page) == "completed"
    box = page.locator(".progress-box")
    expect(box.locator("dd.bad")).to_have_text(str(unmergeable))
    expect(box.locator("dd.ok")).to_have_text(str(len(mergeable) + 1))  # + company
    # The records sent filled in under the progress box without a reload, and
    # agree with its counts.
    sent_rows = page.locator("#sync-results tbody tr")
    expect(sent_rows).to_have_count(created + 1)
    expect(sent_rows.filter(has_text="failed")).to_have_count(unmergeable)

    page.goto("/contacts/?sync=synced")
    synced = page.locator("tbody tr[id^=contact-]")
    expect(synced).to_have_count(len(mergeable))
    expect(synced.locator(".badge", has_text="synced")).to_have_count(len(mergeable))
    # Names that came in capitals read in a readable case; the original is kept.
    assert sorted(synced.locator("td.name").all_inner_texts()) == sorted(
        readable_name(name) for name in mergeable
    )
    assert sorted(
        synced.locator("td.name span[title]").evaluate_all(
            "spans => spans.map(s => s.title)"
        )
    ) == sorted(name for name in mergeable if name.isupper())
    page.goto("/contacts/?sync=pending")
    expect(page.locator("tbody tr[id^=contact-]")).to_have_count(0)
    sent = airtable.records(BASE, "Contacts")
    assert len(sent) == len(mergeable)
    # The contact without an email was merged on its phone.
    assert sum(1 for r in sent if "Email" not in r["fields"]) == len(mergeable) - 5
    assert all(r["fields"].get("Company") for r in sent)  # linked to the company
    assert [r["fields"]["CIN"] for r in airtable.records(BASE, "Companies")] == [CIN]
    page.goto("/contacts/sync/failed")
    if unmergeable:
        expect(page.locator("main tbody tr")).to_have_count(unmergeable)
        expect(page.locator("main tbody")).to_contain_text(
            "No value to merge on ('Email' or 'Phone') and no Airtable record yet."
        )
    page.goto("/contacts/?sync=synced")
    snapshot(page, "contacts_synced")
