"""The job engine: leases, counting once, finalising, reaper, cancel, polling."""

from datetime import timedelta

from sqlalchemy import event

from prospecting.extensions import db
from prospecting.models import JobBatch
from prospecting.models import WorkerHeartbeat
from prospecting.models.base import utcnow
from prospecting.services import jobs
from tests import factories

ROWS = "enrichment.rows"


def _job_with_batches(workspace_id, n=2, status="running"):
    job = factories.make_job(workspace_id, status=status, progress_total=10 * n)
    batches = [
        jobs.add_batch(job.id, kind="enrichment.rows", seq=i + 1) for i in range(n)
    ]
    db.session.commit()
    return job, batches


def test_claim_is_exclusive_until_the_lease_expires(workspace):
    _, (batch, _) = _job_with_batches(workspace.id)
    owner = jobs.claim(batch.id, kinds=(ROWS,))
    assert owner
    assert jobs.claim(batch.id, kinds=(ROWS,)) is None
    db.session.execute(
        db.update(JobBatch)
        .where(JobBatch.id == batch.id)
        .values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    second = jobs.claim(batch.id, kinds=(ROWS,))
    assert second and second != owner
    assert not jobs.extend(batch.id, owner), "the first owner lost the batch"


def test_complete_adds_counts_once_even_if_called_twice(workspace):
    job, (batch, _) = _job_with_batches(workspace.id)
    owner = jobs.claim(batch.id, kinds=(ROWS,))
    assert jobs.complete(batch.id, owner, success=7, failed=3)
    assert not jobs.complete(batch.id, owner, success=7, failed=3)
    db.session.refresh(job)
    assert (job.success_count, job.failed_count, job.progress_current) == (7, 3, 10)


def test_stale_owner_cannot_complete_a_batch_taken_over(workspace):
    job, (batch, _) = _job_with_batches(workspace.id)
    old = jobs.claim(batch.id, kinds=(ROWS,))
    batch.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    new = jobs.claim(batch.id, kinds=(ROWS,))
    assert not jobs.complete(batch.id, old, success=1, failed=0)
    assert jobs.complete(batch.id, new, success=2, failed=0)
    db.session.refresh(job)
    assert job.success_count == 2


def test_last_batch_finalises_the_job(workspace):
    job, (a, b) = _job_with_batches(workspace.id)
    jobs.complete(a.id, jobs.claim(a.id, kinds=(ROWS,)), success=10, failed=0)
    db.session.refresh(job)
    assert job.status == "running"
    jobs.complete(b.id, jobs.claim(b.id, kinds=(ROWS,)), success=9, failed=1)
    db.session.refresh(job)
    assert job.status == "completed"
    assert job.completed_at is not None


def test_released_batch_is_not_claimable_before_its_delay(workspace):
    _, (batch, _) = _job_with_batches(workspace.id)
    owner = jobs.claim(batch.id, kinds=(ROWS,))
    assert jobs.release(batch.id, owner, delay=60, reason="429")
    assert jobs.claim(batch.id, kinds=(ROWS,)) is None
    batch = db.session.get(JobBatch, batch.id)
    batch.not_before = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert jobs.claim(batch.id, kinds=(ROWS,))


def test_reaper_requeues_expired_batch(workspace):
    _, (batch, _) = _job_with_batches(workspace.id)
    jobs.claim(batch.id, kinds=(ROWS,))
    batch.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    reaped = jobs.reap(include_pending=False)
    assert (batch.id, "enrichment.rows") in reaped.requeue


def test_reaper_requeues_lost_pending_batches_only_when_asked(workspace, app):
    _, (a, b) = _job_with_batches(workspace.id)
    old = utcnow() - timedelta(seconds=app.config["BATCH_PENDING_TOO_LONG_SECONDS"] + 5)
    db.session.execute(db.update(JobBatch).values(updated_at=old))
    db.session.commit()
    assert jobs.reap(include_pending=False).requeue == []
    assert {b for b, _ in jobs.reap(include_pending=True).requeue} == {a.id, b.id}


def test_reaper_gives_up_after_max_attempts_and_fails_the_job(workspace, app):
    job, (batch,) = _job_with_batches(workspace.id, n=1)
    batch.status, batch.attempts = "running", app.config["BATCH_MAX_ATTEMPTS"]
    batch.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    reaped = jobs.reap()
    assert reaped.exhausted == [batch.id]
    db.session.refresh(job)
    assert job.status == "failed"
    assert "failed" in job.error_message


def test_reaper_finalises_jobs_whose_batches_are_all_done(workspace):
    job, (batch,) = _job_with_batches(workspace.id, n=1)
    batch.status = "done"
    db.session.commit()
    assert jobs.reap().finalised == [job.id]


def test_cancel_closes_open_batches_and_stops_claims(workspace):
    job, (a, b) = _job_with_batches(workspace.id)
    jobs.cancel(workspace.id, job.id)
    assert jobs.claim(a.id, kinds=(ROWS,)) is None
    statuses = {x.status for x in db.session.scalars(db.select(JobBatch))}
    assert statuses == {"cancelled"}


def test_other_workspace_job_is_not_found(workspace, other_workspace):
    job = factories.make_job(other_workspace.id)
    import pytest

    from prospecting.services.errors import NotFound

    with pytest.raises(NotFound):
        jobs.get(workspace.id, job.id)
    with pytest.raises(NotFound):
        jobs.get(workspace.id, "not-a-uuid")


def test_progress_polls_while_running_and_stops_when_terminal(
    auth_client, workspace, htmx
):
    job = factories.make_job(workspace.id, status="running", progress_total=10)
    running = auth_client.get(f"/jobs/{job.id}/progress", headers=htmx)
    body = running.get_data(as_text=True)
    assert f'id="job-{job.id}"' in body
    assert "hx-trigger" in body
    assert "<html" not in body
    for status in ("completed", "failed", "cancelled"):
        job.status = status
        db.session.commit()
        body = auth_client.get(f"/jobs/{job.id}/progress", headers=htmx).get_data(
            as_text=True
        )
        assert f'id="job-{job.id}"' in body
        assert "hx-trigger" not in body, status


def test_progress_poll_reads_without_a_transaction(auth_client, workspace, htmx):
    """Does a poll read in autocommit, while a cancel still runs in a transaction?"""
    job = factories.make_job(workspace.id, status="running", progress_total=10)
    job_id = job.id
    db.session.commit()  # a session already in a transaction keeps it
    levels = []

    def record(conn, *_args):
        levels.append(conn.get_execution_options().get("isolation_level"))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        poll = auth_client.get(f"/jobs/{job_id}/progress", headers=htmx)
        db.session.commit()  # tests share one session; a request's ends with it
        polled, levels[:] = list(levels), []
        cancel = auth_client.post(f"/jobs/{job_id}/cancel", headers=htmx)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert poll.status_code == 200 and cancel.status_code == 200
    assert polled and set(polled) == {"AUTOCOMMIT"}
    assert levels and "AUTOCOMMIT" not in levels


def test_progress_of_another_workspace_job_is_404(auth_client, other_workspace):
    job = factories.make_job(other_workspace.id, status="running")
    assert auth_client.get(f"/jobs/{job.id}/progress").status_code == 404
    assert auth_client.post(f"/jobs/{job.id}/cancel").status_code == 404


def test_cancel_from_the_page_renders_the_terminal_partial(
    auth_client, workspace, htmx
):
    job = factories.make_job(workspace.id, status="running")
    response = auth_client.post(f"/jobs/{job.id}/cancel", headers=htmx)
    assert response.status_code == 200
    assert "hx-trigger" not in response.get_data(as_text=True)
    assert "cancelled" in response.get_data(as_text=True)


def test_cli_requeue_stale_reports_what_it_did(runner, workspace):
    result = runner.invoke(args=["jobs", "requeue-stale"])
    assert result.exit_code == 0
    assert "Re-enqueued 0 batch(es)" in result.output


def test_claim_refuses_a_batch_of_another_kind(workspace):
    """A stray message for another capability's batch id does no work."""
    _, (batch, _) = _job_with_batches(workspace.id)
    assert jobs.claim(batch.id, kinds=("prospects.page",)) is None
    assert jobs.claim(batch.id, kinds=(ROWS,))


# A killed worker's batches run again within seconds; a slow living one's do not


def _beat(worker_id: str, *, seconds_ago: float, stopped: bool = False) -> None:
    seen = utcnow() - timedelta(seconds=seconds_ago)
    db.session.add(
        WorkerHeartbeat(
            worker_id=worker_id,
            hostname="host",
            pid=1,
            queue="q",
            last_seen_at=seen,
            stopped_at=seen if stopped else None,
        )
    )
    db.session.commit()


def _claimed_by(worker_id: str, batch_id: int) -> str:
    jobs.set_worker_id(worker_id)
    try:
        return jobs.claim(batch_id, kinds=(ROWS,))
    finally:
        jobs.set_worker_id(None)


def test_a_batch_of_a_silent_worker_is_taken_over_before_its_lease_ends(workspace, app):
    app.config["BATCH_OWNER_GONE_SECONDS"] = 15
    _, (batch, _) = _job_with_batches(workspace.id)
    _beat("host:1", seconds_ago=2)
    owner = _claimed_by("host:1", batch.id)
    assert owner and db.session.get(JobBatch, batch.id).worker == "host:1"
    assert jobs.claim(batch.id, kinds=(ROWS,)) is None, "a living worker keeps it"
    db.session.execute(
        db.update(WorkerHeartbeat).values(last_seen_at=utcnow() - timedelta(seconds=16))
    )
    db.session.commit()
    assert db.session.get(JobBatch, batch.id).lease_until > utcnow()
    taken = jobs.claim(batch.id, kinds=(ROWS,))
    assert taken and taken != owner
    assert not jobs.extend(batch.id, owner), "the silent worker lost the batch"


def test_reclaim_puts_the_batches_of_gone_workers_back_once(workspace):
    _, (first, second) = _job_with_batches(workspace.id)
    _beat("host:dead", seconds_ago=60)
    _beat("host:stopped", seconds_ago=1, stopped=True)
    _beat("host:alive", seconds_ago=1)
    _claimed_by("host:dead", first.id)
    _claimed_by("host:alive", second.id)
    assert jobs.reclaim_gone() == [(first.id, ROWS)]
    assert jobs.reclaim_gone() == [], "each batch is sent again by one caller only"
    db.session.expire_all()
    assert db.session.get(JobBatch, first.id).status == "pending"
    assert db.session.get(JobBatch, second.id).status == "running"


def test_reclaim_gives_up_on_a_batch_that_used_its_attempts(workspace, app):
    app.config["BATCH_MAX_ATTEMPTS"] = 1
    job, (batch, _) = _job_with_batches(workspace.id)
    _beat("host:dead", seconds_ago=60)
    _claimed_by("host:dead", batch.id)
    assert jobs.reclaim_gone() == []
    assert db.session.get(JobBatch, batch.id).status == "failed"


def test_the_heartbeat_sends_again_the_batches_of_gone_workers(
    app, workspace, monkeypatch
):
    from prospecting.tasks import ops as ops_tasks

    sent = []
    monkeypatch.setattr(ops_tasks, "enqueue_batches", sent.extend)
    _, (batch, _) = _job_with_batches(workspace.id)
    _beat("host:dead", seconds_ago=60)
    _claimed_by("host:dead", batch.id)
    beat = ops_tasks.Heartbeat(app, threads=1, queue="q")
    beat._reclaim()
    assert sent == [(batch.id, ROWS)]


def test_a_worker_of_this_machine_whose_process_is_gone_is_freed_at_once(workspace):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(done.stdout)
    _, (batch, _) = _job_with_batches(workspace.id)
    db.session.add(
        WorkerHeartbeat(worker_id=f"here:{dead_pid}", hostname="here", pid=dead_pid,
                        queue="q", last_seen_at=utcnow())
    )  # fmt: skip
    db.session.commit()
    _claimed_by(f"here:{dead_pid}", batch.id)
    assert jobs.reclaim_gone(host="elsewhere") == [], "silent for 0 s: alive"
    assert jobs.reclaim_gone(host="here") == [(batch.id, ROWS)]
    db.session.expire_all()
    assert db.session.get(WorkerHeartbeat, 1).stopped_at is not None


def test_resume_with_a_bad_cap_renders_the_field_error_with_422(
    auth_client, workspace, htmx
):
    job = factories.make_job(workspace.id, status="paused", params={"cost_cap": "1"})
    response = auth_client.post(
        f"/jobs/{job.id}/resume", data={"cost_cap": "lots"}, headers=htmx
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert f'id="resume-form-{job.id}"' in body
    assert '<ul class="errors"><li>A cost cap must be a number' in body
    db.session.expire_all()
    assert jobs.get(workspace.id, job.id).status == "paused"


def test_resume_with_a_bad_cap_from_the_page_flashes_and_redirects(
    auth_client, workspace
):
    job = factories.make_job(workspace.id, status="paused", params={"cost_cap": "1"})
    response = auth_client.post(
        f"/jobs/{job.id}/resume", data={"daily_cap": "-3"}, follow_redirects=True
    )
    assert "A cost cap must be a number" in response.get_data(as_text=True)
    db.session.expire_all()
    assert jobs.get(workspace.id, job.id).status == "paused"


def test_periodic_messages_in_the_queue_do_not_keep_a_lost_batch_waiting(
    workspace, app
):
    # A worker with fewer free threads than periodic tasks leaves some of them
    # queued when the reaper runs: a lost pending batch is still sent again.
    from prospecting import tasks
    from prospecting.extensions import huey

    _, (lost,) = _job_with_batches(workspace.id, n=1)
    old = utcnow() - timedelta(seconds=app.config["BATCH_PENDING_TOO_LONG_SECONDS"] + 5)
    db.session.execute(db.update(JobBatch).values(updated_at=old))
    db.session.commit()
    huey.immediate = False
    try:
        for periodic in (
            "contacts.periodic_airtable_sync",
            "outreach.publish_outreach",
            "searches.resume_stranded_searches",
        ):
            task = huey._registry.string_to_task(f"prospecting.tasks.{periodic}")
            huey.enqueue(task())
        assert not tasks.batch_message_queued()
        tasks.reap_batches.call_local()
        queued = [t.args for t in huey.pending() if t.name.endswith("run_batch")]
        assert queued == [(lost.id,)]
        assert tasks.batch_message_queued()
        # Its message now waits in the queue: the next pass leaves it alone.
        db.session.execute(db.update(JobBatch).values(updated_at=old))
        db.session.commit()
        tasks.reap_batches.call_local()
        assert len([t for t in huey.pending() if t.name.endswith("run_batch")]) == 1
    finally:
        huey.immediate = True
