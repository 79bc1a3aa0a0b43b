"""A table that follows its job: the results fill in while the job runs, brought
by the one progress poll, without a reload."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.test_enrichment_flow import ROWS
from tests.e2e.test_enrichment_flow import _contacts_file

pytestmark = pytest.mark.e2e


def test_the_results_table_fills_while_the_job_runs(
    page, live_server, worker, tmp_path
):
    user = factories.make_user(email="live@acme.test", workspace="Acme")
    sign_in(page, user.email)
    page.goto("/enrichment/")
    page.set_input_files("#upload-form input[type=file]", _contacts_file(tmp_path))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url(re.compile(r"/enrichment/uploads/\d+$"))
    page.get_by_role("button", name="Start enrichment").click()
    page.wait_for_url(re.compile(r"/enrichment/jobs/[\w-]+$"))
    page.evaluate("window.__e2eNoReload = true")
    requests = []
    page.on("request", lambda r: requests.append(r.url))

    box, results = page.locator(".progress-box"), page.locator("#results")
    samples = []
    for _ in range(600):
        status = box.locator(".badge").inner_text().strip()
        done = results.locator("tbody .badge-success, tbody .badge-failed").count()
        samples.append((status, done))
        if status in ("completed", "failed", "cancelled"):
            break
        page.wait_for_timeout(100)

    assert samples[-1][0] == "completed", samples
    # Rows turned processed in the table while the job was still running.
    assert any(s == "running" and 0 < n < ROWS for s, n in samples), samples
    expect(results.locator("tbody tr[id^=row-]")).to_have_count(ROWS)
    expect(results.locator("tbody .badge-pending")).to_have_count(0)
    expect(page.locator("#add-to-contacts")).to_be_visible()
    assert page.evaluate("window.__e2eNoReload") is True
    # One poll for the box and the table: the table never fetched itself.
    assert not [u for u in requests if "/results" in u], requests
