"""The people search on the job engine: submit, poll with backoff, store, fail."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.models import JobBatch
from prospecting.models import PersonProfile
from prospecting.models.base import utcnow
from prospecting.sandbox import faults
from prospecting.services import csvfiles
from prospecting.services import jobs
from prospecting.services import searches
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.tasks.searches import resume_stranded_searches
from tests import factories

FILTER = {"job_title": ["CTO"], "company_address_country": ["India"]}


def _sandbox(**values):
    faults.set_overrides({f"reachstream_{k}": v for k, v in values.items()})


def _begin(workspace, query=None, count=5, **kw):
    """Create a search and send its first step, as the view does."""
    search = searches.start(workspace.id, None, query or FILTER, count, **kw)
    tasks.enqueue_batches(jobs.open_batches(search.id))
    db.session.refresh(search)
    return search


def _step(search_id: str) -> JobBatch:
    return db.session.scalar(select(JobBatch).where(JobBatch.job_id == search_id))


def _delay(outcome):
    """The delay after which the runner asked to run the step again, or None."""
    return outcome.later[0][1] if outcome.later else None


def _poll_now(search):
    """Run the next poll now, as the scheduled task would once its delay is over."""
    batch = _step(search.id)
    batch.not_before = None
    db.session.commit()
    outcome = factories.run_batch(batch.id)
    db.session.refresh(search)
    db.session.refresh(search.job)
    return outcome


@pytest.fixture(autouse=True)
def _empty_schedule():
    huey.storage.flush_schedule()
    yield
    huey.storage.flush_schedule()


def test_start_creates_a_pending_search_its_job_and_one_step(app, workspace):
    search = searches.start(workspace.id, None, {"job_title": {"0": "CTO"}}, "12")
    assert search.status == "PENDING"
    assert search.query_filter == {"job_title": ["CTO"]}
    assert search.job.kind == "people_search"
    assert search.job.progress_total == 12
    assert jobs.open_batches(search.id) == [(_step(search.id).id, searches.STEP)]


def test_normalise_filter_accepts_arrays_objects_and_text():
    raw = {
        "job_title": {"1": "CFO", "0": "CTO", "10": "COO"},
        "company_address_country": ["India", " India ", ""],
        "company_company_name": "Acme",
    }
    assert searches.normalise_filter(raw) == {
        "job_title": ["CTO", "CFO", "COO"],
        "company_address_country": ["India"],
        "company_company_name": ["Acme"],
    }


@pytest.mark.parametrize(
    "raw",
    [{}, {"job_title": []}, ["CTO"], {"bad key!": ["x"]}, {"job_title": [{"a": 1}]}],
)
def test_normalise_filter_rejects_empty_or_malformed_filters(raw):
    with pytest.raises(InvalidInput):
        searches.normalise_filter(raw)


@pytest.mark.parametrize("value", [0, -1, "abc", 1001, True])
def test_parse_fetch_count_rejects_out_of_range(app, value):
    with pytest.raises(InvalidInput, match="from 1 to 1000"):
        searches.parse_fetch_count(value)


def test_submit_records_the_batch_id_and_schedules_the_first_poll(app, workspace):
    search = _begin(workspace)
    assert search.status == "PROCESSING"
    assert search.reachstream_batch_id
    assert search.job.status == "running"
    assert search.job.provider_ref == search.reachstream_batch_id
    scheduled = huey.scheduled()
    assert [t.args for t in scheduled] == [(_step(search.id).id,)]
    assert _step(search.id).not_before > utcnow()


@pytest.mark.parametrize("variant", ["A", "B"])
def test_ready_batch_is_stored_and_completes_the_job(app, workspace, variant):
    _sandbox(variant=variant)
    search = _begin(workspace, count=9)
    assert _delay(_poll_now(search)) is None
    assert search.status == "COMPLETED"
    assert search.profile_count == 9
    assert search.job.status == "completed"
    assert search.job.success_count == 9 and search.job.percent == 100
    profile = db.session.scalars(
        select(PersonProfile).where(PersonProfile.search_id == search.id)
    ).first()
    assert profile.full_name and profile.job_title == "CTO"
    assert profile.raw_data["id"] == profile.provider_record_id
    assert "India" in profile.location


def test_still_processing_polls_again_with_growing_delay(app, workspace):
    _sandbox(ready_after=60)
    search = _begin(workspace)
    delays = [_delay(_poll_now(search)) for _ in range(3)]
    assert delays == [4.0, 8.0, 16.0]
    assert search.status == "PROCESSING" and search.poll_attempts == 3


def test_poll_delay_doubles_from_two_seconds_up_to_thirty(app):
    assert [searches.poll_delay(n) for n in range(6)] == [2, 4, 8, 16, 30, 30]


def test_a_record_seen_twice_in_one_search_is_stored_once(app, workspace):
    _sandbox(duplicates=3)
    search = _begin(workspace, count=8)
    _poll_now(search)
    assert search.profile_count == 8
    count = db.session.scalar(
        select(db.func.count()).where(PersonProfile.search_id == search.id)
    )
    assert count == 8


def test_polling_again_after_completion_does_not_duplicate(app, workspace):
    search = _begin(workspace, count=4)
    _poll_now(search)
    again = factories.run_batch(_step(search.id).id)
    assert _delay(again) is None
    assert search.profile_count == 4


def test_search_past_its_maximum_wait_fails_with_a_message(app, workspace):
    _sandbox(ready_after=600)
    app.config["REACHSTREAM_MAX_WAIT"] = 60
    search = _begin(workspace)
    search.submitted_at = utcnow() - timedelta(seconds=61)
    db.session.commit()
    _poll_now(search)
    assert search.status == "FAILED"
    assert "maximum wait" in search.error_message
    assert search.job.status == "failed"
    assert search.job.error_message == search.error_message


def test_invalid_api_key_fails_the_search_with_a_clear_message(app, workspace):
    app.config["REACHSTREAM_KEY"] = "invalid-key"
    search = _begin(workspace)
    assert search.status == "FAILED"
    assert search.error_message.startswith("Invalid ReachStream API key")
    assert search.job.status == "failed"
    assert huey.scheduled() == []


@pytest.mark.parametrize("variant", ["A", "B"])
def test_insufficient_balance_fails_the_search_as_out_of_credits(
    app, workspace, variant
):
    _sandbox(variant=variant)
    app.config["REACHSTREAM_KEY"] = "broke-key"
    search = _begin(workspace)
    if variant == "B":
        _poll_now(search)
    assert search.status == "FAILED"
    assert search.error_message.startswith("Out of ReachStream credits")


def test_provider_5xx_on_polls_retries_later_then_fails_as_unavailable(app, workspace):
    app.config["REACHSTREAM_MAX_ERRORS"] = 2
    search = _begin(workspace)
    faults.set_overrides({"error_rate": 1.0})
    _poll_now(search)
    assert search.status == "PROCESSING" and _step(search.id).attempts == 1
    _poll_now(search)
    assert search.status == "FAILED"
    assert search.error_message.startswith("Provider unavailable")


def test_provider_5xx_on_the_start_pauses_the_search_as_outcome_unknown(app, workspace):
    faults.set_overrides({"error_rate": 1.0})
    search = _begin(workspace)
    db.session.refresh(search.job)
    assert search.job.status == "paused"
    assert search.error_message.startswith("Outcome unknown")
    assert len(huey.scheduled()) == 0


def test_provider_429_reschedules_without_counting_an_error(app, workspace):
    faults.set_overrides({"rate_limit_rate": 1.0, "retry_after": 0})
    search = _begin(workspace)
    assert search.status == "PENDING" and _step(search.id).attempts == 0
    assert _step(search.id).status == "pending"
    faults.set_overrides({})
    _poll_now(search)
    assert search.status == "PROCESSING"


def test_safety_net_completes_a_search_whose_poll_message_was_lost(app, workspace):
    search = _begin(workspace, count=6)
    huey.storage.flush_schedule()  # the worker restarted: the scheduled poll is gone
    assert searches.stranded_batches() == []  # not due yet
    batch = _step(search.id)
    batch.not_before = utcnow() - timedelta(seconds=31)
    db.session.commit()
    resume_stranded_searches.call_local()
    db.session.refresh(search)
    assert search.status == "COMPLETED" and search.profile_count == 6


def test_safety_net_resends_a_step_whose_lease_expired(app, workspace):
    search = _begin(workspace)
    batch = _step(search.id)
    batch.status, batch.lease_until = "running", utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert searches.stranded_batches() == [(batch.id, searches.STEP)]


def test_cancelled_job_ends_its_search(app, workspace):
    _sandbox(ready_after=60)
    search = _begin(workspace)
    jobs.cancel(workspace.id, search.id)
    assert searches.get(workspace.id, search.id).status == "FAILED"
    assert searches.stranded_batches() == []


def test_get_hides_another_workspaces_search(app, workspace, other_workspace):
    search = _begin(workspace)
    with pytest.raises(NotFound):
        searches.get(other_workspace.id, search.id)


def test_rerun_of_saved_search_counts_new_profiles(app, workspace):
    first = _begin(workspace, count=5)
    _poll_now(first)
    saved = searches.save(workspace.id, first.id, "CTOs in India")
    assert first.saved_search_id == saved.id
    saved.fetch_count = 8
    db.session.commit()
    second = searches.run_saved(workspace.id, None, saved.id)
    tasks.enqueue_batches(jobs.open_batches(second.id))
    _poll_now(second)
    assert second.profile_count == 8
    assert second.new_count == 3
    [(item, last)] = searches.saved_searches(workspace.id)
    assert item.id == saved.id and last.id == second.id


def test_saving_twice_under_one_name_is_a_conflict(app, workspace):
    search = _begin(workspace)
    searches.save(workspace.id, search.id, "Mine")
    with pytest.raises(Conflict):
        searches.save(workspace.id, search.id, "Mine")


def test_profiles_page_sorts_by_name_and_company(app, workspace):
    search = _begin(workspace, count=12)
    _poll_now(search)
    rows, total = searches.profiles_page(search.id, page=1, per_page=5, sort="name")
    names = [r.full_name for r in rows]
    assert total == 12 and len(rows) == 5 and names == sorted(names)
    rows, _ = searches.profiles_page(search.id, page=1, per_page=12, sort="-company")
    companies = [r.company_name for r in rows]
    assert companies == sorted(companies, reverse=True)


def test_export_is_formula_safe(app, workspace):
    search = _begin(workspace, count=2)
    _poll_now(search)
    profile = db.session.scalars(
        select(PersonProfile).where(PersonProfile.search_id == search.id)
    ).first()
    profile.full_name = '=HYPERLINK("http://x")'
    db.session.commit()
    text = "".join(searches.export_lines(search))
    assert text.startswith('\ufeff"full_name"')
    assert csvfiles.safe_cell('=HYPERLINK("http://x")') != '=HYPERLINK("http://x")'
    assert '"=HYPERLINK' not in text
    assert text.count("\r\n") == 3


def test_many_polls_do_not_exhaust_the_reapers_attempt_limit(app, workspace):
    _sandbox(ready_after=60)
    search = _begin(workspace)
    for _ in range(app.config["BATCH_MAX_ATTEMPTS"] + 1):
        _poll_now(search)
    assert _step(search.id).attempts == 0
