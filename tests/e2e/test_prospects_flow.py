"""Prospect search in a real browser: connect the account, search, watch the pages."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import snapshot

pytestmark = pytest.mark.e2e

TARGET = 120  # three classic pages of 50, 50 and 20


@pytest.fixture
def worker_env():
    return {"PROSPECT_PAGE_DELAY_SECONDS": "0.6"}


def _watch_fetched(page, box, timeout: float) -> list[str]:
    """The "Fetched N/T (P %)" figures, in order, until the job is terminal."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Status first: once it reads terminal the box is no longer swapped, so the
        # figures read next are the final ones.
        status = box.locator(".badge").inner_text().strip()
        figures = box.locator(".figures").inner_text().strip()
        if not seen or seen[-1] != figures:
            seen.append(figures)
        if status in ("completed", "completed with failures", "failed", "cancelled"):
            return [*seen, status]
        page.wait_for_timeout(100)
    pytest.fail(f"search not finished after {timeout}s; figures seen: {seen}")


def test_prospect_search_connects_account_and_fetches_target(page, live_server, worker):
    _, base_url = live_server
    user = factories.make_user(email="prospects@acme.test", workspace="Acme")
    sign_in(page, user.email)

    page.goto("/prospects/")
    expect(page.locator("#account-summary")).to_contain_text(
        "No active LinkedIn account"
    )
    page.locator("#account-summary a").click()
    page.wait_for_url(re.compile(r"/prospects/account$"))
    form = page.locator("#account-form")
    expect(form.locator("input[name=dsn]")).to_have_value(f"{base_url}/sandbox/unipile")
    form.locator("input[name=api_key]").fill("sandbox-key")
    form.locator("input[name=account_id]").fill("acct-e2e")
    form.get_by_role("button", name="Save and test").click()
    expect(page.locator(".flash")).to_contain_text("LinkedIn account connected.")
    status = page.locator("#account-status")
    expect(status.locator(".badge")).to_have_class(re.compile("badge-completed"))
    expect(status).to_contain_text("acct-e2e")
    before = status.inner_text()
    page.wait_for_timeout(1100)  # the check time is shown to the second
    page.locator("#test-connection").click()
    expect(status).not_to_have_text(before)
    expect(page.locator("#account-status .badge")).to_have_class(
        re.compile("badge-completed")
    )
    expect(page.locator("#account-error")).to_have_count(0)

    page.goto("/prospects/")
    expect(page.locator("#account-summary")).to_contain_text("Searching as acct-e2e")
    form = page.locator("#prospect-form")
    form.locator("input[name=title]").fill("CTO")
    form.locator("input[name=location_query]").fill("Berlin")
    berlin = form.locator("#location-options input[value^='106967730::']")
    berlin.check()  # the option arrives by active search (htmx)
    form.locator("#target_count").fill(str(TARGET))
    expect(page.locator("#prospect-estimate")).to_contain_text("3 pages of 50")
    form.get_by_role("button", name="Start search").click()
    page.wait_for_url(re.compile(r"/prospects/jobs/[\w-]+$"))
    expect(page.locator("p.hint").first).to_contain_text("in Berlin, Germany")

    page.evaluate("window.__e2eNoReload = true")
    seen = _watch_fetched(page, page.locator(".progress-box"), timeout=40)

    assert seen[-1] == "completed", seen
    assert seen[-2] == f"Fetched {TARGET}/{TARGET} (100 %)", seen
    assert page.evaluate("window.__e2eNoReload") is True
    page.locator(".progress-box .done-note a").click()  # "Show the prospects"
    table = page.locator("#prospects-table")
    expect(table.locator("h2")).to_have_text(f"Prospects ({TARGET})")
    rows = table.locator("tbody tr[id^=prospect-]")
    expect(rows).to_have_count(50)
    assert set(rows.locator("td:nth-child(4)").all_inner_texts()) == {"Berlin, Germany"}
    assert all(
        t.endswith("CTO") for t in rows.locator("td:nth-child(2)").all_inner_texts()
    )
    assert set(rows.locator("td:nth-child(7)").all_inner_texts()) == {"1"}
    table.locator("#next-page").click()
    expect(table.locator(".pager")).to_contain_text("Page 2 of 3")
    table.locator("#next-page").click()
    expect(rows).to_have_count(TARGET - 100)
    # The third provider page, fetched after the cursor of the second.
    assert set(rows.locator("td:nth-child(7)").all_inner_texts()) == {"3"}
    snapshot(page, "prospect_search_completed")


def test_estimate_follows_a_count_typed_while_an_earlier_estimate_loads(
    page, live_server
):
    user = factories.make_user(email="estimates@acme.test", workspace="Acme")
    sign_in(page, user.email)
    page.goto("/prospects/")
    form = page.locator("#prospect-form")
    expect(page.locator("#prospect-estimate")).to_contain_text("2 pages of 50")
    held = []

    def hold_the_first_estimate(route):
        # The first answer arrives while the typed count still waits out its delay.
        if not held:
            held.append(route.request.url)
            time.sleep(0.25)
        route.continue_()

    page.route(re.compile(r"/prospects/estimate\?"), hold_the_first_estimate)
    form.locator("input[name=company_headcount]").first.check()
    form.locator("#target_count").fill(str(TARGET))
    expect(page.locator("#prospect-estimate")).to_contain_text("3 pages of 50")
    assert len(held) == 1
