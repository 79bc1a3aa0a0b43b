"""People search in a real browser: filters, live status, profiles, CSV export."""

import csv
import io
import re
import time

import pytest
from playwright.sync_api import expect

from prospecting.sandbox import faults
from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import snapshot

pytestmark = pytest.mark.e2e

FETCH = 30
TITLES = {"CTO", "VP Engineering"}


@pytest.fixture
def worker_env():
    # Poll ReachStream often, so the sandbox's short processing time is seen quickly.
    return {"REACHSTREAM_POLL_INITIAL": "0.3", "REACHSTREAM_POLL_MAX": "0.5"}


def _watch_status(page, box, timeout: float) -> list[str]:
    """The job's badge values and the search's headlines, in order, until the job
    is completed or failed."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = box.locator(".badge").inner_text().strip()
        headline = box.locator(".progress-head").inner_text().strip()
        for value in (status, headline):
            if value not in seen:
                seen.append(value)
        if status in ("completed", "completed with failures", "failed"):
            return seen
        page.wait_for_timeout(100)
    pytest.fail(f"search not finished after {timeout}s; statuses seen: {seen}")


def test_people_search_filters_watches_status_and_exports(page, live_server, worker):
    user = factories.make_user(email="people@acme.test", workspace="Acme")
    # The sandbox batch stays PROCESSING for a moment, as ReachStream's would.
    faults.set_overrides({"latency_ms": 20, "reachstream_ready_after": 1.5})
    sign_in(page, user.email)

    page.goto("/searches/")
    form = page.locator("#search-form")
    form.locator("input[name=job_title]").fill("CTO, VP Engineering")
    # A multi-value filter is chips with typeahead: type, Enter picks the suggestion.
    levels = form.locator(
        ".chips", has=page.locator("[name=contact_job_title_level_1]")
    )
    for typed in ("c-le", "VP"):
        levels.locator(".chip-input").fill(typed)
        levels.locator(".chip-input").press("Enter")
    expect(levels.locator(".chip")).to_have_text(["C-Level ×", "VP ×"])
    form.locator("input[name=company_address_country]").fill("India; Germany")
    form.locator("input[name=fetch_count]").fill(str(FETCH))
    form.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/searches/[\w-]+$"))

    filters = page.locator("#search-filter")
    expect(filters).to_contain_text("CTO, VP Engineering")
    expect(filters).to_contain_text("C-Level, VP")
    expect(filters).to_contain_text("India, Germany")
    page.evaluate("window.__e2eNoReload = true")
    box = page.locator(".progress-box")
    seen = _watch_status(page, box, timeout=30)

    assert "completed" in seen and "running" in seen, seen
    assert any("ReachStream is preparing the batch" in s for s in seen), seen
    expect(box.locator(".figures")).to_have_text(f"{FETCH} profiles found.")
    rows = page.locator("#profiles tbody tr[id^=profile-]")
    expect(rows).to_have_count(FETCH)  # loaded by the finished status partial
    assert page.evaluate("window.__e2eNoReload") is True
    titles = {t.strip() for t in rows.locator("td:nth-child(2)").all_inner_texts()}
    assert titles <= TITLES and titles, titles
    snapshot(page, "people_search_completed")

    with page.expect_download() as info:
        page.locator("#export-link").click()
    assert re.fullmatch(r"people-[\w-]{8}\.csv", info.value.suggested_filename)
    text = open(info.value.path(), "rb").read().decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == FETCH
    assert {r["job_title"] for r in table} <= TITLES
    assert all(r["full_name"] and r["provider_record_id"] for r in table)
    assert {r["full_name"] for r in table} == set(
        rows.locator("td:nth-child(1)").all_inner_texts()
    )
