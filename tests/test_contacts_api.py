"""JSON POST /contacts/fetch (providers.md §7.5)."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.sandbox import airtable as sandbox
from prospecting.services import contacts
from tests import factories

CIN = "U74999TG2017PTC118280"


def test_fetch_needs_a_token(client):
    response = client.post("/contacts/fetch", json={"cin": CIN})
    assert response.status_code == 401
    assert response.is_json


def test_fetch_returns_the_documented_shape(client, api_headers):
    response = client.post("/contacts/fetch", json={"cin": CIN}, headers=api_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    assert set(body) >= {
        "company", "contacts_fetched", "contacts_created", "contacts_updated",
        "contacts_skipped", "synced_to_airtable", "sync_failed", "contacts",
    }  # fmt: skip
    assert body["company"]["cin"] == CIN
    assert body["contacts_fetched"] == len(body["contacts"]) >= 1
    assert (
        body["contacts_created"] + body["contacts_skipped"] == body["contacts_fetched"]
    )
    assert (body["synced_to_airtable"], body["sync_failed"]) == (0, 0)
    again = client.post("/contacts/fetch", json={"cin": CIN}, headers=api_headers)
    assert again.get_json()["contacts_created"] == 0


def test_fetch_caps_max_contacts(client, api_headers, app):
    app.config["ATTESTR_MAX_CONTACTS"] = 1
    body = client.post(
        "/contacts/fetch", json={"cin": CIN, "max_contacts": 50}, headers=api_headers
    ).get_json()
    assert body["contacts_fetched"] == 1


@pytest.mark.parametrize(
    "payload,code",
    [
        ({}, "cin_required"),
        ({"cin": "ACME"}, "invalid_registration_number"),
        ({"cin": CIN, "max_contacts": 0}, "bad_max_contacts"),
        ({"cin": CIN, "company_airtable_id": "nope"}, "invalid_company_airtable_id"),
    ],
)
def test_fetch_rejects_bad_input_with_422(client, api_headers, payload, code):
    response = client.post("/contacts/fetch", json=payload, headers=api_headers)
    assert factories.api_error(response, 422)["code"] == code


@pytest.mark.parametrize(
    "key,status,code,message",
    [
        ("", 503, "not_configured", "not configured"),
        ("code-4016", 502, "invalid_credentials", "invalid credentials"),
        ("code-4005", 402, "low_credit_balance", "low credit balance"),
        ("code-4291", 429, "rate_limit_exceeded", "rate limit exceeded"),
    ],
)
def test_fetch_maps_provider_errors(
    client, api_headers, app, key, status, code, message
):
    app.config["ATTESTR_KEY"] = key
    response = client.post("/contacts/fetch", json={"cin": CIN}, headers=api_headers)
    error = factories.api_error(response, status)
    assert error["code"] == code and message in error["message"]
    if status == 429:
        assert response.headers["Retry-After"] == "60"


def test_fetch_reports_data_not_available(client, api_headers):
    response = client.post(
        "/contacts/fetch", json={"cin": "U74999TG2017PTC000000"}, headers=api_headers
    )
    assert response.status_code == 404
    assert "Data not available for this CIN" in response.get_json()["error"]["message"]
    # No empty company named after the CIN is left for the next Airtable sync.
    assert db.session.scalars(select(Company)).all() == []


def test_a_provider_error_leaves_no_company_behind(client, api_headers, app):
    app.config["ATTESTR_KEY"] = "code-4005"
    response = client.post("/contacts/fetch", json={"cin": CIN}, headers=api_headers)
    assert response.status_code == 402
    assert db.session.scalars(select(Company)).all() == []


def test_a_fetched_company_is_created_under_its_business_name(client, api_headers):
    body = client.post(
        "/contacts/fetch", json={"cin": CIN}, headers=api_headers
    ).get_json()
    (company,) = db.session.scalars(select(Company)).all()
    assert company.registration_number == CIN and company.name != CIN
    assert body["company"] == {
        "id": company.id,
        "name": company.name,
        "cin": CIN,
        "airtable_id": None,
    }


def test_fetch_syncs_to_airtable_linked_to_the_given_company(
    client, api_headers, workspace
):
    base = factories.airtable_base()
    contacts.save_settings(
        workspace.id,
        token="patApi",
        base_id=base,
        contacts_table="Contacts",
        companies_table="Companies",
        contact_fields=dict(contacts.CONTACT_FIELDS),
        company_fields=dict(contacts.COMPANY_FIELDS),
    )
    company_record = sandbox.add(base, "Companies", {"Name": "Acme"})["id"]
    body = client.post(
        "/contacts/fetch",
        json={"cin": CIN, "company_airtable_id": company_record},
        headers=api_headers,
    ).get_json()
    with_email = [c for c in body["contacts"] if c["email"] and c["id"]]
    assert body["synced_to_airtable"] == len(with_email)
    assert body["sync_failed"] == len([c for c in body["contacts"] if c["id"]]) - len(
        with_email
    )
    rows = sandbox.records(base, "Contacts")
    assert len(rows) == len(with_email)
    assert all(r["fields"]["Company"] == [company_record] for r in rows)
    company = db.session.scalar(
        select(Company).where(Company.registration_number == CIN)
    )
    assert company.crm_record_id == company_record


def test_fetch_rejects_an_infinite_max_contacts(client, api_headers):
    """A JSON 1e400 (infinity) used to overflow int() into a 500."""
    response = client.post(
        "/contacts/fetch",
        data=f'{{"cin": "{CIN}", "max_contacts": 1e400}}',
        content_type="application/json",
        headers=api_headers,
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "bad_max_contacts"
