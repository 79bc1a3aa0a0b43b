"""One rule when the queue cannot be reached after a job is saved: the answer is a
success that says the job starts once the queue is back (202 in the JSON API, a
warning on the pages), never a 503 for work that runs anyway, and the reaper
sends the saved batches once the queue is back."""

import io

import pytest
from huey.storage import MemoryStorage
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.extensions import init_huey
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.services import contacts
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services import searches
from prospecting.services.contacts import airtable_sync
from tests import factories
from tests.factories import MAPPING
from tests.factories import stored_upload
from tests.test_airtable_sync import configure
from tests.test_prospects_service import connect
from tests.test_prospects_service import request_body

CIN = "U74999TG2017PTC118280"


class DownStorage(MemoryStorage):
    """A queue whose every enqueue fails as an unreachable Redis does."""

    def enqueue(self, data, priority=None):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")


class Queue:
    def __init__(self, app):
        self.app = app

    def down(self) -> None:
        huey.storage = DownStorage(huey.name)
        huey._immediate = False

    def up(self) -> None:
        init_huey(self.app)


@pytest.fixture
def queue(app):
    q = Queue(app)
    yield q
    q.up()


def not_sent() -> list[JobBatch]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(JobBatch).where(JobBatch.owner == jobs.NOT_SENT))
    )


def assert_saved_then_sent_by_the_reaper(queue) -> Job:
    """The job's batches wait, marked; once the queue is back the reaper sends
    them (immediate queue: they run) and none stays marked."""
    waiting = not_sent()
    assert waiting and {b.status for b in waiting} == {"pending"}
    job_ids = {b.job_id for b in waiting}
    assert len(job_ids) == 1
    job_id = job_ids.pop()
    assert db.session.get(Job, job_id).status in ("queued", "running")
    queue.up()
    tasks.reap_batches.call_local()
    assert not_sent() == []
    job = db.session.get(Job, job_id)
    assert job.status in ("running", "completed"), job.error_message  # it ran
    return job


def warning_shown(client, response) -> None:
    assert response.status_code == 302, response.data
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flash-warning" in page and tasks.NOT_SENT_NOTICE in page


# The JSON API: 202 with the job and a notice


def test_api_upload_with_the_queue_down_is_202_and_runs_later(
    client, api_headers, queue
):
    queue.down()
    response = client.post(
        "/jobs/upload",
        headers=api_headers,
        data={"file": (io.BytesIO(factories.contacts_csv(3)), "p.csv")},
    )
    assert response.status_code == 202
    body = response.json
    assert body["notice"] == tasks.NOT_SENT_NOTICE and body["status"] == "pending"
    job = assert_saved_then_sent_by_the_reaper(queue)
    assert job.id == body["job_id"]
    assert job.status == "completed" and job.success_count == 3


def test_api_people_search_with_the_queue_down_is_202(client, api_headers, queue):
    queue.down()
    response = client.post(
        "/api/v1/people-search/", json={"job_title": ["CTO"]}, headers=api_headers
    )
    assert response.status_code == 202
    assert response.json["notice"] == tasks.NOT_SENT_NOTICE
    assert response.json["status"] == "PENDING"
    job = assert_saved_then_sent_by_the_reaper(queue)
    assert job.id == response.json["id"]


def test_api_prospect_search_with_the_queue_down_is_202(
    client, api_headers, workspace, queue
):
    connect(workspace.id)
    queue.down()
    response = client.post(
        "/api/linkedin/search/create-job", json=request_body(10), headers=api_headers
    )
    assert response.status_code == 202
    assert response.json["success"] is True
    assert response.json["notice"] == tasks.NOT_SENT_NOTICE
    job = assert_saved_then_sent_by_the_reaper(queue)
    assert job.progress_current == 10


def test_api_chatbot_messages_with_the_queue_down_are_202(client, api_headers, queue):
    client.post(
        "/creators/ingest",
        json={"rows": [{"platformCreatorId": "c-1"}]},
        headers=api_headers,
    )
    queue.down()
    body = [
        {"platformCreatorId": "c-1", "messages": [{"type": "text", "content": "Hi"}]}
    ]
    response = client.post("/chatbot/messages", json=body, headers=api_headers)
    assert response.status_code == 202
    assert response.json["code"] == 0
    assert response.json["data"]["messages"] == 1
    assert response.json["data"]["notice"] == tasks.NOT_SENT_NOTICE
    assert assert_saved_then_sent_by_the_reaper(queue).success_count == 1


# The pages: the usual redirect with a warning


def test_starting_an_enrichment_with_the_queue_down_warns_and_runs_later(
    auth_client, queue
):
    upload_id = stored_upload(auth_client, factories.contacts_csv(3))
    queue.down()
    response = auth_client.post(f"/enrichment/uploads/{upload_id}/start", data=MAPPING)
    warning_shown(auth_client, response)
    assert assert_saved_then_sent_by_the_reaper(queue).status == "completed"


def test_rerunning_failed_rows_with_the_queue_down_warns(auth_client, queue):
    rows = [["Name", "Email"], ["Ann", "ann@example.com"], ["Bob", ""]]
    upload_id = stored_upload(auth_client, factories.csv_bytes(rows))
    started = auth_client.post(f"/enrichment/uploads/{upload_id}/start", data=MAPPING)
    job_id = started.headers["Location"].rsplit("/", 1)[1]
    assert db.session.get(Job, job_id).failed_count == 1
    queue.down()
    warning_shown(auth_client, auth_client.post(f"/jobs/{job_id}/retry"))
    assert assert_saved_then_sent_by_the_reaper(queue).id == job_id


def test_rerunning_exactly_with_the_queue_down_warns(auth_client, workspace, queue):
    upload_id = stored_upload(auth_client, factories.contacts_csv(3))
    started = auth_client.post(f"/enrichment/uploads/{upload_id}/start", data=MAPPING)
    job_id = started.headers["Location"].rsplit("/", 1)[1]
    queue.down()
    response = auth_client.post(f"/jobs/{job_id}/rerun-exactly")
    warning_shown(auth_client, response)
    again = assert_saved_then_sent_by_the_reaper(queue)
    assert again.id != job_id and again.status == "completed"


def paused_job(workspace_id: int) -> Job:
    job = factories.enrichment_job(workspace_id)
    jobs.pause(job.id, "Paused by the test.")
    return job


@pytest.mark.parametrize("htmx_request", [False, True], ids=["form", "htmx"])
def test_resuming_with_the_queue_down_warns(
    auth_client, workspace, queue, htmx, htmx_request
):
    job = paused_job(workspace.id)
    queue.down()
    headers = htmx if htmx_request else {}
    response = auth_client.post(f"/jobs/{job.id}/resume", headers=headers)
    if htmx_request:
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and 'id="job-notice"' in body
        assert tasks.NOT_SENT_NOTICE in body
    else:
        warning_shown(auth_client, response)
    assert assert_saved_then_sent_by_the_reaper(queue).status == "completed"


def test_fetching_contacts_with_the_queue_down_warns(auth_client, workspace, queue):
    company = contacts.save_company(workspace.id, name="Acme", registration_number=CIN)
    queue.down()
    response = auth_client.post(f"/contacts/companies/{company.id}/fetch")
    warning_shown(auth_client, response)
    assert assert_saved_then_sent_by_the_reaper(queue).status == "completed"


def test_an_airtable_sync_with_the_queue_down_warns(auth_client, workspace, queue):
    configure(workspace.id, factories.airtable_base())
    contacts.upsert_contacts(workspace.id, [contacts.ContactInput(email="s@x.io")])
    queue.down()
    warning_shown(auth_client, auth_client.post("/contacts/airtable/sync"))
    job = assert_saved_then_sent_by_the_reaper(queue)
    assert job.kind == airtable_sync.KIND


def test_a_prospect_search_with_the_queue_down_warns(auth_client, workspace, queue):
    connect(workspace.id)
    queue.down()
    form = {"keywords": "developer", "search_source": "classic", "target_count": "10"}
    warning_shown(auth_client, auth_client.post("/prospects/", data=form))
    assert assert_saved_then_sent_by_the_reaper(queue).progress_current == 10


def test_people_searches_with_the_queue_down_warn(auth_client, workspace, queue):
    queue.down()
    form = {"job_title": "CTO", "fetch_count": "5"}
    warning_shown(auth_client, auth_client.post("/searches/", data=form))
    search_id = assert_saved_then_sent_by_the_reaper(queue).id
    saved = searches.save(workspace.id, search_id, "CTOs")
    queue.down()
    warning_shown(auth_client, auth_client.post(f"/searches/saved/{saved.id}/run"))
    assert assert_saved_then_sent_by_the_reaper(queue).id != search_id


def failed_batch(workspace_id: int) -> JobBatch:
    job = factories.make_job(workspace_id, status="running")
    batch = JobBatch(
        job_id=job.id,
        seq=0,
        kind=enrichment.ROWS,
        status="failed",
        params={"row_numbers": []},
    )
    db.session.add(batch)
    db.session.commit()
    return batch


def test_retrying_a_failed_batch_with_the_queue_down_says_it_waits(
    auth_client, workspace, queue
):
    batch = failed_batch(workspace.id)
    queue.down()
    response = auth_client.post(f"/ops/batches/{batch.id}/retry")
    assert response.status_code == 302
    page = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the batch is sent by itself once the queue is back" in page
    assert assert_saved_then_sent_by_the_reaper(queue).status == "completed"


# The reaper


def test_the_reaper_sends_a_never_sent_batch_even_while_the_queue_is_busy(
    app, workspace, queue
):
    job = factories.enrichment_job(workspace.id)
    queue.down()
    assert tasks.enqueue_batches(jobs.open_batches(job.id)) is False
    (batch,) = not_sent()
    # The queue is back but holds another job's messages (not immediate): the
    # reaper does not wait for it to drain before sending this batch.
    huey.storage = MemoryStorage(huey.name)
    tasks.enqueue_batches([(10**6, enrichment.ROWS)])
    tasks.reap_batches.call_local()
    sent = [task.args for task in huey.pending()]
    assert sent == [(10**6,), (batch.id,)]
    assert not_sent() == []


def test_a_partly_sent_list_marks_only_what_was_not_sent(app, workspace, queue):
    job = factories.make_job(workspace.id)
    batches = [jobs.add_batch(job.id, kind=enrichment.ROWS, seq=s) for s in (1, 2, 3)]
    db.session.commit()
    storage = MemoryStorage(huey.name)
    calls = []

    def enqueue(data, priority=None):
        calls.append(data)
        if len(calls) > 1:
            raise RedisConnectionError("connection lost")
        MemoryStorage.enqueue(storage, data, priority)

    storage.enqueue = enqueue
    huey.storage, huey._immediate = storage, False
    assert tasks.enqueue_batches([(b.id, b.kind) for b in batches]) is False
    assert [b.id for b in not_sent()] == [batches[1].id, batches[2].id]
