"""The enrichment flow in a real browser: sign in, upload, map, watch, export."""

import codecs
import csv
import io
import re
import time

import pytest
from playwright.sync_api import expect

from prospecting.sandbox import faults
from prospecting.services.enrichment import EXPORT_COLUMNS
from tests import factories
from tests.e2e.conftest import save_artifacts
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import snapshot

pytestmark = pytest.mark.e2e

ROWS = 40
HEADER = ["Full Name", "E-mail Address", "Company", "Phone", "Website"]


def _contacts_file(tmp_path):
    """40 contacts, semicolon-separated UTF-8 with a BOM, one accented name."""
    rows = [HEADER]
    for i in range(1, ROWS + 1):
        name = "Zoë Ångström" if i == 1 else f"Person {i}"
        rows.append([name, f"person{i}@company{i % 7}.com", f"Company {i % 7}",
                     f"(415) 555-{i:04d}", f"https://company{i % 7}.com"])  # fmt: skip
    path = tmp_path / "contacts.csv"
    path.write_bytes(factories.csv_bytes(rows, delimiter=";", encoding="utf-8-sig"))
    return path


def _watch_progress(page, box, timeout: float) -> list[tuple[str, int]]:
    """Sample (status, percent) from the live progress box until the job is terminal."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = box.locator(".badge").inner_text().strip()
        percent = int(box.locator("progress").get_attribute("value") or 0)
        if not seen or seen[-1] != (status, percent):
            seen.append((status, percent))
        if status in ("completed", "completed with failures", "failed", "cancelled"):
            return seen
        page.wait_for_timeout(100)
    pytest.fail(f"job not terminal after {timeout}s; progress seen: {seen}")


def test_enrichment_flow_uploads_maps_watches_and_exports(
    page, live_server, worker, tmp_path
):
    app, _ = live_server
    user = factories.make_user(email="e2e@acme.test", workspace="Acme")

    page.goto("/login")
    page.fill("#email", user.email)
    page.fill("#password", factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".topbar .who")).to_contain_text(user.email)

    page.goto("/enrichment/")
    page.set_input_files("#upload-form input[type=file]", _contacts_file(tmp_path))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url(re.compile(r"/enrichment/uploads/\d+$"))

    summary = page.locator("main section.card p").first
    expect(summary).to_contain_text("Read as utf-8 (byte-order mark removed)")
    expect(summary).to_contain_text("delimiter semicolon (;), 5 columns")
    expect(page.locator("#preview-table thead th")).to_have_text(HEADER)
    expect(page.locator("#preview-table")).to_contain_text("Zoë Ångström")
    expect(page.locator("select[name=map_email]")).to_have_value("E-mail Address")
    expect(page.locator("select[name=map_name]")).to_have_value("Full Name")

    page.get_by_role("button", name="Start enrichment").click()
    page.wait_for_url(re.compile(r"/enrichment/jobs/[\w-]+$"))
    # A marker that a reload or navigation would wipe: progress must arrive by polling.
    page.evaluate("window.__e2eNoReload = true")
    box = page.locator(".progress-box")

    seen = _watch_progress(page, box, timeout=40)

    assert seen[-1] == ("completed", 100), seen
    assert any(status != "completed" for status, _ in seen), seen
    expect(box.locator(".figures")).to_have_text(f"{ROWS} / {ROWS} rows (100 %)")
    assert page.evaluate("window.__e2eNoReload") is True
    assert box.get_attribute("hx-trigger") is None  # polling stopped once terminal
    results = page.locator("#results")
    expect(results.locator("tbody tr[id^=row-]")).to_have_count(ROWS)
    expect(results.locator(".filters a").first).to_have_text(f"All ({ROWS})")
    expect(results).not_to_have_attribute("hx-trigger", re.compile(".*"))
    save_artifacts(page, "enrichment_job_completed")

    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename == "contacts-enriched.csv"
    raw = open(download.path(), "rb").read()

    assert raw.startswith(codecs.BOM_UTF8)
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == HEADER + list(EXPORT_COLUMNS)
    data = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    assert len(data) == ROWS
    assert data[0]["Full Name"] == "Zoë Ångström"
    assert [d["E-mail Address"] for d in data] == [
        f"person{i}@company{i % 7}.com" for i in range(1, ROWS + 1)
    ]
    assert all(d["status"] in ("success", "failed") for d in data)
    assert all(d["email_verdict"] for d in data if d["status"] == "success")
    # Formula-safe export, yet a phone number is data: never prefixed.
    assert data[4]["phone_e164"] == "+14155550005"
    assert {d["company_domain"] for d in data} == {f"company{i}.com" for i in range(7)}
    assert app.config["HUEY_IMMEDIATE"] is False  # the work really ran in the worker


RERUN_ROWS = 12


def _rerun_file(tmp_path):
    """12 rows with an address (the sandbox fails them at first), 2 without one."""
    rows = [["Name", "Email", "Website"]]
    rows += [[f"Retry {i}", f"retry{i}@rerun{i % 3}.com", ""] for i in range(1, 13)]
    rows += [["No Mail A", "", ""], ["No Mail B", "", ""]]
    path = tmp_path / "rerun.csv"
    path.write_bytes(factories.csv_bytes(rows))
    return path


def test_enrichment_rerun_failed_rows_succeeds_after_provider_outage(
    page, live_server, worker, tmp_path
):
    user = factories.make_user(email="rerun@acme.test", workspace="Acme")
    sign_in(page, user.email)
    # Every provider call answers 503 during the first run.
    faults.set_overrides({"latency_ms": 20, "error_rate": 1.0})

    page.goto("/enrichment/")
    page.set_input_files("#upload-form input[type=file]", _rerun_file(tmp_path))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url(re.compile(r"/enrichment/uploads/\d+$"))
    page.get_by_role("button", name="Start enrichment").click()
    page.wait_for_url(re.compile(r"/enrichment/jobs/[\w-]+$"))
    box = page.locator(".progress-box")
    # Every row failed: the job reads as failed, not a green "completed".
    assert _watch_progress(page, box, timeout=40)[-1] == ("failed", 100)
    expect(box.locator("dd.bad")).to_have_text(str(RERUN_ROWS + 2))
    expect(box.locator("dd.ok")).to_have_text("0")

    page.reload()  # the action buttons are rendered for a terminal job
    with page.expect_download() as info:
        page.locator("#errors-link").click()
    failed = list(csv.DictReader(io.StringIO(_text(info.value))))
    assert info.value.suggested_filename == "rerun-errors.csv"
    assert len(failed) == RERUN_ROWS + 2
    assert {r["Name"] for r in failed} >= {"Retry 1", "No Mail A", "No Mail B"}
    assert all(r["error_message"] for r in failed)
    no_mail = next(r for r in failed if r["Name"] == "No Mail A")
    assert no_mail["error_message"] == "No email address in this row."

    faults.set_overrides({"latency_ms": 20})  # the provider is back
    page.locator("#rerun-button").click()
    expect(page.locator(".flash")).to_contain_text("The failed work is queued again.")
    box = page.locator(".progress-box")
    # The two rows without an address stay failed.
    assert _watch_progress(page, box, timeout=40)[-1] == (
        "completed with failures",
        100,
    )
    expect(box.locator("dd.ok")).to_have_text(str(RERUN_ROWS))
    expect(box.locator("dd.bad")).to_have_text("2")

    # The status filter swaps the results table in place (htmx, no navigation).
    page.evaluate("window.__e2eNoReload = true")
    results = page.locator("#results")
    results.locator(".filters a", has_text="failed (2)").click()
    expect(results.locator("tbody tr[id^=row-]")).to_have_count(2)
    expect(results.locator("tbody")).to_contain_text("No Mail B")
    expect(results.locator("#status-failed[aria-current]")).to_have_text("failed (2)")
    results.locator(".filters a", has_text=f"success ({RERUN_ROWS})").click()
    expect(results.locator("tbody tr[id^=row-]")).to_have_count(RERUN_ROWS)
    expect(results.locator("tbody .badge-success")).to_have_count(RERUN_ROWS)
    assert page.evaluate("window.__e2eNoReload") is True
    snapshot(page, "enrichment_rerun_completed")


def _text(download) -> str:
    return open(download.path(), "rb").read().decode("utf-8-sig")
