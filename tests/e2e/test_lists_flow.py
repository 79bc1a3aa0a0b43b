"""Lists in a real browser: every contact matching the book's filter selected,
confirmed by its count, added to a list, and the list exported."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.services import lists
from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import snapshot

pytestmark = pytest.mark.e2e


def test_select_all_matching_add_to_a_list_and_export_it(page, live_server):
    user = factories.make_user(email="lists@acme.test", workspace="Acme")
    workspace = user.memberships[0].workspace
    ids = factories.make_contacts(workspace.id, 60)
    # More than a page of the book (RESULTS_PER_PAGE) carries the tag.
    lists.tag_contacts(workspace.id, ids[:55], "trade show")
    leads = factories.make_list(workspace.id, "Trade show leads")
    sign_in(page, user.email)

    page.goto("/contacts/")
    page.locator("#contacts-search select[name=tag]").select_option("trade show")
    expect(page.locator("#contacts-table .hint").first).to_contain_text("55 contacts")
    page.wait_for_url(re.compile(r"tag=trade"))

    bar = page.locator("#bulk-form")
    bar.locator("#bulk-scope").select_option("all")
    bar.locator("#bulk-action").select_option("add")
    bar.locator("#bulk-list").select_option(str(leads.id))
    bar.locator("#bulk-apply").click()

    # Confirmed with the count before anything happens.
    expect(page.locator("#bulk-count")).to_have_text("55")
    assert lists.count_members(leads) == 0
    page.locator("#confirm-button").click()
    page.wait_for_url(re.compile(r"/contacts/"))
    expect(page.locator(".flash")).to_contain_text("Added 55 contacts to the list")

    page.goto("/lists/")
    page.locator(f"#list-{leads.id} a").click()
    expect(page.locator("#list-size")).to_have_text("55")

    export = page.locator("#list-export")
    export.locator("summary").click()
    with page.expect_download() as info:
        export.get_by_role("button", name="Download").click()
    text = open(info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 55
    tagged = {db.session.get(Contact, i).email for i in ids[:55]}
    assert {r["email"] for r in rows} == tagged
    snapshot(page, "lists_flow")
