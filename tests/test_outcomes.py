"""Honest outcomes: a job's badge says how it ended, from its status and counts."""

import pytest

from prospecting.extensions import db
from prospecting.services import jobs
from tests import factories

ROWS = "enrichment.rows"


@pytest.mark.parametrize(
    ("status", "success", "failed", "key", "label"),
    [
        ("completed", 10, 0, "completed", "completed"),
        ("completed", 0, 0, "completed", "completed"),
        ("completed", 7, 3, "completed_with_failures", "completed with failures"),
        ("completed", 0, 5, "failed", "failed"),
        ("failed", 2, 0, "failed", "failed"),
        ("paused", 1, 1, "paused", "paused"),
        ("cancelled", 3, 1, "cancelled", "cancelled"),
        ("running", 0, 4, "running", "running"),
        ("queued", 0, 0, "queued", "queued"),
    ],
)
def test_outcome_reads_the_status_with_the_counts(status, success, failed, key, label):
    outcome = jobs.outcome_of(status, success, failed)
    assert (outcome.key, outcome.label) == (key, label)


def test_a_completed_job_whose_items_all_failed_is_not_green():
    outcome = jobs.outcome_of("completed", 0, 12)
    assert outcome.tone == "bad"
    assert outcome.note == "Every item failed (12)."
    assert jobs.outcome_of("completed", 9, 3).tone == "warn"
    assert jobs.outcome_of("completed", 9, 0).tone == "ok"


def test_the_engine_finishes_a_job_whose_rows_all_failed_with_a_failed_outcome(
    workspace,
):
    job = factories.make_job(workspace.id, status="running", progress_total=20)
    batches = [jobs.add_batch(job.id, kind=ROWS, seq=i + 1) for i in range(2)]
    db.session.commit()
    for batch in batches:
        jobs.complete(
            batch.id, jobs.claim(batch.id, kinds=(ROWS,)), success=0, failed=10
        )
    db.session.refresh(job)
    assert job.status == "completed"
    assert jobs.outcome(job).key == "failed"


def _badge_of(body: str, job_id: str) -> str:
    row = body.split(f'id="job-row-{job_id}"', 1)[1].split("</tr>", 1)[0]
    return row.split('class="badge', 1)[1].split("</span>", 1)[0]


def test_home_and_progress_badges_distinguish_each_outcome(
    auth_client, workspace, htmx
):
    cases = {
        "completed": factories.make_job(
            workspace.id, status="completed", success_count=5, failed_count=0
        ),
        "completed with failures": factories.make_job(
            workspace.id, status="completed", success_count=4, failed_count=1
        ),
        "failed": factories.make_job(
            workspace.id, status="completed", success_count=0, failed_count=5
        ),
        "paused": factories.make_job(workspace.id, status="paused"),
        "cancelled": factories.make_job(workspace.id, status="cancelled"),
    }
    home = auth_client.get("/").get_data(as_text=True)
    for label, job in cases.items():
        assert _badge_of(home, job.id).endswith(f">{label}"), label
    all_failed = cases["failed"]
    assert "badge-completed" not in _badge_of(home, all_failed.id)
    box = auth_client.get(f"/jobs/{all_failed.id}/progress", headers=htmx)
    body = box.get_data(as_text=True)
    assert ">failed</span>" in body and "badge-bad" in body
    assert "Every item failed (5)." in body
    partly = auth_client.get(
        f"/jobs/{cases['completed with failures'].id}/progress", headers=htmx
    ).get_data(as_text=True)
    assert ">completed with failures</span>" in partly and "1 of 5 failed." in partly
