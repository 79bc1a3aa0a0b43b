"""Text the database cannot store (NUL, unpaired surrogates) is refused where the
request is read, with a 422 naming where it is; nothing is written."""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from prospecting import inputs
from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Creator
from prospecting.models import Job
from prospecting.models import OutreachTask
from tests import factories
from tests.test_prospects_service import connect
from tests.test_prospects_service import request_body


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "value,found",
    [
        ({"a": ["ok", {"b": "x\x00y"}]}, ("$.a[1].b", "NUL")),
        ([{"ok": 1}, {"k\x00": 2}], ("$[1] (a key)", "NUL")),
        ({"a": "fine", "b": "\ud800"}, ("$.b", "surrogate")),
        ("\x00", ("$", "NUL")),
        ({"a": ["é", "😀", 1, None, True]}, None),
    ],
)
def test_json_problem_names_the_path_of_the_first_bad_string(value, found):
    result = inputs.json_problem(value)
    if found is None:
        assert result is None
    else:
        assert result[0] == found[0] and found[1] in result[1]


def test_json_problem_walks_deep_bodies_without_recursion():
    deep = "\x00"
    for _ in range(5000):
        deep = [deep]
    path, _ = inputs.json_problem(deep)
    assert path == "$" + "[0]" * 5000


# The JSON API


def test_ingestion_refuses_a_nul_naming_the_path_and_writes_nothing(
    client, api_headers
):
    rows = [{"platformCreatorId": "c-1"}, {"platformCreatorId": "c-2\x00"}]
    response = client.post("/creators/ingest", json={"rows": rows}, headers=api_headers)
    error = factories.api_error(response, 422)
    assert error["code"] == "invalid_text"
    assert error["message"].startswith("$.rows[1].platformCreatorId contains")
    assert "NUL" in error["message"]
    assert count(Creator) == 0


def test_a_task_with_a_nul_in_an_unknown_field_is_refused(client, api_headers):
    task = {"taskId": "T-1", "taskName": "x", "extraNotes": {"n": "a\x00"}}
    response = client.post(
        "/outreach_tasks/ingest", json={"task": task}, headers=api_headers
    )
    assert "$.task.extraNotes.n" in factories.api_error(response, 422)["message"]
    assert count(OutreachTask) == 0


def test_chatbot_messages_refuse_an_unpaired_surrogate(client, api_headers):
    body = '[{"platformCreatorId": "c", "messages": [{"content": "hi \\ud83d"}]}]'
    response = client.post(
        "/chatbot/messages",
        data=body,
        headers={**api_headers, "Content-Type": "application/json"},
    )
    assert "$[0].messages[0].content" in factories.api_error(response, 422)["message"]


def test_people_search_refuses_a_nul_in_a_filter(client, api_headers):
    response = client.post(
        "/api/v1/people-search/", json={"job_title": ["C\x00TO"]}, headers=api_headers
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_text"
    assert response.json["error"]["details"] == {"path": "$.job_title[0]"}
    assert count(Job) == 0


def test_prospect_search_refuses_a_nul_in_its_criteria(client, api_headers, workspace):
    connect(workspace.id)
    body = request_body(10, keywords="dev\x00eloper")
    response = client.post(
        "/api/linkedin/search/create-job", json=body, headers=api_headers
    )
    error = factories.api_error(response, 422)
    assert "$.search_criteria.keywords" in error["message"]
    assert count(Job) == 0


def test_contact_fetch_refuses_a_nul_in_the_cin(client, api_headers):
    response = client.post(
        "/contacts/fetch", json={"cin": "U7499\x009TG"}, headers=api_headers
    )
    error = factories.api_error(response, 422)
    assert error["code"] == "invalid_text" and "$.cin" in error["message"]
    assert error["details"] == {"path": "$.cin"}
    assert count(Company) == 0


# Pages: form fields and query parameters


def test_a_form_field_with_a_nul_is_422_naming_the_field(auth_client):
    response = auth_client.post(
        "/contacts/companies", data={"name": "Acme\x00", "registration_number": ""}
    )
    assert response.status_code == 422
    assert b"The form field &#39;name&#39; contains a NUL character" in response.data
    assert count(Company) == 0


def test_a_query_parameter_with_a_nul_is_422_naming_it(auth_client):
    response = auth_client.get("/contacts/?q=a%00b")
    assert response.status_code == 422
    assert b"The query parameter &#39;q&#39; contains a NUL" in response.data


def test_nul_characters_are_dropped_from_an_uploads_mapped_fields():
    from prospecting.services import enrichment

    record = {"Email": "a\x00b@x.io", "Company": "Acme\x00 Ltd", "Name": "Ann"}
    mapping = {"email": "Email", "company": "Company", "name": "Name"}
    fields = enrichment.mapped_fields(record, mapping)
    assert (fields["email"], fields["company"]) == ("ab@x.io", "Acme Ltd")
