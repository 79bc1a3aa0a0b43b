"""Airtable's published contracts (prospecting/sandbox/contracts/airtable): the
requests our client really sends and the answers it reads, captured on the wire,
validate against them; the sandbox refuses a body they refuse."""

import json
from urllib.parse import urlsplit

import pytest
import requests

from prospecting.providers import airtable
from prospecting.sandbox import contracts
from prospecting.services import contacts
from prospecting.services.contacts import ContactInput
from prospecting.services.contacts import airtable_sync
from tests import factories

TOKEN = "patContractToken"


@pytest.fixture
def wire(monkeypatch):
    """Every request sent through `requests` in the test and the JSON it got."""
    seen = []
    send = requests.Session.send

    def recording(self, prepared, **kwargs):
        response = send(self, prepared, **kwargs)
        body = json.loads(prepared.body) if prepared.body else None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        path = urlsplit(prepared.url).path
        seen.append((prepared.method, path, body, response.status_code, answer))
        return response

    monkeypatch.setattr(requests.Session, "send", recording)
    return seen


def contract_of(method: str, path: str) -> tuple[str | None, str]:
    """(request contract, response contract) of an Airtable call by its path."""
    parts = path.split("/airtable/v0/", 1)[1].split("/")
    if parts[0] == "meta":
        return None, "meta.tables.response"
    if len(parts) == 3 and parts[2] == "listRecords":
        return "records.list.request", "records.list.response"
    if len(parts) == 3:
        return ("record.update.request" if method != "GET" else None), "record"
    if method == "GET":
        return None, "records.list.response"
    if method == "POST":
        return "records.create.request", "records.update.response"
    return "records.update.request", "records.update.response"


def assert_on_contract(seen):
    assert seen
    for method, path, body, status, answer in seen:
        request_contract, response_contract = contract_of(method, path)
        if request_contract:
            assert contracts.problems("airtable", request_contract, body) == [], path
        if status == 200 and response_contract != "record":
            assert contracts.problems("airtable", response_contract, answer) == []


def test_the_sync_sends_and_reads_what_airtable_publishes(workspace, wire):
    base = factories.airtable_base()
    contacts.save_settings(
        workspace.id,
        token=TOKEN,
        base_id=base,
        contacts_table="Contacts",
        companies_table="Companies",
        contact_fields=dict(contacts.CONTACT_FIELDS),
        company_fields=dict(contacts.COMPANY_FIELDS),
    )
    company = contacts.save_company(workspace.id, name="Acme", domain="acme.io")
    contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(name="A", email="a@x.io", company_id=company.id),
            ContactInput(name="B", phone="+14155550123", company_id=company.id),
        ],
    )
    counts = airtable_sync.sync_now(workspace.id, [c.id for c in _all(workspace)])
    assert counts.synced == 2
    methods = [(m, p.rsplit("/", 1)[-1]) for m, p, *_ in wire]
    assert methods[0] == ("GET", "tables")  # the schema is read first
    assert ("PATCH", "Contacts") in methods and ("PATCH", "Companies") in methods
    assert_on_contract(wire)


def _all(workspace):
    return contacts.contacts_in_state(workspace.id, "pending")[0]


def test_the_client_reads_lists_and_updates_by_id_on_contract(app, wire):
    base = factories.airtable_base()
    made = airtable.upsert(
        TOKEN,
        base,
        "Contacts",
        [{"fields": {"Email": "x@x.io"}}],
        merge_fields=["Email"],
    )
    rid = made["records"][0]["id"]
    airtable.update(TOKEN, base, "Contacts", [{"id": rid, "fields": {"Name": "X"}}])
    assert airtable.list_records(TOKEN, base, "Contacts")[0]["fields"]["Name"] == "X"
    assert [t["name"] for t in airtable.base_schema(TOKEN, base)] == [
        "Companies",
        "Contacts",
    ]
    assert_on_contract(wire)


@pytest.mark.parametrize(
    "body",
    [
        {"records": [{"fields": {"Email": "a@x.io"}}]},  # an update needs an id
        {
            "records": [{"fields": {"Email": "a@x.io"}}],
            "performUpsert": {"fieldsToMergeOn": []},
        },
        {"records": [{"fields": {"Email": "a@x.io"}, "createdTime": "x"}]},
        {"record": [{"fields": {}}]},
    ],
)
def test_the_sandbox_refuses_what_the_contract_refuses(sandbox_url, body):
    assert contracts.problems("airtable", "records.update.request", body)
    base = factories.airtable_base()
    response = requests.patch(
        f"{sandbox_url}/airtable/v0/{base}/Contacts",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "INVALID_REQUEST_UNKNOWN"


def test_every_airtable_contract_names_airtable_docs():
    names = sorted(p.stem for p in (contracts.FOLDER / "airtable").glob("*.json"))
    assert names == [
        "meta.tables.response",
        "record.update.request",
        "records.create.request",
        "records.list.request",
        "records.list.response",
        "records.update.request",
        "records.update.response",
    ]
    for name in names:
        assert contracts.source("airtable", name).startswith(
            "https://airtable.com/developers/web/api/"
        )
