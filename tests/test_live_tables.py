"""Tables that follow a running job come with its progress poll, out of band, only
when the job moved since the page's last look."""

from prospecting.extensions import db
from prospecting.models import EnrichmentRow
from prospecting.models import Prospect
from tests import factories


def _running_enrichment(workspace_id):
    job = factories.make_job(
        workspace_id, status="running", progress_total=2, progress_current=1,
        success_count=1, params={"headers": ["Email"], "mapping": {"email": "Email"}},
    )  # fmt: skip
    db.session.add_all(
        [
            EnrichmentRow(job_id=job.id, row_number=1, data=["a@b.com"],
                          email="a@b.com", status="success", email_verdict="valid"),
            EnrichmentRow(job_id=job.id, row_number=2, data=["c@d.com"]),
        ]
    )  # fmt: skip
    db.session.commit()
    return job


def test_the_poll_brings_the_results_table_when_the_job_moved(auth_client, workspace):
    job = _running_enrichment(workspace.id)
    html = auth_client.get(f"/jobs/{job.id}/progress?seen=stale").get_data(as_text=True)
    assert f'id="job-{job.id}"' in html
    assert 'id="results"' in html and 'hx-swap-oob="outerHTML"' in html
    assert "a@b.com" in html


def test_the_poll_leaves_the_table_alone_when_nothing_changed(auth_client, workspace):
    job = _running_enrichment(workspace.id)
    page = auth_client.get(f"/enrichment/jobs/{job.id}").get_data(as_text=True)
    seen = page.split("seen=", 1)[1].split('"', 1)[0]
    html = auth_client.get(f"/jobs/{job.id}/progress?seen={seen}").get_data(
        as_text=True
    )
    assert 'id="results"' not in html


def test_the_polled_table_keeps_the_filter_the_page_shows(auth_client, workspace):
    job = _running_enrichment(workspace.id)
    page = auth_client.get(f"/enrichment/jobs/{job.id}?status=pending").get_data(
        as_text=True
    )
    assert f'hx-include="#job-{job.id}-table-state"' in page
    assert f'id="job-{job.id}-table-state"' in page
    html = auth_client.get(
        f"/jobs/{job.id}/progress?seen=stale&status=pending"
    ).get_data(as_text=True)
    assert "c@d.com" in html and "a@b.com" not in html


def test_the_results_table_no_longer_polls_itself(auth_client, workspace):
    job = _running_enrichment(workspace.id)
    html = auth_client.get(f"/enrichment/jobs/{job.id}/results").get_data(as_text=True)
    assert "hx-trigger" not in html.split('id="results"', 1)[1].split(">", 1)[0]


def test_the_poll_brings_the_prospects_table(auth_client, workspace):
    job = factories.make_job(
        workspace.id, kind="prospect_search", status="running", progress_total=10,
        params={"criteria": {}},
    )  # fmt: skip
    db.session.add(Prospect(job_id=job.id, batch=1, provider_id="p1", name="Ada"))
    db.session.commit()
    html = auth_client.get(f"/jobs/{job.id}/progress?seen=stale").get_data(as_text=True)
    assert 'id="prospects-table"' in html and "Ada" in html
    assert "Prospects (1)" in html


def test_a_finished_jobs_chart_says_how_many_items_it_finished(auth_client, workspace):
    job = factories.make_job(
        workspace.id, status="completed", progress_total=250, progress_current=250
    )
    html = auth_client.get(f"/ops/throughput?job_id={job.id}").get_data(as_text=True)
    assert "250 of 250 finished in all" in html


# The Airtable sync's records follow the poll


def _sync_job_with_a_sent_chunk(workspace_id):
    from prospecting.models import Company
    from prospecting.models import JobBatch
    from prospecting.services.contacts import airtable_sync

    job = factories.make_job(
        workspace_id, kind=airtable_sync.KIND, status="running", progress_total=2,
        progress_current=1, success_count=1, params={},
    )  # fmt: skip
    sent = Company(workspace_id=workspace_id, name="Globex", crm_record_id="recGLOBEX")
    db.session.add(sent)
    db.session.flush()
    db.session.add(
        JobBatch(
            job_id=job.id, seq=1, kind=airtable_sync.COMPANIES, status="done",
            params={"ids": [sent.id]}, success_count=1,
        )
    )  # fmt: skip
    db.session.commit()
    return job


def test_the_poll_brings_the_sync_jobs_records_when_it_moved(auth_client, workspace):
    job = _sync_job_with_a_sent_chunk(workspace.id)
    page = auth_client.get(f"/contacts/jobs/{job.id}/sync").get_data(as_text=True)
    assert 'id="sync-results"' in page and "recGLOBEX" in page
    html = auth_client.get(f"/jobs/{job.id}/progress?seen=stale").get_data(as_text=True)
    assert 'id="sync-results-card" hx-swap-oob="outerHTML"' in html
    assert "Globex" in html and "recGLOBEX" in html
    assert "Companies: <strong>1</strong> synced" in html


# Counters, tabs, rate, ETA and cost agree


def test_a_cancelled_jobs_tabs_count_its_cancelled_rows(auth_client, workspace):
    job = factories.make_job(
        workspace.id, status="cancelled", progress_total=3000, progress_current=200,
        success_count=200, params={"headers": ["Email"], "mapping": {"email": "Email"}},
    )  # fmt: skip
    db.session.add(EnrichmentRow(job_id=job.id, row_number=201, data=["x@y.com"]))
    db.session.commit()
    html = auth_client.get(f"/enrichment/jobs/{job.id}").get_data(as_text=True)
    assert "cancelled (2800)" in html and "pending (0)" in html
    assert 'id="rerun-button"' in html  # its never-worked rows can still run
    tab = auth_client.get(f"/enrichment/jobs/{job.id}/results?status=cancelled")
    body = tab.get_data(as_text=True)
    assert "x@y.com" in body and "badge-cancelled" in body
    pending = auth_client.get(f"/enrichment/jobs/{job.id}/results?status=pending")
    assert "x@y.com" not in pending.get_data(as_text=True)


def test_after_resume_the_rate_counts_from_the_resume(app, workspace, monkeypatch):
    from datetime import timedelta

    from prospecting.models import Job
    from prospecting.models import JobBatch
    from prospecting.models import jobs as job_models
    from prospecting.models.base import utcnow
    from prospecting.services import jobs

    started = utcnow() - timedelta(hours=1)
    job = factories.make_job(
        workspace.id, status="paused", started_at=started, progress_total=1000,
        progress_current=100, success_count=100,
    )  # fmt: skip
    db.session.add(JobBatch(job_id=job.id, seq=1, kind="enrichment.rows",
                            status="paused", params={}))  # fmt: skip
    db.session.commit()
    jobs.resume(workspace.id, job.id)
    job = db.session.get(Job, job.id)
    resumed_at = job.params["resumed"]["at"]
    assert job.params["resumed"]["from"] == 100
    job.progress_current = 120
    later = job_models.datetime.fromisoformat(resumed_at) + timedelta(seconds=10)
    monkeypatch.setattr(job_models, "utcnow", lambda: later)
    # 20 rows in the 10 s since the resume, not 120 over the hour and the pause.
    assert job.rate == 2.0
    assert job.eta_seconds == 440


def test_the_cost_shows_while_rows_are_processed(auth_client, workspace):
    job = factories.make_job(
        workspace.id, status="running", progress_total=300, progress_current=140,
        success_count=140, cost=1.4, call_count=140,
        params={"headers": ["Email"], "mapping": {"email": "Email"}},
    )  # fmt: skip
    html = auth_client.get(f"/jobs/{job.id}/progress?seen=stale").get_data(as_text=True)
    cost = html.split(f'id="job-cost-{job.id}">', 1)[1].split("<", 1)[0]
    assert cost.strip() not in ("", "0", "0 credits", "0.00")
    assert "1.4" in cost


def test_a_resume_mark_copied_from_another_run_is_ignored(app, workspace):
    from datetime import timedelta

    from prospecting.models.base import utcnow

    now = utcnow()
    stale = {"at": (now - timedelta(days=1)).isoformat(), "from": 500}
    job = factories.make_job(
        workspace.id, status="running", started_at=now - timedelta(seconds=10),
        progress_total=100, progress_current=20, params={"resumed": stale},
    )  # fmt: skip
    assert job.rate is not None and job.rate > 0
