"""Prospect search pages: account settings, the form, job page, polling, export."""

import pytest

from prospecting.extensions import db
from prospecting.models import Prospect
from prospecting.models.base import utcnow
from prospecting.sandbox import faults
from prospecting.services import jobs
from prospecting.services import prospects
from tests import factories
from tests.test_prospects_service import connect
from tests.test_prospects_service import drive
from tests.test_prospects_service import request_body

FORM = {
    "keywords": "developer",
    "title": "",
    "search_source": "classic",
    "target_count": "120",
}


def _job(workspace, **kw):
    connect(workspace.id)
    return prospects.create_job(workspace.id, None, request_body(**kw))


@pytest.mark.parametrize(
    "path",
    [
        "/prospects/",
        "/prospects/account",
        "/prospects/estimate",
        "/prospects/locations",
    ],
)
def test_pages_require_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_account_page_saves_encrypted_credentials_and_tests_them(
    auth_client, workspace, app
):
    response = auth_client.post(
        "/prospects/account",
        data={
            "dsn": app.config["UNIPILE_DEFAULT_DSN"],
            "api_key": "sandbox-key",
            "account_id": "acc-1",
        },
    )
    assert response.status_code == 302
    page = auth_client.get("/prospects/account")
    assert b"LinkedIn account connected." in page.data
    assert b"active" in page.data and b"sandbox-key" not in page.data
    account = prospects.get_account(workspace.id)
    assert account.checked_at is not None and account.api_key_encrypted != "sandbox-key"


def test_account_form_refuses_missing_fields(auth_client):
    response = auth_client.post(
        "/prospects/account", data={"dsn": "", "account_id": ""}
    )
    assert response.status_code == 422
    assert b"Enter the DSN" in response.data


def test_test_connection_reports_a_disconnected_account(auth_client, workspace, htmx):
    connect(workspace.id, account_id="disconnected-acc")
    response = auth_client.post("/prospects/account/test", headers=htmx)
    assert response.status_code == 200
    assert b'id="account-status"' in response.data and b"<html" not in response.data
    assert (
        b"disconnected" in response.data and b"Unipile API error: 401" in response.data
    )


def test_index_says_when_no_account_is_connected(auth_client):
    page = auth_client.get("/prospects/")
    assert page.status_code == 200
    assert b"No active LinkedIn account found" in page.data
    assert b'id="prospect-estimate"' in page.data and b"Prospect search" in page.data


def test_search_form_without_account_is_refused(auth_client):
    response = auth_client.post("/prospects/", data=FORM)
    assert response.status_code == 422
    assert b"No active LinkedIn account found" in response.data


def test_search_form_above_the_cap_names_the_cap(auth_client, workspace):
    connect(workspace.id)
    response = auth_client.post("/prospects/", data={**FORM, "target_count": "1001"})
    assert response.status_code == 422
    assert b"cap of 1,000" in response.data
    assert b'value="developer"' in response.data


def test_search_form_creates_the_job_and_shows_its_progress(auth_client, workspace):
    connect(workspace.id)
    data = {**FORM, "location": ["102277331::San Francisco, California, United States"]}
    response = auth_client.post("/prospects/", data=data)
    assert response.status_code == 302
    job = jobs.recent(workspace.id, kind=prospects.KIND)[0]
    assert job.params["criteria"]["location"] == ["102277331"]
    page = auth_client.get(response.headers["Location"])
    assert page.status_code == 200
    assert b"Fetched 50/120 (41 %)" in page.data
    assert b"San Francisco, California" in page.data
    assert b'hx-trigger="load delay:1s"' in page.data


def test_progress_partial_polls_while_running_and_stops_when_done(
    auth_client, workspace, htmx
):
    job = _job(workspace, target=120)
    url = f"/jobs/{job.id}/progress"
    queued = auth_client.get(url, headers=htmx)
    assert b"hx-trigger=" in queued.data and b"<html" not in queued.data
    assert f'id="job-{job.id}"'.encode() in queued.data
    assert b"Fetched 0/120 (0 %)" in queued.data
    drive(job.id)
    done = auth_client.get(url, headers=htmx)
    assert b"Fetched 120/120 (100 %)" in done.data
    assert b"hx-trigger" not in done.data and b"hx-get" not in done.data


def test_progress_partial_of_a_failed_job_shows_the_error_and_stops(
    auth_client, workspace, htmx
):
    job = _job(workspace)
    jobs.fail(job.id, "Job timeout")
    response = auth_client.get(f"/jobs/{job.id}/progress", headers=htmx)
    assert b"Job timeout" in response.data and b"hx-trigger" not in response.data


def test_cancel_returns_the_stopped_progress_partial(auth_client, workspace, htmx):
    job = _job(workspace)
    response = auth_client.post(f"/jobs/{job.id}/cancel", headers=htmx)
    assert response.status_code == 200
    assert b"cancelled" in response.data and b"hx-trigger" not in response.data


def test_job_page_pages_the_prospects_table(auth_client, workspace, htmx, app):
    app.config["RESULTS_PER_PAGE"] = 50
    job = _job(workspace, target=120)
    drive(job.id)
    page = auth_client.get(f"/prospects/jobs/{job.id}")
    assert b"Prospects (120)" in page.data and b"Page 1 of 3" in page.data
    assert page.data.count(b'<tr id="prospect-') == 50
    table = auth_client.get(f"/prospects/jobs/{job.id}/table?page=3", headers=htmx)
    assert b'id="prospects-table"' in table.data and b"<html" not in table.data
    assert table.data.count(b'<tr id="prospect-') == 20
    assert b"Page 3 of 3" in table.data and b'id="next-page"' not in table.data


def test_export_downloads_a_formula_safe_csv(auth_client, workspace):
    job = _job(workspace, target=3)
    drive(job.id)
    first = db.session.scalars(db.select(Prospect).limit(1)).first()
    first.company = "@SUM(A1)"
    db.session.commit()
    response = auth_client.get(f"/prospects/jobs/{job.id}/export.csv")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert '"\'@SUM(A1)"' in text and text.count("\r\n") == 4


def test_estimate_partial_follows_the_form(auth_client, htmx):
    response = auth_client.get(
        "/prospects/estimate?search_source=sales_navigator&target_count=250",
        headers=htmx,
    )
    assert b'id="prospect-estimate"' in response.data and b"<html" not in response.data
    assert b"3 pages of 100" in response.data
    over = auth_client.get(
        "/prospects/estimate?search_source=classic&target_count=5000"
    )
    assert b"at most 1,000 results" in over.data


def test_location_search_lists_matches_and_keeps_chosen_ones(
    auth_client, workspace, htmx
):
    connect(workspace.id)
    response = auth_client.get(
        "/prospects/locations",
        query_string={"location_query": "germany", "location": "105015875::France"},
        headers=htmx,
    )
    assert b'id="location-options"' in response.data and b"<html" not in response.data
    assert b'value="105015875::France" checked' in response.data
    assert (
        b"102890719::Germany" in response.data and b"Berlin, Germany" in response.data
    )


def test_location_search_without_account_explains(auth_client, htmx):
    response = auth_client.get(
        "/prospects/locations?location_query=paris", headers=htmx
    )
    assert response.status_code == 200
    assert b"No active LinkedIn account found" in response.data


@pytest.mark.parametrize("suffix", ["", "/table", "/export.csv"])
def test_another_workspaces_job_is_not_found(auth_client, other_workspace, suffix):
    connect(other_workspace.id)
    theirs = prospects.create_job(other_workspace.id, None, request_body())
    assert auth_client.get(f"/prospects/jobs/{theirs.id}{suffix}").status_code == 404


def test_cancel_of_another_workspaces_job_is_not_found(auth_client, other_workspace):
    connect(other_workspace.id)
    theirs = prospects.create_job(other_workspace.id, None, request_body())
    assert auth_client.post(f"/jobs/{theirs.id}/cancel").status_code == 404


def test_job_page_of_an_enrichment_job_is_not_found(auth_client, workspace):
    job = factories.make_job(workspace.id, kind="enrichment", started_at=utcnow())
    assert auth_client.get(f"/prospects/jobs/{job.id}").status_code == 404


def test_form_page_shows_the_disconnected_account(auth_client, workspace):
    connect(workspace.id)
    faults.set_overrides({"unipile_disconnected": True})
    prospects.check_account(workspace.id)
    page = auth_client.get("/prospects/")
    assert b"is disconnected" in page.data and b"Reconnect it" in page.data


def test_a_tested_account_shows_its_products_and_the_form_starts_on_the_best(
    auth_client, workspace, app
):
    auth_client.post(
        "/prospects/account",
        data={
            "dsn": app.config["UNIPILE_DEFAULT_DSN"],
            "api_key": "sandbox-key",
            "account_id": "salesnav-7",
        },
    )
    page = auth_client.get("/prospects/account").get_data(as_text=True)
    assert "LinkedIn products: classic, sales_navigator, premium" in page
    assert "run on sales_navigator" in page
    form = auth_client.get("/prospects/").get_data(as_text=True)
    assert '<option value="sales_navigator" selected>' in form


def test_search_form_without_a_target_names_the_field_with_422(auth_client, workspace):
    connect(workspace.id)
    response = auth_client.post("/prospects/", data={**FORM, "target_count": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<ul class="errors"><li>Enter how many prospects to fetch.' in body
    assert 'value="developer"' in body and not jobs.recent(workspace.id)


def test_search_form_with_a_bad_cost_cap_names_the_field_with_422(
    auth_client, workspace
):
    connect(workspace.id)
    response = auth_client.post("/prospects/", data={**FORM, "cost_cap": "-1"})
    assert response.status_code == 422
    assert b'<ul class="errors"><li>A cost cap must be a number' in response.data


def test_account_form_shows_the_missing_field_under_it(auth_client):
    response = auth_client.post(
        "/prospects/account", data={"dsn": "api.example.com", "account_id": ""}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<ul class="errors"><li>Enter the Unipile account id' in body
    assert 'value="api.example.com"' in body
