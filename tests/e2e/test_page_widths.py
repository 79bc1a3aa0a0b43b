"""Every main page, with data, at a phone's 390 px and a desktop's 1440 px: the
document is never wider than the viewport (wide tables scroll in their own box)."""

import pytest
from playwright.sync_api import expect

from prospecting.services import accounts
from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.pages import main_pages
from tests.e2e.pages import open_page
from tests.e2e.pages import overflow
from tests.e2e.pages import seed
from tests.e2e.pages import sign_in_demo
from tests.test_security_sweep import own_get_urls
from tests.test_security_sweep import seed_workspace

pytestmark = pytest.mark.e2e

WIDTHS = (390, 1440)
# Routes that answer a file or JSON rather than a page.
NOT_PAGES = (".csv", ".xlsx", "/export", "/api/", "openapi")


def test_no_main_page_is_wider_than_the_viewport(page, live_server):
    app, _ = live_server
    pages = main_pages(seed(app))
    sign_in_demo(page)
    too_wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for _name, path in pages:
            open_page(page, path)
            if extra := overflow(page):
                too_wide.append(f"{path} at {width} px: {extra} px too wide")
    assert not too_wide, "\n".join(too_wide)


def test_the_navigation_collapses_behind_a_menu_button_on_a_phone(page, live_server):
    app, _ = live_server
    seed(app)
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in_demo(page)
    nav = page.locator(".topbar nav")
    button = page.locator(".topbar .menu-button")
    expect(button).to_be_visible()
    expect(nav).to_be_hidden()
    button.click()
    expect(nav).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(nav.locator("[aria-current=page]")).to_have_text("Home")
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(button).to_be_hidden()
    expect(nav).to_be_visible()


def test_no_page_of_the_app_is_wider_than_a_phone(page, live_server):
    """Every HTML page of the URL map (one object of each kind), not only the main
    ones, at 390 px."""
    app, _ = live_server
    user = factories.make_user(email="phone@acme.test", workspace="Acme")
    accounts.set_operator(user.email, True)
    ours = seed_workspace(user.memberships[0].workspace_id)
    paths = [
        url for url in own_get_urls(app, ours) if not any(n in url for n in NOT_PAGES)
    ]
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, user.email)
    too_wide, seen = [], 0
    for path in paths:
        response = page.goto(path)
        if (
            response.status != 200
            or "text/html" not in response.headers["content-type"]
        ):
            continue
        if not page.locator("main.container").count():
            continue  # an htmx fragment, shown inside its page
        seen += 1
        if extra := overflow(page):
            too_wide.append(f"{path}: {extra} px too wide")
    assert seen > 35, seen
    assert not too_wide, "\n".join(too_wide)
