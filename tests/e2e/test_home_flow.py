"""The home page in a real browser at phone and desktop widths: where the workspace
stands, a running job's box moving live, and no horizontal page scroll."""

import pytest
from playwright.sync_api import expect

from prospecting.extensions import db
from prospecting.models import Job
from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import snapshot

pytestmark = pytest.mark.e2e

WIDTHS = (390, 1440)


def _no_horizontal_scroll(page) -> None:
    width, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width <= inner, f"page is {width} px wide in a {inner} px viewport"


@pytest.mark.parametrize("width", WIDTHS)
def test_home_page_fits_and_follows_a_running_job(page, live_server, width):
    user = factories.make_user(email="home@acme.test", workspace="Acme")
    workspace = user.memberships[0].workspace
    for i, (success, failed) in enumerate(((12, 0), (7, 5), (0, 9))):
        factories.make_job(
            workspace.id,
            status="completed",
            title=f"A rather long job title number {i} for a narrow screen",
            success_count=success,
            failed_count=failed,
            progress_total=success + failed,
            progress_current=success + failed,
        )
    running = factories.make_job(
        workspace.id,
        status="running",
        title="Enriching leads.csv",
        progress_total=10,
        progress_current=2,
    )
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, user.email)
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("Where Acme stands")
    expect(page.locator("#spend")).to_contain_text("Today")
    expect(page.locator("#next-steps")).to_contain_text("Connect a LinkedIn account")
    expect(page.locator("#outcomes")).to_contain_text("completed with failures")
    recent = page.locator("#recent")
    expect(recent.locator(".badge-failed")).to_have_count(1)
    expect(recent.locator(".badge-completed")).to_have_count(1)
    _no_horizontal_scroll(page)

    # The running job's box polls itself: the worker's progress shows without a reload.
    box = page.locator(f"#job-{running.id}")
    expect(box.locator("progress")).to_have_attribute("value", "20")
    job = db.session.get(Job, running.id)
    job.progress_current = 10
    job.success_count = 10
    job.status = "completed"
    db.session.commit()
    expect(box.locator(".badge")).to_have_text("completed", timeout=15_000)
    expect(box.locator("progress")).to_have_attribute("value", "100")
    _no_horizontal_scroll(page)
    snapshot(page, f"home_{width}")
