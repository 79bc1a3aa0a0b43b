"""Teams and outreach rules in a real browser: an invitation accepted by a new
viewer, who sees no upload form; a rule form that counts the samples of the status
being typed (htmx), applied to them, then deleted after a confirmation."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import snapshot
from tests.test_outreach_views import ingest
from tests.test_outreach_views import row

pytestmark = pytest.mark.e2e


def test_an_invited_viewer_joins_and_reads_only(page, browser, live_server):
    _, base_url = live_server
    factories.make_user(email="owner@acme.test", workspace="Acme")
    sign_in(page, "owner@acme.test")
    page.goto("/settings/members")
    form = page.locator("#invite-form")
    form.locator("[name=email]").fill("new@acme.test")
    form.locator("[name=role]").select_option("viewer")
    form.get_by_role("button", name="Invite").click()
    link = page.locator("#invitation-link code").inner_text()
    assert re.match(r"http://127\.0\.0\.1:\d+/invitations/", link)
    page.reload()
    expect(page.locator("#invitation-link")).to_have_count(0)  # shown once
    expect(page.locator("#invitations-table")).to_contain_text("new@acme.test")

    guest = browser.new_context(base_url=base_url).new_page()
    guest.goto(link)
    expect(guest.locator("#invitation")).to_contain_text("as viewer")
    guest.fill("#password", "a long password")
    guest.fill("#confirm", "a long password")
    guest.get_by_role("button", name="Create my account and join").click()
    expect(guest.locator(".flash")).to_contain_text("you are viewer here")
    expect(guest.locator("#workspace-switcher")).to_contain_text("Acme (viewer)")
    guest.goto("/enrichment/")
    expect(guest.locator("#upload-form")).to_have_count(0)
    guest.goto("/settings")
    expect(guest.locator("#token-form")).to_have_count(0)
    snapshot(guest, "teams-viewer-settings")
    guest.context.close()


def test_a_rule_counts_its_samples_is_applied_then_deleted(page, live_server):
    user = factories.make_user(email="rules@acme.test", workspace="Acme")
    ingest(user.memberships[0].workspace_id, [row(f"c{i}") for i in range(3)])
    sign_in(page, "rules@acme.test")
    page.goto("/outreach/rules")
    form = page.locator("#rule-form")
    status = form.locator("[name=sample_status]")
    status.fill("shipd")
    expect(page.locator("#rule-status-unknown")).to_contain_text("seen: shipped")
    status.fill("shipped")
    expect(page.locator("#rule-would-schedule")).to_have_text("3")
    form.locator("[name=template]").fill("Hi {creator}")
    form.get_by_label("Schedule them too").check()
    form.get_by_role("button", name="Save rule").click()
    expect(page.locator(".flash")).to_contain_text(
        "3 sample(s) already shipped are scheduled"
    )
    page.get_by_role("link", name="Delete…").click()
    expect(page.locator("#confirm")).to_contain_text("Its 3 message(s)")
    page.get_by_role("button", name="Delete rule").click()
    expect(page.locator(".flash")).to_contain_text("Rule deleted.")
    expect(page.locator("#rules-table tbody tr")).to_contain_text("No rules yet")
