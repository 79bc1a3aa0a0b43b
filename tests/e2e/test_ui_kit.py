"""The UI kit's behaviour in a real browser: a destructive action asks first in a
dialog (hx-confirm too), and a file dropped on an upload's drop zone is the one sent."""

import pytest
from playwright.sync_api import expect

from prospecting.services import searches
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

A_FILE = """() => {
  const data = new DataTransfer();
  const csv = "Name,Email\\nAda,ada@example.com\\n";
  data.items.add(new File([csv], "dropped.csv", {type: "text/csv"}));
  return data;
}"""


def test_deleting_a_saved_search_asks_first_and_cancel_keeps_it(page, live_server):
    user = factories.make_user(email="kit@acme.test", workspace="Acme")
    ws = user.memberships[0].workspace_id
    searches.save(ws, searches.start(ws, None, {"job_title": ["CTO"]}).id, "CTOs")
    sign_in(page, user.email)
    page.goto("/searches/")
    saved = page.locator("#saved-searches")
    expect(saved).to_contain_text("CTOs")

    saved.get_by_role("button", name="Delete").click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Delete? This cannot be undone.")
    dialog.get_by_role("button", name="Go back").click()
    expect(dialog).to_be_hidden()
    page.reload()
    expect(saved).to_contain_text("CTOs")

    saved.get_by_role("button", name="Delete").click()
    page.locator("dialog.confirm-dialog").get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    expect(page.locator("#saved-searches")).not_to_contain_text("CTOs")


def test_a_file_dropped_on_the_upload_zone_is_the_one_sent(page, live_server):
    user = factories.make_user(email="drop@acme.test", workspace="Acme")
    sign_in(page, user.email)
    page.goto("/enrichment/")
    zone = page.locator("#upload-form .dropzone")
    expect(zone).to_contain_text("Drop a file here or click to choose one")
    zone.dispatch_event("drop", {"dataTransfer": page.evaluate_handle(A_FILE)})
    expect(zone).to_contain_text("dropped.csv")
    expect(zone).to_have_class("dropzone has-file")
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("main")).to_contain_text("dropped.csv")
    expect(page.locator("main")).to_contain_text("ada@example.com")


def test_an_hx_confirm_asks_in_the_same_dialog_before_the_request(page, live_server):
    user = factories.make_user(email="hx@acme.test", workspace="Acme")
    ws = user.memberships[0].workspace_id
    job = factories.make_job(ws, status="running", title="Long job", progress_total=9)
    sign_in(page, user.email)
    page.goto("/")
    box = page.locator(f"#job-{job.id}")
    box.get_by_role("button", name="Cancel").click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_contain_text("Cancel this job?")
    dialog.get_by_role("button", name="Go back").click()
    expect(box.locator(".badge")).to_have_text("running")

    box.get_by_role("button", name="Cancel").click()
    dialog.get_by_role("button", name="Confirm").click()
    expect(box.locator(".badge")).to_have_text("cancelled")
