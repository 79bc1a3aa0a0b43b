"""The people search JSON API (providers.md §7.1)."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.models import JobBatch
from prospecting.sandbox import faults
from prospecting.services import searches
from tests import factories

BASE = "/api/v1/people-search/"


def _finish(search_id: str) -> None:
    """Run the scheduled poll now instead of waiting for its delay."""
    batch = db.session.scalar(select(JobBatch).where(JobBatch.job_id == search_id))
    batch.not_before = None
    db.session.commit()
    factories.run_batch(batch.id)
    huey.storage.flush_schedule()


@pytest.mark.parametrize(
    "method,path",
    [("post", BASE), ("get", f"{BASE}x/"), ("get", f"{BASE}x/results/")],
)
def test_api_needs_a_token(client, method, path):
    response = getattr(client, method)(path, json={"job_title": ["CTO"]})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_create_returns_201_with_the_pending_search(client, api_headers):
    response = client.post(
        BASE,
        json={"job_title": ["CTO"], "company_address_country": {"0": "India"}},
        headers=api_headers,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "PENDING"
    assert body["query_filter"] == {
        "job_title": ["CTO"],
        "company_address_country": ["India"],
    }
    assert body["reachstream_batch_id"] is None
    assert body["error_message"] is None and body["completed_at"] is None
    assert body["created_at"].endswith("Z")
    assert body["fetch_count"] == searches.DEFAULT_FETCH


def test_create_accepts_fetch_count_and_a_wrapped_filter(client, api_headers):
    response = client.post(
        BASE,
        json={"filter": {"job_title": {"0": "CFO"}}, "fetch_count": 3},
        headers=api_headers,
    )
    assert response.status_code == 201
    assert response.get_json()["fetch_count"] == 3


@pytest.mark.parametrize(
    "body",
    [{}, {"job_title": []}, {"job_title": ["CTO"], "fetch_count": 0}, ["CTO"]],
)
def test_create_rejects_bad_input_with_422(client, api_headers, body):
    response = client.post(BASE, json=body, headers=api_headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["message"]


def test_status_moves_to_processing_then_completed(client, api_headers):
    created = client.post(
        BASE, json={"job_title": ["CTO"], "fetch_count": 4}, headers=api_headers
    ).get_json()
    shown = client.get(f"{BASE}{created['id']}/", headers=api_headers).get_json()
    assert shown["status"] == "PROCESSING"
    assert shown["reachstream_batch_id"]
    _finish(created["id"])
    shown = client.get(f"{BASE}{created['id']}/", headers=api_headers).get_json()
    assert shown["status"] == "COMPLETED" and shown["completed_at"]


def test_status_of_a_failed_search_carries_the_message(app, client, api_headers):
    app.config["REACHSTREAM_KEY"] = "invalid-key"
    created = client.post(
        BASE, json={"job_title": ["CTO"]}, headers=api_headers
    ).get_json()
    shown = client.get(f"{BASE}{created['id']}/", headers=api_headers).get_json()
    assert shown["status"] == "FAILED"
    assert "Invalid ReachStream API key" in shown["error_message"]


def test_results_are_paginated(app, client, api_headers):
    app.config["SEARCH_API_PAGE_SIZE"] = 4
    created = client.post(
        BASE, json={"job_title": ["CTO"], "fetch_count": 10}, headers=api_headers
    ).get_json()
    _finish(created["id"])
    first = client.get(f"{BASE}{created['id']}/results/", headers=api_headers)
    body = first.get_json()
    assert body["count"] == 10 and len(body["results"]) == 4
    assert body["previous"] is None
    assert body["next"].endswith("/results/?page=2")
    row = body["results"][0]
    assert set(row) == {
        "id", "full_name", "job_title", "company_name", "email", "linkedin_url",
        "raw_data", "created_at",
    }  # fmt: skip
    assert row["job_title"] == "CTO" and row["raw_data"]["id"]
    last = client.get(
        f"{BASE}{created['id']}/results/?page=3", headers=api_headers
    ).get_json()
    assert len(last["results"]) == 2 and last["next"] is None
    assert last["previous"].endswith("page=2")
    beyond = client.get(f"{BASE}{created['id']}/results/?page=4", headers=api_headers)
    assert beyond.status_code == 404
    bad = client.get(f"{BASE}{created['id']}/results/?page=x", headers=api_headers)
    assert bad.status_code == 422


def test_another_workspaces_search_is_404(client, api_headers, other_workspace):
    created = client.post(
        BASE, json={"job_title": ["CTO"]}, headers=api_headers
    ).get_json()
    other = {"X-API-Key": factories.make_token(other_workspace.id)}
    for path in (f"{BASE}{created['id']}/", f"{BASE}{created['id']}/results/"):
        response = client.get(path, headers=other)
        assert response.status_code == 404
        assert response.get_json()["error"]["message"] == "No such search."


def test_provider_outage_is_reported_not_raised(client, api_headers):
    faults.set_overrides({"error_rate": 1.0})
    response = client.post(BASE, json={"job_title": ["CTO"]}, headers=api_headers)
    assert response.status_code == 201
    shown = client.get(f"{BASE}{response.get_json()['id']}/", headers=api_headers)
    assert shown.get_json()["status"] == "PENDING"


@pytest.mark.parametrize("page", ["²", "9" * 30, "9" * 5000])
def test_results_reject_odd_page_numbers_with_422(client, api_headers, page):
    """A page of "²" passes isdigit() but not int(); 30 digits overflow OFFSET."""
    search = client.post(BASE, json={"job_title": ["CTO"]}, headers=api_headers)
    url = f"{BASE}{search.json['id']}/results/?page={page}"
    response = client.get(url, headers=api_headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "bad_page"
