"""Unipile against its published contracts (prospecting/sandbox/contracts/unipile/):
the search bodies our client really sends, one per api, the answers we read, and
the sandbox refusing a body the published schema refuses with Unipile's own 400."""

import pytest
import requests

from prospecting.providers import http
from prospecting.providers import unipile
from prospecting.sandbox import contracts
from prospecting.services import jobs
from prospecting.services import prospects
from tests import factories
from tests.test_prospects_service import connect
from tests.test_prospects_service import request_body

SEARCH = "linkedin-search.request"
VARIANTS = {
    "classic": "Classic - People",
    "sales_navigator": "Sales Navigator - People",
    "recruiter": "Recruiter - People",
}
# The bodies provider_params() built before they followed the published schema:
# a flat location for every api and a Sales Navigator title in advanced_keywords.
OLD_BODIES = {
    "sales_navigator": {
        "api": "sales_navigator",
        "category": "people",
        "keywords": "developer",
        "location": ["102277331"],
        "advanced_keywords": {"title": "CTO"},
        "company_headcount": [{"min": 11, "max": 50}],
    },
    "sales_navigator title only": {
        "api": "sales_navigator",
        "category": "people",
        "advanced_keywords": {"title": "CTO"},
    },
    "recruiter": {
        "api": "recruiter",
        "category": "people",
        "keywords": "developer",
        "location": ["102277331"],
        "role": [
            {"keywords": "CTO", "priority": "MUST_HAVE", "scope": "CURRENT_OR_PAST"}
        ],
    },
}


@pytest.fixture
def sent(monkeypatch):
    """Every Unipile request our client sends, with the JSON answer it read."""
    calls = []
    real = http.request

    def recording(provider, method, url, **kwargs):
        response = real(provider, method, url, **kwargs)
        if provider == unipile.PROVIDER:
            calls.append(
                {
                    "method": method,
                    "url": url,
                    "params": dict(kwargs.get("params") or {}),
                    "json": kwargs.get("json"),
                    "status": response.status_code,
                    "answer": response.json(),
                }
            )
        return response

    monkeypatch.setattr(http, "request", recording)
    return calls


def _searches(calls: list[dict]) -> list[dict]:
    return [c for c in calls if c["url"].endswith("/api/v1/linkedin/search")]


@pytest.mark.parametrize("api", list(VARIANTS))
def test_the_search_body_our_client_sends_is_valid_for_its_api(workspace, sent, api):
    connect(workspace.id)
    body = request_body(
        120, api, title="CTO", location=["102277331"], company_headcount=["B", "C"]
    )
    job = prospects.create_job(workspace.id, None, body)
    for _ in range(2):
        factories.run_batch(jobs.open_batches(job.id)[0][0])
    first, second = _searches(sent)
    assert contracts.problems("unipile", SEARCH, first["json"]) == []
    assert (
        contracts.problems("unipile", SEARCH, first["json"], variant=VARIANTS[api])
        == []
    )
    assert first["json"]["api"] == api and first["params"]["account_id"] == "acc-1"
    # Later pages send the cursor (the published "Cursor" body).
    assert set(second["json"]) == {"cursor"}
    assert contracts.problems("unipile", SEARCH, second["json"]) == []
    for call in (first, second):
        assert (
            contracts.problems("unipile", "linkedin-search.response", call["answer"])
            == []
        )


@pytest.mark.parametrize("name", list(OLD_BODIES))
def test_the_published_contract_refuses_the_old_bodies(name):
    body = OLD_BODIES[name]
    assert contracts.problems("unipile", SEARCH, body)
    refused = contracts.problems("unipile", SEARCH, body, variant=VARIANTS[body["api"]])
    assert refused and all(p.startswith("$") for p in refused)


@pytest.mark.parametrize("name", list(OLD_BODIES))
def test_the_sandbox_answers_unipiles_400_for_a_body_the_contract_refuses(
    sandbox_url, name
):
    response = requests.post(
        f"{sandbox_url}/unipile/api/v1/linkedin/search",
        params={"account_id": "acc-1", "limit": 10},
        headers={"X-API-KEY": "sandbox-key"},
        json=OLD_BODIES[name],
        timeout=10,
    )
    assert response.status_code == 400
    answer = response.json()
    assert answer["type"] == "errors/invalid_parameters"
    assert contracts.problems("unipile", "linkedin-search.400.response", answer) == []


def test_our_client_reports_unipiles_detail_for_a_refused_body(workspace):
    connect(workspace.id)
    account = prospects.get_account(workspace.id)
    with pytest.raises(unipile.ProviderBadResponse) as err:
        unipile.search(
            prospects.credentials(account),
            limit=10,
            params=OLD_BODIES["sales_navigator title only"],
        )
    assert "400 (errors/invalid_parameters)" in err.value.message
    assert "advanced_keywords" in err.value.message


@pytest.mark.parametrize("account_id", ["acc-1", "salesnav-1", "recruiter-1"])
def test_the_account_answer_we_read_matches_the_published_account(
    workspace, sent, account_id
):
    connect(workspace.id, account_id=account_id)
    prospects.check_account(workspace.id)
    (call,) = [c for c in sent if "/api/v1/accounts/" in c["url"]]
    assert call["method"] == "GET" and call["url"].endswith(f"/accounts/{account_id}")
    assert contracts.problems("unipile", "account.response", call["answer"]) == []


@pytest.mark.parametrize(
    "api,service", [("classic", "CLASSIC"), ("sales_navigator", "SALES_NAVIGATOR")]
)
def test_location_ids_come_from_the_parameters_route_of_the_api(
    workspace, sent, api, service
):
    connect(workspace.id)
    found = prospects.search_locations(workspace.id, "berlin", api)
    assert [p.id for p in found] == ["106967730"]
    (call,) = sent
    assert call["params"]["service"] == service and call["params"]["type"] == "LOCATION"
    published = contracts.validator("unipile", "linkedin-search-parameters.response")
    assert (
        call["params"]["type"]
        in published.schema["x-query"]["type"]["anyOf"][0]["enum"]
    )
    assert (
        contracts.problems(
            "unipile", "linkedin-search-parameters.response", call["answer"]
        )
        == []
    )


def test_the_location_type_of_an_api_is_a_setting(app, workspace, sent):
    app.config["UNIPILE_LOCATION_TYPES"] = {"sales_navigator": "REGION"}
    connect(workspace.id)
    found = prospects.search_locations(workspace.id, "berlin", "sales_navigator")
    assert [p.id for p in found] == ["106967730"]
    ((call,),) = [sent]
    assert (call["params"]["type"], call["params"]["service"]) == (
        "REGION",
        "SALES_NAVIGATOR",
    )


def test_an_account_whose_features_cannot_be_read_stays_active_on_classic(
    workspace, monkeypatch
):
    def refused(creds):
        raise unipile.ProviderBadResponse("Unipile API error: 500")

    monkeypatch.setattr(unipile, "premium_features", refused)
    connect(workspace.id, account_id="salesnav-9")
    account = prospects.check_account(workspace.id)
    assert account.status == "active" and account.last_error is None
    assert account.premium_features is None
    body = request_body(10)
    del body["search_source"]
    assert prospects.create_job(workspace.id, None, body).params["api"] == "classic"
