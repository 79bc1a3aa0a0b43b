"""The sandbox Unipile search over real HTTP: auth, cursors, caps, errors, toggles."""

import base64
import json

import pytest
import requests

from prospecting.sandbox import faults
from prospecting.sandbox.unipile import encode_cursor

KEY = {"X-API-KEY": "sandbox-key"}
PEOPLE = {"api": "classic", "category": "people", "keywords": "developer"}


def search(sandbox_url, body, *, account="acc-1", limit=50, headers=KEY):
    return requests.post(
        f"{sandbox_url}/unipile/api/v1/linkedin/search",
        params={"account_id": account, "limit": limit},
        json=body,
        headers=headers,
        timeout=5,
    )


def test_search_requires_the_api_key_and_account_id(sandbox_url):
    assert search(sandbox_url, PEOPLE, headers={}).json()["type"] == (
        "errors/missing_credentials"
    )
    missing = search(sandbox_url, PEOPLE, account="")
    assert missing.status_code == 400
    assert missing.json()["type"] == "errors/invalid_parameters"


def test_search_is_deterministic_and_cursor_is_base64_json(sandbox_url):
    first = search(sandbox_url, PEOPLE).json()
    again = search(sandbox_url, PEOPLE).json()
    assert first["items"] == again["items"] and len(first["items"]) == 50
    assert first["paging"]["start"] == 0 and first["paging"]["page_count"] == 50
    cursor = json.loads(base64.b64decode(first["cursor"]))
    assert cursor == {"account_id": "acc-1", "limit": 50, "start": 50, "params": PEOPLE}
    second = search(sandbox_url, {"cursor": first["cursor"]}).json()
    assert second["paging"]["start"] == 50
    assert {i["id"] for i in second["items"]}.isdisjoint(
        i["id"] for i in first["items"]
    )


@pytest.mark.parametrize("api,cap", [("classic", 1000), ("sales_navigator", 2500)])
def test_search_stops_at_the_per_api_result_cap(sandbox_url, api, cap):
    params = {**PEOPLE, "api": api}
    cursor = encode_cursor("acc-1", 50, cap - 50, params)
    last = search(sandbox_url, {"cursor": cursor}).json()
    assert len(last["items"]) == 50
    assert last["cursor"] is None
    assert last["paging"]["total_count"] > cap


def test_search_refuses_a_page_size_above_the_api_cap(sandbox_url):
    response = search(sandbox_url, PEOPLE, limit=51)
    assert response.status_code == 400
    assert response.json()["type"] == "errors/invalid_parameters"
    ok = search(sandbox_url, {**PEOPLE, "api": "recruiter"}, limit=100)
    assert ok.status_code == 200 and len(ok.json()["items"]) == 100


def test_search_refuses_a_cursor_of_another_account(sandbox_url):
    cursor = encode_cursor("someone-else", 50, 50, PEOPLE)
    assert search(sandbox_url, {"cursor": cursor}).status_code == 400


def test_toggles_answer_429_and_401_disconnected(sandbox_url):
    faults.set_overrides({"unipile_rate_limited": True})
    assert search(sandbox_url, PEOPLE).status_code == 429
    faults.set_overrides({"unipile_disconnected": True})
    refused = search(sandbox_url, PEOPLE)
    assert refused.status_code == 401
    assert refused.json()["type"] == "errors/disconnected_account"
    header = {**KEY, "X-Sandbox": json.dumps({"unipile_disconnected": False})}
    assert search(sandbox_url, PEOPLE, headers=header).status_code == 200


def test_total_count_override_ends_the_cursor(sandbox_url):
    faults.set_overrides({"unipile_total_count": 30})
    body = search(sandbox_url, PEOPLE).json()
    assert len(body["items"]) == 30 and body["cursor"] is None
    assert body["paging"]["total_count"] == 30


def test_parameters_finds_locations_by_keywords(sandbox_url):
    response = requests.get(
        f"{sandbox_url}/unipile/api/v1/linkedin/search/parameters",
        params={"account_id": "acc-1", "type": "LOCATION", "keywords": "france"},
        headers=KEY,
        timeout=5,
    )
    body = response.json()
    assert body["object"] == "LinkedinSearchParametersList"
    titles = [i["title"] for i in body["items"]]
    assert "Bretagne, France" in titles and all("France" in t for t in titles)
