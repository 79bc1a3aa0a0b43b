"""A job's last batches share their rows with idle worker threads: a batch that
would run on alone splits the rows it has not worked into new batches, and every
row is still worked once and counted once."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import ProviderCall
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services.enrichment.worker import _cut
from prospecting.services.jobs import batches
from tests import factories
from tests.factories import people_csv
from tests.factories import planned_batches
from tests.test_ledger import statuses


@pytest.fixture
def splitting(app):
    """Workers that take batches from a queue (not run inline), a split as soon
    as a batch has more than two rows left, and one write per batch otherwise."""
    app.config.update(
        HUEY_IMMEDIATE=False,
        BATCH_SPLIT_SECONDS=1e-9,
        ENRICHMENT_SPLIT_MIN_ROWS=2,
        BATCH_CHECK_SECONDS=60,
        BATCH_WRITE_SECONDS=60,
    )
    return app


def _finished(job_id: str) -> tuple[str, int, int]:
    """The job's status, rows succeeded and rows done, read again."""
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    return job.status, job.success_count, job.progress_current


def test_a_lone_batch_gives_the_rows_it_has_not_worked_to_new_batches(
    splitting, auth_client, workspace
):
    job, ((batch_id, _),) = planned_batches(auth_client, workspace, people_csv(20))
    sent = []
    factories.run_batch(batch_id, dispatch=sent.extend)
    db.session.expire_all()
    first = db.session.get(JobBatch, batch_id)
    # After its first row the batch kept three more and sent the other sixteen
    # off in pieces of three (the last has one).
    assert first.status == "done"
    assert first.params == {"first_row": 1, "last_row": 4}
    assert first.success_count == 4
    pieces = [db.session.get(JobBatch, b) for b, _ in sent]
    assert [(p.status, p.kind) for p in pieces] == [("pending", first.kind)] * 6
    assert [(p.params["first_row"], p.params["last_row"]) for p in pieces] == [
        (5, 7), (8, 10), (11, 13), (14, 16), (17, 19), (20, 20)
    ]  # fmt: skip
    assert db.session.get(Job, job.id).status == "running"
    for piece_id, _ in sent:
        more = []
        factories.run_batch(piece_id, dispatch=more.extend)
        assert more == [], "a piece of three rows is too small to split again"
    assert _finished(job.id) == ("completed", 20, 20)
    assert statuses(job.id) == {"success": 20}
    calls = db.session.scalar(
        select(func.count()).where(
            ProviderCall.job_id == job.id, ProviderCall.provider == "emails"
        )
    )
    assert calls == 20, "no row was verified twice"


def test_a_large_lone_batch_gives_every_idle_thread_a_piece(
    splitting, auth_client, workspace
):
    """A job's last batch at its end splits into as many pieces as its rows and
    time allow (up to 32), not 8: 24 threads freeing up at once each find one."""
    splitting.config["ENRICHMENT_BATCH_SIZE"] = 80
    job, ((batch_id, _),) = planned_batches(auth_client, workspace, people_csv(80))
    sent = []
    factories.run_batch(batch_id, dispatch=sent.extend)
    # 79 rows left after the first, cut for 32 pieces: three rows each, of
    # which the batch keeps the first three and 26 new batches take the rest
    # (the last has one row). Cut for 8, they were 7 pieces of ten.
    assert len(sent) == 26
    sizes = [
        p.params["last_row"] - p.params["first_row"] + 1
        for p in (db.session.get(JobBatch, b) for b, _ in sent)
    ]
    assert sizes == [3] * 25 + [1]
    more = []
    for piece_id, _ in sent:
        factories.run_batch(piece_id, dispatch=more.extend)
    assert more == []
    assert _finished(job.id) == ("completed", 80, 80)


def test_a_batch_does_not_split_while_another_batch_of_its_job_waits(
    splitting, auth_client, workspace
):
    job, planned = planned_batches(auth_client, workspace, people_csv(40))
    assert len(planned) == 2
    sent = []
    factories.run_batch(planned[0][0], dispatch=sent.extend)
    assert sent == [], "the second batch was still waiting for a thread"
    factories.run_batch(planned[1][0], dispatch=sent.extend)
    assert sent, "the last batch, alone, split"


def test_a_batch_put_back_for_later_does_not_keep_the_last_one_from_splitting(
    splitting, auth_client, workspace
):
    """A batch a provider's 429 put back for a while cannot be taken yet: the
    threads that free up meanwhile take pieces of the batch still running."""
    job, planned = planned_batches(auth_client, workspace, people_csv(40))
    (first, _), (second, kind) = planned
    owner = batches.claim(second, kinds=(kind,))
    assert batches.release(second, owner, delay=60, reason="HTTP 429")
    sent = []
    factories.run_batch(first, dispatch=sent.extend)
    assert sent, "the running batch split while the other one waited out its 429"


def test_no_split_where_batches_run_inline(app, auth_client, workspace):
    """Under HUEY_IMMEDIATE a batch sent runs inside the one that sent it: a split
    would only nest them."""
    app.config.update(BATCH_SPLIT_SECONDS=1e-9, ENRICHMENT_SPLIT_MIN_ROWS=2)
    _runs_whole(auth_client, workspace)


def test_a_fast_batch_keeps_its_rows(splitting, auth_client, workspace):
    """Rows that take less than BATCH_SPLIT_SECONDS to finish are not worth the
    cost of another batch."""
    splitting.config["BATCH_SPLIT_SECONDS"] = 3600
    _runs_whole(auth_client, workspace)


def _runs_whole(auth_client, workspace) -> None:
    """A 20-row job's one batch works all its rows and sends no other batch."""
    job, ((batch_id, _),) = planned_batches(auth_client, workspace, people_csv(20))
    sent = []
    factories.run_batch(batch_id, dispatch=sent.extend)
    assert sent == []
    db.session.expire_all()
    assert db.session.get(Job, job.id).success_count == 20


def test_a_split_of_a_batch_no_longer_ours_changes_nothing(
    splitting, auth_client, workspace
):
    job, ((batch_id, _),) = planned_batches(auth_client, workspace, people_csv(20))
    owner = batches.claim(batch_id, kinds=(jobs.open_batches(job.id)[0][1],))
    keep = {"first_row": 1, "last_row": 10}
    part = {"first_row": 11, "last_row": 20}
    assert batches.split(batch_id, "someone-else", keep=keep, parts=[part]) is None
    assert batches.split(batch_id, owner, keep=keep, parts=[part])
    db.session.expire_all()
    assert db.session.get(JobBatch, batch_id).params == keep


def test_a_split_that_meets_a_concurrent_one_changes_nothing(
    splitting, auth_client, workspace, monkeypatch
):
    job, ((batch_id, kind),) = planned_batches(auth_client, workspace, people_csv(20))
    owner = batches.claim(batch_id, kinds=(kind,))
    before = dict(db.session.get(JobBatch, batch_id).params)
    # Another batch's split took the next number between our read and our insert.
    taken = db.session.get(JobBatch, batch_id).seq
    monkeypatch.setattr(batches, "next_seq", lambda job_id: taken)
    keep = {"first_row": 1, "last_row": 10}
    part = {"first_row": 11, "last_row": 20}
    assert batches.split(batch_id, owner, keep=keep, parts=[part]) is None
    db.session.expire_all()
    assert db.session.get(JobBatch, batch_id).params == before
    assert db.session.scalar(
        select(func.count()).where(JobBatch.job_id == job.id)
    ) == 2  # fmt: skip


def test_the_cut_of_a_range_and_of_a_reruns_row_numbers():
    # Rows 1-3 were worked; 4, 5, 7, 8, 9 are pending (6 was worked before).
    keep, parts = _cut({"first_row": 1, "last_row": 10}, [4, 5, 7, 8, 9], [2, 4])
    assert keep == {"first_row": 1, "last_row": 6}
    assert parts == [{"first_row": 7, "last_row": 8}, {"first_row": 9, "last_row": 10}]
    params = {"row_numbers": [2, 4, 5, 7, 8, 9]}
    keep, parts = _cut(params, [4, 5, 7, 8, 9], [2, 4])
    assert keep == {"row_numbers": [2, 4, 5]}
    assert parts == [{"row_numbers": [7, 8]}, {"row_numbers": [9]}]


def test_pieces_that_finish_before_their_batch_are_counted_once(
    splitting, auth_client, workspace
):
    """Another thread may finish a piece before the batch that gave it away: the
    batch then counts only the rows it kept."""
    job, ((batch_id, _),) = planned_batches(auth_client, workspace, people_csv(20))

    def run_at_once(added):
        for piece_id, _ in added:
            factories.run_batch(piece_id)

    factories.run_batch(batch_id, dispatch=run_at_once)
    assert _finished(job.id) == ("completed", 20, 20)
    assert db.session.get(JobBatch, batch_id).success_count == 4


def test_a_rerun_batch_gives_away_row_numbers(splitting, auth_client, workspace):
    """A re-run's batch names its rows; a split hands the later ones over by
    number, and the job counts each row once again."""
    splitting.config["ENRICHMENT_SPLIT_MIN_ROWS"] = 0  # the first run as it was
    job, ((batch_id, _),) = planned_batches(auth_client, workspace, people_csv(20))
    factories.run_batch(batch_id)
    splitting.config["ENRICHMENT_SPLIT_MIN_ROWS"] = 2
    # No row has a phone: all twenty run again.
    enrichment.rerun_failed(
        workspace.id, job.id, enrichment.RerunConditions(empty_field="phone")
    )
    ((again, _),) = jobs.open_batches(job.id)
    sent = []
    factories.run_batch(again, dispatch=sent.extend)
    db.session.expire_all()
    assert db.session.get(JobBatch, again).params == {"row_numbers": [1, 2, 3, 4]}
    given = [db.session.get(JobBatch, b).params["row_numbers"] for b, _ in sent]
    assert sorted(n for numbers in given for n in numbers) == list(range(5, 21))
    for piece_id, _ in sent:
        factories.run_batch(piece_id)
    assert _finished(job.id) == ("completed", 20, 20)
    assert statuses(job.id) == {"success": 20}
