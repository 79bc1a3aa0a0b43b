"""JSON API of enrichment jobs (providers.md §7.2) and /health (§7.5)."""

import io

from prospecting.extensions import huey
from prospecting.extensions import init_huey
from tests import factories


def post_csv(client, headers, content: bytes, name="list.csv"):
    return client.post(
        "/jobs/upload", headers=headers, data={"file": (io.BytesIO(content), name)}
    )


def test_upload_returns_202_with_job_id_status_and_filename(client, api_headers):
    response = post_csv(client, api_headers, factories.contacts_csv(3))
    assert response.status_code == 202
    body = response.json
    assert set(body) == {"job_id", "status", "filename"}
    assert body["filename"] == "list.csv"


def test_status_reports_counts_and_timestamps(client, api_headers):
    job_id = post_csv(client, api_headers, factories.contacts_csv(4)).json["job_id"]
    body = client.get(f"/jobs/{job_id}/status", headers=api_headers).json
    assert set(body) == {
        "job_id",
        "filename",
        "status",
        "total_count",
        "success_count",
        "failed_count",
        "pending_count",
        "started_at",
        "completed_at",
    }
    assert body["status"] == "completed"
    assert (body["total_count"], body["success_count"], body["pending_count"]) == (
        4,
        4,
        0,
    )
    assert body["completed_at"].endswith("Z")


def test_results_are_paginated_with_the_documented_fields(client, api_headers):
    job_id = post_csv(client, api_headers, factories.contacts_csv(7)).json["job_id"]
    body = client.get(
        f"/jobs/{job_id}/results?page=2&per_page=3", headers=api_headers
    ).json
    assert body["pagination"] == {
        "page": 2,
        "per_page": 3,
        "total": 7,
        "total_pages": 3,
        "has_more": True,
    }
    assert [r["row_number"] for r in body["results"]] == [4, 5, 6]
    assert set(body["results"][0]) == {
        "row_number",
        "name",
        "email",
        "company",
        "phone",
        "status",
        "email_valid",
        "email_verdict",
        "email_flags",
        "company_domain",
        "company_size",
        "location",
        "error_message",
        "processed_at",
    }


def test_results_filter_by_status(client, api_headers):
    content = factories.csv_bytes(
        [["name", "email"], ["a", "a@b.com"], ["b", ""], ["c", ""]]
    )
    job_id = post_csv(client, api_headers, content).json["job_id"]
    body = client.get(f"/jobs/{job_id}/results?status=failed", headers=api_headers).json
    assert body["pagination"]["total"] == 2
    assert {r["status"] for r in body["results"]} == {"failed"}


def test_bad_paging_and_status_are_422_with_error_envelope(client, api_headers):
    job_id = post_csv(client, api_headers, factories.contacts_csv(1)).json["job_id"]
    for query in ("page=0", "per_page=1000", "page=abc", "status=weird"):
        response = client.get(f"/jobs/{job_id}/results?{query}", headers=api_headers)
        assert response.status_code == 422, query
        assert set(response.json["error"]) == {"code", "message", "details"}


def test_unreadable_upload_is_refused_with_code_message_and_row(client, api_headers):
    response = post_csv(client, api_headers, b'name,email\r\na,b@c.com\r\n"x,\r\n')
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "unterminated_quote"
    assert "never closed" in error["message"]
    assert error["details"]["row"] == 2


def test_upload_without_a_file_field_is_422(client, api_headers):
    response = client.post("/jobs/upload", headers=api_headers, data={})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "no_file"


def test_upload_without_an_email_column_is_422(client, api_headers):
    response = post_csv(client, api_headers, factories.csv_bytes([["name"], ["Ann"]]))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "no_email_column"


def test_upload_too_large_is_413_json(client, api_headers, app):
    app.config["MAX_CONTENT_LENGTH"] = 512
    response = post_csv(client, api_headers, factories.contacts_csv(100))
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"


def test_another_workspace_job_is_404_in_the_api(client, api_headers, other_workspace):
    job = factories.make_job(other_workspace.id)
    for path in (f"/jobs/{job.id}/status", f"/jobs/{job.id}/results"):
        response = client.get(path, headers=api_headers)
        assert response.status_code == 404
        assert response.is_json


def test_health_needs_no_token_and_reports_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "queue": "ok"}


def test_health_is_503_naming_the_queue_when_redis_is_down(client, app):
    app.config.update(
        HUEY_STORAGE="redis", REDIS_URL="redis://127.0.0.1:1/0", HUEY_IMMEDIATE=False
    )
    init_huey(app)
    try:
        response = client.get("/health")
    finally:
        app.config.update(HUEY_STORAGE="memory", HUEY_IMMEDIATE=True)
        init_huey(app)
    assert response.status_code == 503
    assert response.json["queue"] == "unavailable"
    assert response.json["database"] == "ok"
    assert huey.immediate


def test_odd_page_numbers_are_422_not_500(client, api_headers):
    """A page of "²" passes isdigit() but not int(); 30 digits overflow OFFSET."""
    job_id = post_csv(client, api_headers, factories.contacts_csv(1)).json["job_id"]
    for query in ("page=²", "per_page=²", "page=" + "9" * 30, "page=" + "9" * 5000):
        response = client.get(f"/jobs/{job_id}/results?{query}", headers=api_headers)
        assert response.status_code == 422, query
        assert response.json["error"]["code"] == "bad_page"
