"""The ops page: sections, retry / cancel / requeue / run now, banner, outages, CSRF."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from config import TestConfig
from prospecting import create_app
from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.extensions import init_huey
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import PeriodicRun
from prospecting.models import ProviderCall
from prospecting.models import WorkerHeartbeat
from prospecting.models.base import utcnow
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services.enrichment import worker as enrichment_worker
from prospecting.views import ops as ops_views
from tests import factories
from tests.factories import MAPPING

PAGES = [
    "/ops/",
    "/ops/queue",
    "/ops/jobs",
    "/ops/failed",
    "/ops/periodic",
    "/ops/providers",
    "/ops/throughput",
]


def _emails_of(batch: JobBatch) -> set[str]:
    """The addresses in a rows batch (the import cuts batches by row range)."""
    job = db.session.get(Job, batch.job_id)
    column = job.params["headers"].index(job.params["mapping"]["email"])
    first, last = batch.params["first_row"], batch.params["last_row"]
    rows = enrichment.results_after(job, after=first - 1, limit=last - first + 1)
    return {row.data[column] for row in rows}


def failed_enrichment_job(client, app, monkeypatch, rows: int = 6) -> tuple[str, int]:
    """An enrichment job whose one rows batch failed for good, as on a real worker.

    The queue runs message by message (not immediate) and a batch has one attempt,
    so the runner fails the crashing batch for good at once; returns (job id,
    failed batch id).
    """
    app.config["ENRICHMENT_BATCH_SIZE"] = 3
    attempts = app.config["BATCH_MAX_ATTEMPTS"]
    app.config["BATCH_MAX_ATTEMPTS"] = 1
    huey.immediate = False
    try:
        job_id = factories.start_enrichment(client, factories.contacts_csv(rows)).id
        real = enrichment.enrich_row
        failing = {}

        def enrich_row(fields):
            if fields["email"] in failing.get("emails", ()):
                raise RuntimeError("client bug while enriching")
            return real(fields)

        monkeypatch.setattr(enrichment_worker, "enrich_row", enrich_row)
        while (task := huey.dequeue()) is not None:
            batch = db.session.get(JobBatch, task.args[0])
            if batch.kind == enrichment.ROWS and "emails" not in failing:
                failing["emails"] = _emails_of(batch)
            huey.execute(task)
        monkeypatch.setattr(enrichment_worker, "enrich_row", real)
    finally:
        huey.immediate = True
        app.config["BATCH_MAX_ATTEMPTS"] = attempts
    db.session.expire_all()
    batch = db.session.scalars(
        select(JobBatch).where(JobBatch.job_id == job_id, JobBatch.status == "failed")
    ).one()
    return job_id, batch.id


@pytest.mark.parametrize("path", PAGES)
def test_ops_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/ops/batches/1/retry",
        "/ops/batches/1/cancel",
        "/ops/batches/1/requeue",
        "/ops/periodic/prospecting.tasks.reap_batches/run",
    ],
)
def test_ops_actions_need_login(client, path):
    response = client.post(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", PAGES[1:])
def test_ops_partials_carry_their_own_polling(operator_client, htmx, path):
    response = operator_client.get(path, headers=htmx)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'hx-trigger="load delay:' in body
    assert 'hx-swap="outerHTML"' in body


def test_ops_page_shows_every_section_and_the_nav_link(operator_client):
    body = operator_client.get("/ops/").get_data(as_text=True)
    for section in (
        "ops-queue",
        "ops-jobs",
        "ops-failed",
        "ops-periodic",
        "ops-providers",
        "throughput-all",
    ):
        assert f'id="{section}"' in body
    assert 'href="/ops/"' in body
    assert "uPlot-1.6.32.min.js" in body
    assert "reap_batches" in body
    assert 'id="ops-banner"' not in body


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/ops/queue"),
        ("GET", "/ops/periodic"),
        ("POST", "/ops/periodic/prospecting.tasks.reap_batches/run"),
        ("GET", "/searches/proxies"),
    ],
)
def test_the_whole_systems_operations_are_refused_to_members(
    auth_client, htmx, method, path
):
    """Workers, the queue, periodic tasks and "run now" need the operator flag."""
    for headers in ({}, htmx):
        response = auth_client.open(path, method=method, headers=headers)
        assert response.status_code == 403, (path, headers)
    assert db.session.scalars(select(PeriodicRun)).all() == []  # nothing ran


def test_ops_page_shows_members_only_their_workspaces_sections(
    auth_client, workspace, other_workspace
):
    now = utcnow()
    db.session.add(
        WorkerHeartbeat(
            worker_id="secret-box:7",
            hostname="secret-box",
            pid=7,
            threads=4,
            queue="prospecting (redis)",
            started_at=now,
            last_seen_at=now,
        )
    )
    theirs = factories.make_job(other_workspace.id, status="running", title="Theirs")
    db.session.add(
        ProviderCall(
            provider="companies", endpoint="e", method="GET", latency_ms=5,
            status_code=200, job_id=theirs.id,
        )
    )  # fmt: skip
    db.session.commit()
    body = auth_client.get("/ops/").get_data(as_text=True)
    for section in ("ops-jobs", "ops-failed", "ops-providers", "throughput-all"):
        assert f'id="{section}"' in body
    for hidden in ("ops-queue", "ops-periodic", "secret-box", "reap_batches"):
        assert hidden not in body
    assert 'id="provider-companies"' not in body and "Theirs" not in body
    assert "shown to operators" in body


def test_queue_section_shows_depth_and_worker_states(operator_client):
    huey.immediate = False
    try:
        huey.enqueue(huey._registry.string_to_task("prospecting.tasks.reap_batches")())
        now = utcnow()
        for n, age in ((1, 3), (2, 60), (3, 500)):
            db.session.add(
                WorkerHeartbeat(
                    worker_id=f"box:{n}",
                    hostname="box",
                    pid=n,
                    threads=4,
                    queue="prospecting (redis)",
                    started_at=now - timedelta(seconds=age),
                    last_seen_at=now - timedelta(seconds=age),
                )
            )
        db.session.commit()
        body = operator_client.get("/ops/queue").get_data(as_text=True)
    finally:
        huey.immediate = True
    assert re.search(r'id="queue-pending">1<', body)
    assert "box:1" in body and "badge-alive" in body
    assert "badge-stale" in body and "badge-gone" in body


def test_running_jobs_show_progress_with_a_link_to_the_job(auth_client, workspace):
    job = factories.make_job(
        workspace.id, status="running", progress_total=10, progress_current=4
    )
    factories.make_job(workspace.id, status="completed")
    body = auth_client.get("/ops/jobs").get_data(as_text=True)
    assert f'id="ops-job-{job.id}"' in body
    assert f'href="/enrichment/jobs/{job.id}"' in body
    assert "4 / 10 (40 %)" in body
    assert body.count('id="ops-job-') == 1


def test_failed_batch_retried_with_its_arguments_completes_the_job(
    auth_client, app, htmx, monkeypatch
):
    job_id, batch_id = failed_enrichment_job(auth_client, app, monkeypatch)
    job = db.session.get(Job, job_id)
    assert job.status == "failed"
    failed = auth_client.get("/ops/failed").get_data(as_text=True)
    assert f'id="failed-{batch_id}"' in failed
    assert "RuntimeError: client bug while enriching" in failed
    assert "Traceback (most recent call last)" in failed
    assert '"kind": "enrichment.rows"' in failed
    assert '"params": {' in failed

    response = auth_client.post(f"/ops/batches/{batch_id}/retry", headers=htmx)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Batch {batch_id} sent again." in body
    assert f'id="failed-{batch_id}"' not in body
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    batch = db.session.get(JobBatch, batch_id)
    assert (job.status, batch.status, batch.attempts) == ("completed", "done", 1)
    assert job.error_message is None
    assert job.success_count + job.failed_count == 6
    pending = db.session.scalars(
        select(EnrichmentRow).where(
            EnrichmentRow.job_id == job_id, EnrichmentRow.status == "pending"
        )
    ).all()
    assert pending == []


def test_retry_by_form_redirects_with_a_flash(auth_client, app, monkeypatch):
    job_id, batch_id = failed_enrichment_job(auth_client, app, monkeypatch)
    response = auth_client.post(f"/ops/batches/{batch_id}/retry")
    assert response.status_code == 302
    page = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Batch {batch_id} sent again." in page
    assert db.session.get(Job, job_id).status == "completed"


def test_cancel_gives_up_on_a_failed_batch_and_stops_its_running_job(
    auth_client, workspace, htmx
):
    job = factories.make_job(workspace.id, status="running")
    failed = JobBatch(job_id=job.id, seq=0, kind="enrichment.rows", status="failed")
    pending = JobBatch(job_id=job.id, seq=1, kind="enrichment.rows")
    db.session.add_all([failed, pending])
    db.session.commit()
    response = auth_client.post(f"/ops/batches/{failed.id}/cancel", headers=htmx)
    assert response.status_code == 200
    assert f"Batch {failed.id} cancelled." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(JobBatch, failed.id).status == "cancelled"
    assert db.session.get(JobBatch, pending.id).status == "cancelled"
    assert db.session.get(Job, job.id).status == "cancelled"


def test_cancel_of_a_batch_that_did_not_fail_is_a_409_in_the_partial(
    auth_client, workspace, htmx
):
    job = factories.make_job(workspace.id, status="running")
    batch = JobBatch(job_id=job.id, seq=0, kind="enrichment.rows", status="done")
    db.session.add(batch)
    db.session.commit()
    response = auth_client.post(f"/ops/batches/{batch.id}/cancel", headers=htmx)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert 'id="ops-failed"' in body
    assert "not failed" in body


@pytest.mark.parametrize("action", ["retry", "cancel", "requeue"])
def test_another_workspaces_batch_is_404(auth_client, other_workspace, action):
    job = factories.make_job(other_workspace.id, status="failed")
    batch = JobBatch(job_id=job.id, seq=0, kind="enrichment.rows", status="failed")
    db.session.add(batch)
    db.session.commit()
    assert auth_client.post(f"/ops/batches/{batch.id}/{action}").status_code == 404
    assert auth_client.post(f"/ops/batches/999999/{action}").status_code == 404
    db.session.expire_all()
    assert db.session.get(JobBatch, batch.id).status == "failed"


def test_stuck_batch_is_listed_and_sent_again(auth_client, workspace, htmx):
    job = factories.make_job(workspace.id, status="running")
    batch = JobBatch(
        job_id=job.id,
        seq=0,
        kind="enrichment.rows",
        status="running",
        params={"row_numbers": []},
        lease_until=utcnow() - timedelta(minutes=5),
    )
    db.session.add(batch)
    db.session.commit()
    body = auth_client.get("/ops/jobs").get_data(as_text=True)
    assert f'id="stuck-{batch.id}"' in body and "lease expired" in body
    response = auth_client.post(f"/ops/batches/{batch.id}/requeue", headers=htmx)
    assert response.status_code == 200
    # The batch ran again at once (immediate queue): it has no rows, so it is done.
    db.session.expire_all()
    assert db.session.get(JobBatch, batch.id).status == "done"
    assert f'id="stuck-{batch.id}"' not in response.get_data(as_text=True)


def test_run_now_runs_the_periodic_task_and_records_the_run(
    operator_client, workspace, htmx
):
    # A running job whose batches are all done: only the reaper finishes it.
    job = factories.make_job(workspace.id, status="running")
    db.session.add(
        JobBatch(job_id=job.id, seq=0, kind="enrichment.rows", status="done")
    )
    db.session.commit()
    response = operator_client.post(
        "/ops/periodic/prospecting.tasks.reap_batches/run", headers=htmx
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "reap_batches queued." in body
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "completed"
    run = db.session.scalars(
        select(PeriodicRun).where(
            PeriodicRun.task_name == "prospecting.tasks.reap_batches"
        )
    ).one()
    assert (run.last_status, run.run_count) == ("ok", 1)
    assert run.last_finished_at is not None


def test_run_now_of_an_unknown_task_is_404(operator_client):
    assert operator_client.post("/ops/periodic/os.system/run").status_code == 404


def test_provider_health_section_shows_the_last_hours_figures(operator_client):
    runner = operator_client.application.test_cli_runner()
    assert runner.invoke(args=["providers", "check", "--spend"]).exit_code == 0
    body = operator_client.get("/ops/providers").get_data(as_text=True)
    assert 'id="provider-emails"' in body
    assert 'id="provider-companies"' in body
    assert "0.0 %" in body


def test_throughput_partial_of_a_job_stops_polling_once_it_is_done(
    auth_client, workspace, other_workspace
):
    running = factories.make_job(workspace.id, status="running")
    done = factories.make_job(workspace.id, status="completed")
    body = auth_client.get(f"/ops/throughput?job_id={running.id}").get_data(
        as_text=True
    )
    assert f'id="throughput-{running.id}"' in body and "hx-trigger" in body
    assert "data-series=" in body
    body = auth_client.get(f"/ops/throughput?job_id={done.id}").get_data(as_text=True)
    assert f'id="throughput-{done.id}"' in body and "hx-trigger" not in body
    other = factories.make_job(other_workspace.id, status="running")
    assert auth_client.get(f"/ops/throughput?job_id={other.id}").status_code == 404


def test_throughput_partial_included_on_a_job_page_loads_itself(app, workspace):
    from flask import render_template

    job = factories.make_job(workspace.id, status="running")
    with app.test_request_context("/"):
        html = render_template("ops/_throughput.html", job=job)
    assert f'hx-get="/ops/throughput?job_id={job.id}"' in html
    assert 'hx-trigger="load"' in html
    assert "uPlot-1.6.32.min.js" in html and "js/ops.js" in html


def test_banner_names_the_queue_on_every_page_when_redis_is_down(operator_client, app):
    app.config.update(
        HUEY_STORAGE="redis", REDIS_URL="redis://127.0.0.1:1/0", HUEY_IMMEDIATE=False
    )
    init_huey(app)
    try:
        home = operator_client.get("/")
        ops_page = operator_client.get("/ops/")
        queue = operator_client.get("/ops/queue").get_data(as_text=True)
    finally:
        app.config.update(HUEY_STORAGE="memory", HUEY_IMMEDIATE=True)
        init_huey(app)
    for page in (home, ops_page):
        body = page.get_data(as_text=True)
        assert page.status_code == 200
        assert 'id="ops-banner"' in body
        assert "The job queue is unreachable" in body
        assert "The database is unreachable" not in body
        assert "style=" not in body  # the CSP allows no style attribute
    assert "The queue is unreachable" in queue
    assert huey.immediate
    assert 'id="ops-banner"' not in operator_client.get("/").get_data(as_text=True)


def test_starting_a_job_with_the_queue_down_saves_it_and_says_it_waits(
    auth_client, app
):
    uploaded = auth_client.post(
        "/enrichment/uploads",
        data={"file": (io.BytesIO(factories.contacts_csv(2)), "people.csv")},
    )
    upload_id = uploaded.headers["Location"].rsplit("/", 1)[1]
    app.config.update(
        HUEY_STORAGE="redis", REDIS_URL="redis://127.0.0.1:1/0", HUEY_IMMEDIATE=False
    )
    init_huey(app)
    try:
        response = auth_client.post(
            f"/enrichment/uploads/{upload_id}/start", data=MAPPING
        )
    finally:
        app.config.update(HUEY_STORAGE="memory", HUEY_IMMEDIATE=True)
        init_huey(app)
    # Not a 503: the job is saved and the reaper sends it once the queue is back.
    assert response.status_code == 302
    body = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "it starts by itself once the queue is back" in body
    assert db.session.scalar(select(JobBatch.owner)) == jobs.NOT_SENT


@pytest.fixture
def down_client(tmp_path):
    """A signed-in client of an app whose PostgreSQL does not answer."""
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none",
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:generation"
        session["_fresh"] = True
    return client


def test_pages_answer_503_with_the_banner_when_the_database_is_down(down_client):
    response = down_client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert 'id="ops-banner"' in body
    assert "The database is unreachable" in body
    assert "Traceback" not in body


def test_a_polling_partial_retries_itself_while_the_database_is_down(down_client, htmx):
    response = down_client.get("/ops/queue", headers=htmx)
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert 'id="ops-unavailable"' in body
    assert 'hx-get="http://localhost/ops/queue"' in body
    assert "<html" not in body


def test_a_database_error_with_the_database_up_is_a_plain_500(app):
    with app.test_request_context("/"):
        body, status = ops_views.database_error(
            IntegrityError("INSERT", {}, Exception("duplicate"))
        )
    assert status == 500
    assert "unreachable" not in body


def test_ops_actions_need_the_csrf_token(auth_client, app, workspace):
    job = factories.make_job(workspace.id, status="running")
    batch = JobBatch(job_id=job.id, seq=0, kind="enrichment.rows", status="failed")
    db.session.add(batch)
    db.session.commit()
    page = auth_client.get("/ops/").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = auth_client.post(f"/ops/batches/{batch.id}/cancel")
        accepted = auth_client.post(
            f"/ops/batches/{batch.id}/cancel",
            headers={"X-CSRFToken": token, "HX-Request": "true"},
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 400
    assert accepted.status_code == 200
    db.session.expire_all()
    assert db.session.get(JobBatch, batch.id).status == "cancelled"


def test_every_job_page_carries_its_throughput_chart():
    """Issue 7: the throughput chart is on the ops page and on each job page."""
    from pathlib import Path

    pages = ["enrichment/job.html", "searches/show.html", "prospects/job.html",
             "contacts/fetch_job.html", "contacts/sync_job.html"]  # fmt: skip
    root = Path(__file__).resolve().parents[1] / "templates"
    for page in pages:
        assert '{% include "ops/_throughput.html" %}' in (root / page).read_text(), page
