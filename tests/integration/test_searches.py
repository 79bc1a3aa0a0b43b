"""People search on PostgreSQL + Redis with real worker processes."""

import pytest
from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.models import PeopleSearch
from prospecting.models import PersonProfile
from prospecting.sandbox import faults
from prospecting.services import jobs
from prospecting.services import searches
from prospecting.tasks.searches import resume_stranded_searches
from tests import factories
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

FAST_POLLS = {"REACHSTREAM_POLL_INITIAL": "0.5", "REACHSTREAM_POLL_MAX": "1"}


@pytest.fixture
def search_app(pg_app):
    # Until the lead generates the migration for this area, add its tables here.
    db.create_all()
    return pg_app


def _status(search_id: str) -> str:
    db.session.expire_all()
    return db.session.get(PeopleSearch, search_id).status


def test_worker_submits_polls_and_stores_profiles(search_app, start_worker):
    faults.set_overrides({"reachstream_ready_after": 1.5})
    user = factories.make_user(email="it@acme.test", workspace="Acme")
    ws = user.memberships[0].workspace
    start_worker(threads=2, **FAST_POLLS)
    search = searches.start(ws.id, user.id, {"job_title": ["CTO"]}, 30)
    tasks.enqueue_batches(jobs.open_batches(search.id))
    wait_for(lambda: _status(search.id) == "COMPLETED", timeout=30, message="done")
    search = db.session.get(PeopleSearch, search.id)
    assert search.poll_attempts >= 1
    count = db.session.scalar(
        select(db.func.count()).where(PersonProfile.search_id == search.id)
    )
    assert count == search.profile_count == 30


def test_safety_net_finishes_a_search_after_the_worker_died(search_app, start_worker):
    faults.set_overrides({"reachstream_ready_after": 1})
    user = factories.make_user(email="it2@acme.test", workspace="Acme")
    ws = user.memberships[0].workspace
    search_app.config["REACHSTREAM_STRANDED_AFTER"] = 0
    worker = start_worker(threads=2, REACHSTREAM_POLL_INITIAL="3")
    search = searches.start(ws.id, user.id, {"job_title": ["CFO"]}, 5)
    tasks.enqueue_batches(jobs.open_batches(search.id))
    wait_for(lambda: _status(search.id) == "PROCESSING", timeout=20, message="sent")
    worker.kill()
    huey.storage.flush_schedule()  # the scheduled poll is lost with the worker
    start_worker(threads=2, **FAST_POLLS)
    # The lost poll falls due; under load the engine's reaper (on the new
    # worker) may send it again first, which finishes the search just as well.
    wait_for(
        lambda: searches.stranded_batches() or _status(search.id) == "COMPLETED",
        timeout=30,
        message="due",
    )
    resume_stranded_searches.call_local()  # what the minute task does
    wait_for(lambda: _status(search.id) == "COMPLETED", timeout=30, message="done")
