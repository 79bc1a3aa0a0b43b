"""One error envelope for every JSON API family, as the OpenAPI document says;
each family's success body stays the one its clients read."""

import io
import uuid

import jsonschema
import pytest

from prospecting.services import accounts
from tests import factories

# A fixed id no job has: the test ids stay the same in every collection (xdist).
MISSING = str(uuid.UUID(int=0xDEAD))

# Per family: calls that fail, with the status and error code they answer.
CASES = {
    "enrichment": [
        ("POST", "/jobs/upload", {"data": {}}, 422, "no_file"),
        ("GET", f"/jobs/{MISSING}/status", {}, 404, "not_found"),
        ("GET", f"/jobs/{MISSING}/results", {}, 404, "not_found"),
    ],
    "people search": [
        ("GET", f"/api/v1/people-search/{MISSING}/", {}, 404, "not_found"),
        ("POST", "/api/v1/people-search/", {"data": "{bad"}, 400, "invalid_json"),
    ],
    "prospect search": [
        ("GET", "/api/linkedin/search/create-job", {}, 422, "invalid"),
        (
            "GET",
            "/api/linkedin/search/results",
            {"query_string": {"job_id": MISSING}},
            404,
            "not_found",
        ),
        ("POST", "/api/linkedin/search/create-job", {"json": [1]}, 422, "invalid"),
    ],
    "contacts": [
        ("POST", "/contacts/fetch", {"json": {}}, 422, "cin_required"),
        ("POST", "/contacts/fetch", {"data": "{bad"}, 400, "invalid_json"),
    ],
    "ingestion": [
        ("POST", "/samples/ingest", {"data": " "}, 400, "empty_body"),
        ("POST", "/creators/ingest", {"json": {"rows": [{}]}}, 422, "invalid"),
        ("POST", "/outreach_tasks/ingest", {"data": "{bad"}, 400, "invalid_json"),
        ("POST", "/chatbot/messages", {"json": {"a": 1}}, 422, "invalid"),
    ],
}
FLAT = [
    pytest.param(*case, id=f"{family}: {case[0]} {case[1]} {case[3]}")
    for family, cases in CASES.items()
    for case in cases
]


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def _documented(spec: dict, method: str, path: str, status: int) -> dict:
    """The schema the OpenAPI document gives this call's `status` answer."""
    for template, operations in spec["paths"].items():
        parts, wanted = template.strip("/").split("/"), path.strip("/").split("/")
        if len(parts) == len(wanted) and all(
            p == w or p.startswith("{") for p, w in zip(parts, wanted, strict=True)
        ):
            answer = operations[method.lower()]["responses"][str(status)]
            return answer["content"]["application/json"]["schema"]
    raise AssertionError(f"{method} {path} is not documented")


def _validate(spec: dict, body: dict, schema: dict) -> None:
    resolver = {"components": spec["components"], **schema}
    jsonschema.validate(body, resolver)


@pytest.mark.parametrize(("method", "path", "kw", "status", "code"), FLAT)
def test_every_family_answers_errors_in_the_one_documented_envelope(
    client, api_headers, spec, method, path, kw, status, code
):
    kw = dict(kw)
    if "data" in kw and isinstance(kw["data"], str):
        kw["content_type"] = "application/json"
    response = client.open(path, method=method, headers=api_headers, **kw)
    error = factories.api_error(response, status)
    assert error["code"] == code, error
    schema = _documented(spec, method, path, status)
    assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)
    _validate(spec, response.get_json(), schema)


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for cases in CASES.values() for m, p, *_ in cases],
)
def test_a_call_without_a_token_is_401_in_the_envelope(client, spec, method, path):
    response = client.open(path, method=method, json={})
    error = factories.api_error(response, 401)
    assert error["code"] == "unauthorized" and "token" in error["message"]
    _validate(spec, response.get_json(), _documented(spec, method, path, 401))


def test_a_viewer_token_writing_is_403_in_the_envelope(client, workspace, spec):
    _, raw = accounts.create_token(workspace.id, "viewer", role="viewer")
    for path in ("/samples/ingest", "/contacts/fetch", "/jobs/upload"):
        response = client.post(path, json={}, headers={"X-API-Key": raw})
        error = factories.api_error(response, 403)
        assert error["code"] == "forbidden" and "viewer" in error["message"]
        _validate(spec, response.get_json(), _documented(spec, "POST", path, 403))


def test_ingestion_errors_list_each_bad_field_in_details(client, api_headers, spec):
    body = {"rows": [{"platformCreatorId": "ok"}, {"platformCreatorDisplayName": "x"}]}
    response = client.post("/creators/ingest", json=body, headers=api_headers)
    error = factories.api_error(response, 422)
    assert error["details"][0]["row"] == 1
    assert {"row", "field", "message"} <= set(error["details"][0])
    _validate(spec, response.get_json(), {"$ref": "#/components/schemas/Error"})


def test_success_bodies_keep_each_familys_fields(client, api_headers):
    """The crawlers read {code: 0, message, data}; the enrichment API its job."""
    ingested = client.post(
        "/creators/ingest",
        json={"rows": [{"platformCreatorId": "c-1"}]},
        headers=api_headers,
    )
    assert ingested.status_code == 200
    body = ingested.get_json()
    assert (body["code"], body["message"]) == (0, "success")
    assert body["data"]["inserted"] == 1
    upload = client.post(
        "/jobs/upload",
        headers=api_headers,
        data={"file": (io.BytesIO(factories.contacts_csv(2)), "a.csv")},
    )
    assert upload.status_code == 202 and "error" not in upload.get_json()


def test_an_unknown_api_path_answers_in_the_envelope(client, api_headers):
    response = client.get("/api/v1/nowhere", headers=api_headers)
    assert factories.api_error(response, 404)["code"] == "not_found"
