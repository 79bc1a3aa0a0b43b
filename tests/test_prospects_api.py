"""JSON API of prospect search jobs (providers.md §7.3)."""

import pytest

from prospecting.extensions import db
from prospecting.sandbox import faults
from prospecting.services import prospects
from tests import factories
from tests.test_prospects_service import connect
from tests.test_prospects_service import drive
from tests.test_prospects_service import request_body

CREATE = "/api/linkedin/search/create-job"
RESULTS = "/api/linkedin/search/results"


def test_create_job_returns_the_queued_job_and_metadata(client, workspace, api_headers):
    connect(workspace.id)
    response = client.post(
        CREATE, json=request_body(300, "sales_navigator"), headers=api_headers
    )
    body = response.get_json()
    assert response.status_code == 201
    assert body["success"] is True and body["status"] == "queued"
    assert body["job_id"] and body["message"]
    assert body["metadata"]["api"] == "sales_navigator"
    assert body["metadata"]["max_results"] == 2500
    # 3 pages of 100: 3 × 1.5 s expected page time + 2 pauses of 2 s.
    assert body["metadata"]["estimated_time_seconds"] == 9


def test_create_job_without_account_says_so(client, workspace, api_headers):
    response = client.post(CREATE, json=request_body(), headers=api_headers)
    error = factories.api_error(response, 422)
    assert error["code"] == "no_account"
    assert error["message"] == "No active LinkedIn account found"


def test_create_job_above_the_cap_names_the_cap(client, workspace, api_headers):
    connect(workspace.id)
    response = client.post(CREATE, json=request_body(1500), headers=api_headers)
    error = factories.api_error(response, 422)
    assert error["code"] == "above_cap" and "1,000" in error["message"]


@pytest.mark.parametrize("payload", [None, [1, 2], {"search_type": "twitter"}])
def test_create_job_rejects_a_bad_body(client, workspace, api_headers, payload):
    connect(workspace.id)
    response = client.post(CREATE, json=payload, headers=api_headers)
    factories.api_error(response, response.status_code)
    assert response.status_code in (400, 422)


def test_create_job_needs_a_token(client, workspace):
    assert client.post(CREATE, json=request_body()).status_code == 401


def test_status_reports_progress_and_counts(client, workspace, api_headers):
    connect(workspace.id)
    job_id = client.post(
        CREATE, json=request_body(120), headers=api_headers
    ).get_json()["job_id"]
    # Immediate mode ran page one inside the request; the rest waits its delay.
    body = client.get(
        CREATE, query_string={"job_id": job_id}, headers=api_headers
    ).get_json()
    assert body["success"] is True
    job = body["job"]
    # The seed's statuses: a running job is "processing", never "running".
    assert job["id"] == job_id and job["status"] == "processing"
    assert job["progress"] == {"current": 50, "total": 120, "percentage": 41}
    assert job["results_count"] == 50
    assert job["started_at"].endswith("Z") and job["completed_at"] is None
    assert job["error_message"] is None
    drive(job_id)
    job = client.get(
        CREATE, query_string={"job_id": job_id}, headers=api_headers
    ).get_json()["job"]
    assert job["status"] == "completed" and job["progress"]["percentage"] == 100


def test_status_shows_the_failure_message(client, workspace, api_headers):
    connect(workspace.id)
    faults.set_overrides({"unipile_disconnected": True})
    job_id = client.post(
        CREATE, json=request_body(120), headers=api_headers
    ).get_json()["job_id"]
    job = client.get(
        CREATE, query_string={"job_id": job_id}, headers=api_headers
    ).get_json()["job"]
    assert job["status"] == "failed"
    assert job["error_message"].startswith("Unipile API error: 401")


def test_results_pages_the_prospects(client, workspace, api_headers):
    connect(workspace.id)
    job_id = client.post(
        CREATE, json=request_body(120), headers=api_headers
    ).get_json()["job_id"]
    drive(job_id)
    body = client.get(
        RESULTS,
        query_string={"job_id": job_id, "page": 3, "per_page": 50},
        headers=api_headers,
    ).get_json()
    assert body["success"] is True and body["job_id"] == job_id
    assert body["job_status"] == "completed"
    assert body["pagination"] == {
        "page": 3,
        "per_page": 50,
        "total": 120,
        "total_pages": 3,
        "has_more": False,
    }
    assert len(body["prospects"]) == 20
    assert set(body["prospects"][0]) == {
        "id",
        "name",
        "title",
        "company",
        "linkedinUrl",
        "location",
        "connectionDegree",
    }
    first = client.get(
        RESULTS, query_string={"job_id": job_id}, headers=api_headers
    ).get_json()
    assert first["pagination"]["has_more"] is True and len(first["prospects"]) == 50


@pytest.mark.parametrize(
    "query,status",
    [({}, 422), ({"page": 0}, 422), ({"per_page": 1000}, 422), ({"page": "x"}, 422)],
)
def test_results_rejects_bad_paging(client, workspace, api_headers, query, status):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body())
    if query:
        query = {"job_id": job.id, **query}
    response = client.get(RESULTS, query_string=query, headers=api_headers)
    factories.api_error(response, status)


@pytest.mark.parametrize("path", [CREATE, RESULTS])
def test_another_workspaces_job_is_not_found(
    client, other_workspace, workspace, api_headers, path
):
    connect(other_workspace.id)
    theirs = prospects.create_job(other_workspace.id, None, request_body())
    response = client.get(path, query_string={"job_id": theirs.id}, headers=api_headers)
    error = factories.api_error(response, 404)
    assert (error["code"], error["message"]) == ("not_found", "Job not found")
    mine = client.get(path, query_string={"job_id": "not-a-uuid"}, headers=api_headers)
    assert mine.status_code == 404


def test_another_kind_of_job_is_not_found(client, workspace, api_headers):
    job = factories.make_job(workspace.id, kind="enrichment")
    response = client.get(CREATE, query_string={"job_id": job.id}, headers=api_headers)
    assert response.status_code == 404
    db.session.rollback()


@pytest.mark.parametrize(
    "raw",
    [
        '{"search_criteria": {"keywords": "x", "company_headcount": [{}]}, '
        '"target_count": 1}',
        '{"search_criteria": {"keywords": "x"}, "target_count": 1e400}',
    ],
)
def test_create_job_rejects_unhashable_headcounts_and_infinite_targets(
    client, workspace, api_headers, raw
):
    """Found by the API fuzzer: both were 500s."""
    connect(workspace.id)
    response = client.post(
        CREATE, data=raw, content_type="application/json", headers=api_headers
    )
    factories.api_error(response, 422)


def test_a_paused_or_cancelled_job_reports_a_seed_status(
    client, workspace, api_headers
):
    connect(workspace.id)
    job_id = client.post(
        CREATE, json=request_body(120), headers=api_headers
    ).get_json()["job_id"]
    job = prospects.get_job(workspace.id, job_id)
    seen = {}
    for status in ("paused", "cancelled"):
        job.status = status
        db.session.commit()
        seen[status] = client.get(
            CREATE, query_string={"job_id": job_id}, headers=api_headers
        ).get_json()["job"]
    assert seen["paused"]["status"] == "processing"
    assert seen["cancelled"]["status"] == "failed"
    assert seen["cancelled"]["error_message"]
    results = client.get(
        RESULTS, query_string={"job_id": job_id}, headers=api_headers
    ).get_json()
    assert results["job_status"] == "failed"


def test_the_seeds_example_with_size_letters_and_no_source_is_accepted(
    client, workspace, api_headers
):
    connect(workspace.id, account_id="salesnav-1")
    body = {
        "search_criteria": {
            "category": "people",
            "keywords": "founder",
            "company_headcount": ["B", "C"],
        },
        "search_type": "linkedin",
        "target_count": 2,
    }
    response = client.post(CREATE, json=body, headers=api_headers)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["metadata"]["api"] == "sales_navigator"
    assert created["metadata"]["max_results"] == 2500
    job = prospects.get_job(workspace.id, created["job_id"])
    assert job.params["provider_params"]["company_headcount"] == [
        {"min": 1, "max": 10},
        {"min": 11, "max": 50},
    ]
