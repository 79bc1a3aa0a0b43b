"""The ops page in a real browser: a batch that failed for good is retried and its
job completes."""

import re

import pytest
from playwright.sync_api import expect

from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import Job
from prospecting.services import jobs
from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import snapshot

pytestmark = pytest.mark.e2e

ROWS = 24  # three batches of 8 (ENRICHMENT_BATCH_SIZE of the worker fixture)
ERROR = "ProviderUnavailable: the email verifier answered 503 after 3 retries"


def _failed_job(user) -> tuple[str, int]:
    """An enrichment job whose first row batch failed for good while the others run
    in the worker; returns (job id, failed batch id)."""
    workspace_id = user.memberships[0].workspace_id
    rows = [["Name", "Email"]] + [
        [f"Ops {i}", f"ops{i}@retry{i % 4}.com"] for i in range(1, ROWS + 1)
    ]
    csv = factories.csv_bytes(rows)
    job = factories.enrichment_job(workspace_id, csv, user_id=user.id)
    planned: list[tuple[int, str]] = []
    ((plan_id, _),) = jobs.open_batches(job.id)
    factories.run_batch(
        plan_id, dispatch=planned.extend
    )  # in-process, as the worker would
    assert len(planned) == 3, planned
    # What the worker's error signal does once a batch's last retry has failed.
    jobs.fail_batch(planned[0][0], ERROR)
    tasks.enqueue_batches(planned[1:])
    return job.id, planned[0][0]


def test_ops_retry_of_a_failed_batch_completes_its_job(page, live_server, worker):
    app, _ = live_server
    app.config["ENRICHMENT_BATCH_SIZE"] = 8  # as in the worker
    user = factories.make_user(email="ops@acme.test", workspace="Acme")
    sign_in(page, user.email)
    job_id, batch_id = _failed_job(user)

    page.goto(f"/enrichment/jobs/{job_id}")
    box = page.locator(".progress-box")
    expect(box.locator(".badge")).to_have_text("failed", timeout=30_000)
    expect(box.locator(".error-text")).to_contain_text("1 batch(es) failed")
    expect(box.locator("dd.ok")).to_have_text(str(ROWS - 8))

    page.goto("/ops/")
    row = page.locator(f"#failed-{batch_id}")
    expect(row).to_contain_text("ProviderUnavailable: the email verifier answered 503")
    expect(row).to_contain_text("#1 enrichment.rows")
    row.get_by_role("button", name="Retry").click()
    failed = page.locator("#ops-failed")
    expect(failed.locator(".flash")).to_have_text(f"Batch {batch_id} sent again.")
    expect(page.locator(f"#failed-{batch_id}")).to_have_count(0)
    assert re.search(r"/ops/?$", page.url)  # swapped in place by htmx

    page.goto(f"/enrichment/jobs/{job_id}")
    box = page.locator(".progress-box")
    expect(box.locator(".badge")).to_have_text("completed", timeout=30_000)
    expect(box.locator(".figures")).to_have_text(f"{ROWS} / {ROWS} rows (100 %)")
    expect(box.locator(".error-text")).to_have_count(0)
    page.reload()
    expect(page.locator("#results .filters a").first).to_have_text(f"All ({ROWS})")
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == "completed"
    snapshot(page, "ops_retry_completed")
