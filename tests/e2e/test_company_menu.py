"""The contact form's company search in a real browser: with more companies than
the menu holds, typing part of a name swaps the matching ones into the menu and
the one chosen is saved on the contact."""

import re

import pytest
from playwright.sync_api import expect

from prospecting.services.contacts.companies import CHOICES
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_a_company_beyond_the_menu_is_found_by_typing_and_saved(page, live_server):
    user = factories.make_user(email="menu@acme.test", workspace="Acme")
    ws = user.memberships[0].workspace.id
    for i in range(CHOICES + 10):
        factories.make_company(ws, name=f"Firm {i:03d}", domain=f"firm{i:03d}.com")
    sign_in(page, user.email)

    page.goto("/contacts/new")
    menu = page.locator("#company_id")
    expect(menu.locator("option", has_text="Firm 055")).to_have_count(0)
    page.locator("#company_q").fill("firm055")
    expect(menu.locator("option", has_text="Firm 055")).to_have_count(1)
    page.locator("#company_id").select_option(label="Firm 055")
    page.get_by_label("Email").fill("ann@firm055.com")
    page.get_by_role("button", name="Add").click()

    page.wait_for_url(re.compile(r"/contacts/\d+$"))
    expect(page.locator("main")).to_contain_text("Firm 055")
