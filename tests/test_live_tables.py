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
