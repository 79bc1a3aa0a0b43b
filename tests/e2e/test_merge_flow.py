"""Duplicates in a real browser: the duplicates page, a merge's preview, one click
that merges the pair, and its undo on the merges page."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import snapshot

pytestmark = pytest.mark.e2e


def test_duplicates_page_merges_a_pair_through_the_preview(page, live_server):
    user = factories.make_user(email="merge@acme.test", workspace="Acme")
    ws = user.memberships[0].workspace.id
    keep = factories.make_contact(ws, name="Jane Doe", email="jane.doe@gmail.com")
    other = factories.make_contact(
        ws, name="J. Doe", email="janedoe+news@gmail.com", title="CTO"
    )
    keep_id, other_id = keep.id, other.id
    sign_in(page, user.email)

    page.goto("/contacts/duplicates")
    group = page.locator(f"#duplicates-{keep_id}")
    expect(group).to_contain_text("Same email address")
    expect(group.locator(f"#duplicate-{other_id}")).to_contain_text("J. Doe")
    group.get_by_label(f"Keep contact #{keep_id}").check()
    group.get_by_role("button", name="Review the merge").click()

    page.wait_for_url(re.compile(r"/contacts/duplicates/preview"))
    expect(page.locator("#merge-field-title")).to_contain_text("CTO")
    expect(page.locator("#merge-field-name")).to_contain_text("J. Doe")
    expect(page.locator("#merge-moves")).to_contain_text("janedoe+news@gmail.com")
    page.locator("#merge-confirm").click()

    page.wait_for_url(re.compile(rf"/contacts/{keep_id}$"))
    expect(page.locator(".flash")).to_contain_text("Merged 1 contact")
    expect(page.locator("#contact-emails")).to_contain_text("janedoe+news@gmail.com")

    page.goto("/contacts/duplicates")
    expect(page.locator("#no-duplicates")).to_be_visible()
    page.goto("/contacts/merges")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator(".flash")).to_contain_text("The merge was undone")
    page.goto(f"/contacts/{other_id}")
    expect(page.locator("h1")).to_contain_text("J. Doe")
    snapshot(page, "merge_flow")
