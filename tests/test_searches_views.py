"""People search pages: form, live status, profiles, export, saved searches."""

import time

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.models import JobBatch
from prospecting.models import SavedSearch
from prospecting.sandbox import faults
from prospecting.services import accounts
from prospecting.services import searches
from tests import factories
from tests.proxy_server import ForwardProxy
from tests.proxy_server import dead_proxy_url


def _submit(client, **fields):
    data = {"job_title": "CTO, VP Engineering", "fetch_count": "6", **fields}
    response = client.post("/searches/", data=data)
    assert response.status_code == 302, response.data
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def _finish(search_id: str) -> None:
    batch = db.session.scalar(select(JobBatch).where(JobBatch.job_id == search_id))
    batch.not_before = None
    db.session.commit()
    factories.run_batch(batch.id)
    huey.storage.flush_schedule()


@pytest.mark.parametrize(
    "path",
    ["/searches/", "/searches/proxies", "/searches/x",
     "/searches/x/profiles", "/searches/x/export.csv"],
)  # fmt: skip
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_search_form_offers_every_filter(auth_client):
    page = auth_client.get("/searches/")
    assert page.status_code == 200
    keys = ("job_title", "contact_job_title_level_1", "company_employee_size",
            "company_annual_revenue_amount", "company_tech_keywords_list",
            "company_company_name", "company_address_state", "fetch_count")  # fmt: skip
    for key in keys:
        assert f'name="{key}"'.encode() in page.data
    assert b"multiple" in page.data


def test_proxy_health_is_for_operators_only(auth_client, user):
    """The pool carries every workspace's traffic: a member sees neither link nor
    page; an operator sees both."""
    assert b"/searches/proxies" not in auth_client.get("/searches/").data
    assert auth_client.get("/searches/proxies").status_code == 403
    accounts.set_operator(user.email, True)
    assert b"/searches/proxies" in auth_client.get("/searches/").data
    assert auth_client.get("/searches/proxies").status_code == 200


def test_submit_starts_the_search_and_redirects_to_it(auth_client, workspace):
    search_id = _submit(auth_client, contact_job_title_level_1=["VP", "Director"])
    search = searches.get(workspace.id, search_id)
    assert search.query_filter == {
        "job_title": ["CTO", "VP Engineering"],
        "contact_job_title_level_1": ["VP", "Director"],
    }
    assert search.fetch_count == 6
    assert search.status == "PROCESSING"


def test_submit_without_filters_is_422_with_the_values_kept(auth_client):
    response = auth_client.post(
        "/searches/", data={"job_title": " , ", "fetch_count": "5"}
    )
    assert response.status_code == 422
    assert b"at least one filter value" in response.data
    response = auth_client.post(
        "/searches/", data={"job_title": "CTO", "fetch_count": "0"}
    )
    assert response.status_code == 422
    assert b'value="CTO"' in response.data


def test_progress_partial_polls_while_processing_and_stops_when_done(auth_client, htmx):
    faults.set_overrides({"reachstream_ready_after": 0.3})
    search_id = _submit(auth_client)
    running = auth_client.get(f"/jobs/{search_id}/progress", headers=htmx)
    assert running.status_code == 200
    assert f'id="job-{search_id}"'.encode() in running.data
    assert b"<html" not in running.data
    assert b'hx-trigger="load delay:' in running.data
    assert b"ReachStream is preparing the batch" in running.data
    time.sleep(0.35)
    _finish(search_id)
    done = auth_client.get(f"/jobs/{search_id}/progress?seen=x", headers=htmx)
    assert b'hx-trigger="load delay:' not in done.data
    assert b"completed" in done.data and b"6 profiles found" in done.data
    # The poll that shows the search done brings its profiles and "Add to
    # contacts" with it, out of band.
    assert b'id="profiles" class="card" hx-swap-oob="outerHTML"' in done.data
    assert b'id="search-actions"' in done.data and b"add-to-contacts" in done.data


def test_failed_search_shows_its_message_and_stops_polling(app, auth_client, htmx):
    app.config["REACHSTREAM_KEY"] = "invalid-key"
    search_id = _submit(auth_client)
    page = auth_client.get(f"/searches/{search_id}")
    assert b"Invalid ReachStream API key" in page.data
    assert b'hx-trigger="load delay:' not in page.data


def test_cancel_stops_the_search(auth_client, htmx, workspace):
    faults.set_overrides({"reachstream_ready_after": 60})
    search_id = _submit(auth_client)
    response = auth_client.post(f"/jobs/{search_id}/cancel", headers=htmx)
    assert response.status_code == 200
    assert b"cancelled" in response.data and b"Cancelled by user." in response.data
    assert searches.get(workspace.id, search_id).status == "FAILED"
    assert b'hx-trigger="load delay:' not in response.data


def test_search_page_lists_profiles_sorted_and_paginated(auth_client, htmx):
    search_id = _submit(auth_client, fetch_count="60")
    _finish(search_id)
    page = auth_client.get(f"/searches/{search_id}")
    assert page.status_code == 200
    assert b"60 profiles" in page.data
    assert page.data.count(b'id="profile-') == 50
    second = auth_client.get(
        f"/searches/{search_id}/profiles?sort=name&page=2", headers=htmx
    )
    assert second.data.startswith(b'<section id="profiles"')
    assert second.data.count(b'id="profile-') == 10
    assert b"Page 2 of 2" in second.data


def test_export_downloads_a_csv_of_the_profiles(auth_client):
    search_id = _submit(auth_client, fetch_count="3")
    _finish(search_id)
    response = auth_client.get(f"/searches/{search_id}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).strip().split("\r\n")
    assert lines[0].startswith('\ufeff"full_name","job_title"')
    assert len(lines) == 4


def test_save_and_rerun_shows_new_profiles(auth_client, workspace):
    search_id = _submit(auth_client, fetch_count="4")
    _finish(search_id)
    saved = auth_client.post(f"/searches/{search_id}/save", data={"name": "CTOs"})
    assert saved.status_code == 302
    item = db.session.scalar(select(SavedSearch))
    item.fetch_count = 7
    db.session.commit()
    rerun = auth_client.post(f"/searches/saved/{item.id}/run")
    new_id = rerun.headers["Location"].rsplit("/", 1)[1]
    assert new_id != search_id
    _finish(new_id)
    page = auth_client.get(f"/searches/{new_id}")
    assert b"3 new since the previous run" in page.data
    index = auth_client.get("/searches/")
    assert b"CTOs" in index.data


def test_another_workspaces_search_is_404(auth_client, client, other_workspace):
    search_id = _submit(auth_client)
    client.post("/logout")
    factories.login(client, "someone@other.test")
    for path in (f"/searches/{search_id}", f"/searches/{search_id}/export.csv"):
        assert client.get(path).status_code == 404
    assert (
        client.post(f"/searches/{search_id}/save", data={"name": "x"}).status_code
        == 404
    )


def test_proxies_page_shows_requests_failures_and_cooling(app, operator_client):
    proxy, dead = ForwardProxy(), dead_proxy_url()
    try:
        app.config.update(PROVIDER_PROXIES=[dead, proxy.url])
        _submit(operator_client)
        page = operator_client.get("/searches/proxies")
    finally:
        proxy.close()
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert proxy.url in text and dead in text
    assert "cooling" in text and "connection refused" in text
    assert proxy.count >= 1


def test_proxies_page_without_proxies_says_requests_go_direct(operator_client):
    page = operator_client.get("/searches/proxies")
    assert b"go direct" in page.data


def test_nav_links_to_people_search(auth_client):
    assert b'href="/searches/"' in auth_client.get("/").data


def test_home_page_links_the_search_job_to_its_page(auth_client):
    search_id = _submit(auth_client)
    assert f'href="/searches/{search_id}"'.encode() in auth_client.get("/").data


def test_a_bad_cost_cap_renders_the_field_error_with_422(auth_client):
    response = auth_client.post(
        "/searches/", data={"job_title": "CTO", "fetch_count": "5", "cost_cap": "x"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<ul class="errors"><li>A cost cap must be a number' in body
    assert 'value="CTO"' in body


def test_saving_without_a_name_shows_the_page_with_the_field_error(
    auth_client, workspace
):
    search_id = _submit(auth_client, fetch_count="3")
    response = auth_client.post(f"/searches/{search_id}/save", data={"name": " "})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="save-form"' in body
    assert '<ul class="errors"><li>Give the saved search a name' in body
    assert searches.saved_searches(workspace.id) == []
