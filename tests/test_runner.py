"""The batch runner: one place where every batch kind is claimed, worked, and meets
rate limits, outages, refused credentials, caps, missing data and crashes."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderBadResponse
from prospecting.providers.errors import ProviderCostCapReached
from prospecting.providers.errors import ProviderNotFound
from prospecting.providers.errors import ProviderRateLimited
from prospecting.providers.errors import ProviderUnavailable
from prospecting.services import jobs
from prospecting.services.jobs import kinds
from tests import factories

KIND = "test_runner"
STEP = "test_runner.step"


class Script:
    """What the test kind's work does on each run: raise, or return a result."""

    def __init__(self):
        self.steps = []
        self.seen = []
        self.hooks = []

    def __call__(self, run: jobs.Run):
        self.seen.append(run.attempts)
        step = self.steps.pop(0) if self.steps else jobs.Done(success=1)
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return step(run)
        return step


@pytest.fixture
def script(app):
    work = Script()

    def on_auth(run, exc):
        work.hooks.append(("auth", exc.status))

    def register(**policy):
        jobs.register(
            jobs.JobKind(
                name=KIND,
                label="Test kind",
                batches=(jobs.BatchKind(STEP, work, jobs.Policy(**policy)),),
            )
        )

    register(on_auth=on_auth)
    work.register = register
    yield work
    kinds.unregister(KIND)


def _job(workspace, batches=1):
    job = jobs.create(
        KIND,
        {},
        [jobs.NewBatch(STEP) for _ in range(batches)],
        workspace_id=workspace.id,
        total=batches,
    )
    db.session.commit()
    return job


def _batch(job) -> JobBatch:
    db.session.expire_all()
    return db.session.scalars(select(JobBatch).where(JobBatch.job_id == job.id)).first()


def _status(job) -> str:
    db.session.expire_all()
    return db.session.get(Job, job.id).status


def _again(batch):
    """Make a released batch due now, as time passing would."""
    batch.not_before = None
    db.session.commit()
    return factories.run_batch(batch.id)


def test_done_completes_the_batch_and_counts_once(script, workspace):
    script.steps = [jobs.Done(success=3, failed=1)]
    job = _job(workspace)
    assert factories.run_batch(_batch(job).id) == jobs.Outcome()
    assert _status(job) == "completed"
    assert factories.run_batch(_batch(job).id) == jobs.Outcome(), "claimed once"
    job = db.session.get(Job, job.id)
    assert (job.success_count, job.failed_count) == (3, 1)


def _counts(job) -> tuple[int, int, int]:
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    return job.success_count, job.failed_count, job.progress_current


def _write_and_count(success: int, failed: int = 0):
    def work(run):
        run.extend()
        run.count(success=success, failed=failed)
        db.session.commit()

    return work


def test_items_counted_as_written_are_not_counted_again_when_done(script, workspace):
    def first_run(run):
        _write_and_count(2, 1)(run)
        return jobs.Later(0, "a rate limit", counts=jobs.WAIT)

    def second_run(run):
        _write_and_count(1)(run)
        return jobs.Done(success=4, failed=1)  # the batch's totals

    script.steps = [first_run, second_run]
    job = _job(workspace)
    factories.run_batch(_batch(job).id)
    assert _counts(job) == (2, 1, 3), "counted with the writes, before the end"
    _again(_batch(job))
    assert _status(job) == "completed"
    assert _counts(job) == (4, 1, 5)
    assert (_batch(job).success_count, _batch(job).failed_count) == (4, 1)


def test_items_written_before_a_cancel_stay_counted(script, workspace):
    def cancelled_after_writing(run):
        _write_and_count(3)(run)
        jobs.cancel(workspace.id, run.job.id)
        run.check()
        return jobs.Done(success=9)

    script.steps = [cancelled_after_writing]
    job = _job(workspace)
    factories.run_batch(_batch(job).id)
    assert _status(job) == "cancelled" and _counts(job) == (3, 0, 3)


def test_rate_limit_waits_what_the_provider_asked_and_is_not_a_try(script, workspace):
    script.steps = [ProviderRateLimited("slow down", retry_after=7.0)]
    job = _job(workspace)
    batch = _batch(job)
    assert factories.run_batch(batch.id).later == ((batch.id, 7.0),)
    batch = _batch(job)
    assert (batch.status, batch.attempts, batch.error) == ("pending", 0, "slow down")


def test_rate_limit_longer_than_the_policy_allows_fails_the_job(script, workspace):
    script.register(rate_limit_max_wait=60)
    script.steps = [ProviderRateLimited("daily quota", retry_after=3600)]
    job = _job(workspace)
    factories.run_batch(_batch(job).id)
    assert _status(job) == "failed"


def test_unavailable_provider_backs_off_then_gives_up(script, workspace, app):
    app.config["BATCH_MAX_ATTEMPTS"] = 3
    script.register(backoff=jobs.Backoff(base=2.0, cap=3.0))
    script.steps = [ProviderUnavailable("down")] * 3
    job = _job(workspace)
    batch = _batch(job)
    delays = [factories.run_batch(batch.id).later]
    delays.append(_again(_batch(job)).later)
    assert delays == [((batch.id, 2.0),), ((batch.id, 3.0),)]
    assert _again(_batch(job)) == jobs.Outcome()
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "failed"
    assert job.error_message == "down Gave up after 3 attempts."


def test_give_up_hook_decides_what_becomes_of_the_batch(script, workspace, app):
    app.config["BATCH_MAX_ATTEMPTS"] = 1
    script.register(give_up=lambda run, exc: jobs.Done(failed=5))
    script.steps = [ProviderUnavailable("down")]
    job = _job(workspace)
    factories.run_batch(_batch(job).id)
    job = db.session.get(Job, job.id)
    assert (job.status, job.failed_count) == ("completed", 5)


def test_progress_starts_the_attempts_over(script, workspace, app):
    app.config["BATCH_MAX_ATTEMPTS"] = 2
    script.steps = [
        ProviderUnavailable("blip"),
        jobs.Later(1.0, counts=jobs.PROGRESS),
        ProviderUnavailable("blip"),
        jobs.Done(success=1),
    ]
    job = _job(workspace)
    factories.run_batch(_batch(job).id)
    for _ in range(3):
        _again(_batch(job))
    assert script.seen == [1, 2, 1, 2]
    assert _status(job) == "completed"


def test_refused_credentials_run_the_hook_and_fail_the_job(script, workspace):
    script.steps = [ProviderAuthError("bad key", status=401)]
    job = _job(workspace, batches=2)
    factories.run_batch(_batch(job).id)
    assert script.hooks == [("auth", 401)]
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.error_message) == ("failed", "bad key")
    states = db.session.scalars(
        select(JobBatch.status).where(JobBatch.job_id == job.id)
    ).all()
    assert sorted(states) == ["cancelled", "cancelled"]


def test_cost_cap_pauses_the_job_with_its_reason(script, workspace):
    script.steps = [ProviderCostCapReached("cap reached", scope="job", cap=1, spent=1)]
    job = _job(workspace)
    factories.run_batch(_batch(job).id)
    assert _status(job) == "paused"
    assert _batch(job).status == "paused"


def test_not_found_fails_with_the_policys_message(script, workspace):
    script.register(not_found=lambda run, exc: f"gone: {exc.message}")
    script.steps = [ProviderNotFound("no batch")]
    job = _job(workspace)
    factories.run_batch(_batch(job).id)
    assert db.session.get(Job, job.id).error_message == "gone: no batch"


def test_other_provider_errors_fail_or_retry_as_the_policy_says(script, workspace):
    script.steps = [ProviderBadResponse("garbled")]
    job = _job(workspace)
    factories.run_batch(_batch(job).id)
    assert _status(job) == "failed"
    script.register(errors=jobs.RETRY)
    script.steps = [ProviderBadResponse("garbled")]
    job = _job(workspace)
    batch = _batch(job)
    assert factories.run_batch(batch.id).later == ((batch.id, 2.0),)


def test_a_crash_is_retried_then_fails_the_batch_with_its_traceback(
    script, workspace, app
):
    app.config["BATCH_MAX_ATTEMPTS"] = 2
    script.steps = [RuntimeError("boom"), RuntimeError("boom")]
    job = _job(workspace)
    factories.run_batch(_batch(job).id)
    batch = _batch(job)
    assert batch.status == "pending" and batch.error == "RuntimeError: boom"
    _again(batch)
    batch = _batch(job)
    assert batch.status == "failed"
    assert "RuntimeError: boom" in batch.error and "Traceback" in batch.error
    assert _status(job) == "failed"


def test_cancel_between_items_stops_without_writing(script, workspace):
    written = []

    def two_items(run):
        for item in run.each([1, 2]):
            written.append(item)
            jobs.cancel(workspace.id, run.job.id)
        return jobs.Done(success=2)

    script.steps = [two_items]
    job = _job(workspace)
    factories.run_batch(_batch(job).id)
    assert written == [1]
    job = db.session.get(Job, job.id)
    assert (job.status, job.success_count) == ("cancelled", 0)


def test_a_lost_lease_stops_the_work_and_counts_nothing(script, workspace):
    def taken_over(run):
        db.session.execute(
            db.update(JobBatch).where(JobBatch.id == run.batch.id).values(owner="x")
        )
        db.session.commit()
        run.extend()
        return jobs.Done(success=9)

    script.steps = [taken_over]
    job = _job(workspace)
    assert factories.run_batch(_batch(job).id) == jobs.Outcome()
    assert db.session.get(Job, job.id).success_count == 0


def test_a_batch_of_a_finished_job_is_dropped(script, workspace):
    job = _job(workspace, batches=2)
    jobs.fail(job.id, "stopped")
    # A batch put back by hand (an operator) after the job ended does no work.
    batch = _batch(job)
    batch.status = "pending"
    db.session.commit()
    factories.run_batch(batch.id)
    assert script.seen == [] and _batch(job).status == "cancelled"


def test_create_refuses_a_batch_kind_of_another_job_kind(script, workspace):
    with pytest.raises(ValueError):
        jobs.create(
            KIND, {}, [jobs.NewBatch("enrichment.rows")], workspace_id=workspace.id
        )


def test_a_batch_kind_belongs_to_one_job_kind(script):
    with pytest.raises(ValueError):
        jobs.register(
            jobs.JobKind(
                name="other_kind",
                label="Other",
                batches=(jobs.BatchKind(STEP, script, jobs.Policy()),),
            )
        )
