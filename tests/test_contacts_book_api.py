"""The contact book's JSON API: contacts, companies and "Add to contacts"."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.services import accounts
from prospecting.services import contacts
from prospecting.services.contacts import ContactInput
from tests import factories
from tests.factories import start_enrichment
from tests.test_contacts_gate import mixed_file


@pytest.fixture
def book(workspace):
    globex = contacts.company_for(workspace.id, name="Globex Inc.")
    initech = contacts.company_for(workspace.id, name="Initech")
    contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(
                name="Ada",
                email="ada@globex.com",
                email_verdict="valid",
                company_id=globex.id,
                title="CTO",
                source="enrichment",
                source_ref="job-a",
            ),
            ContactInput(name="Bob", phone="+1 415 555 0150", company_id=initech.id),
            ContactInput(name="Cy", linkedin_url="https://linkedin.com/in/cy"),
        ],
    )
    return {"globex": globex, "initech": initech}


def test_the_list_filters_sorts_and_pages_in_the_shared_shape(
    client, api_headers, book
):
    body = client.get("/api/v1/contacts?per_page=2", headers=api_headers).get_json()
    assert body["pagination"] == {
        "page": 1,
        "per_page": 2,
        "total": 3,
        "total_pages": 2,
        "has_more": True,
    }
    assert [c["name"] for c in body["results"]] == ["Ada", "Bob"]
    valid = client.get("/api/v1/contacts?verdict=valid", headers=api_headers)
    (ada,) = valid.get_json()["results"]
    assert ada["emails"] == [
        {
            "email": "ada@globex.com",
            "verdict": "valid",
            "flags": [],
            "verified_at": ada["emails"][0]["verified_at"],
            "primary": True,
            "source": "enrichment",
        }
    ]
    assert ada["companies"][0]["role"] == "CTO"
    assert ada["sources"][0]["ref"] == "job-a"
    by_company = client.get(
        f"/api/v1/contacts?company_id={book['initech'].id}", headers=api_headers
    ).get_json()["results"]
    assert [c["name"] for c in by_company] == ["Bob"]
    newest = client.get("/api/v1/contacts?sort=-name&q=o", headers=api_headers)
    assert [c["name"] for c in newest.get_json()["results"]] == ["Bob", "Ada"]
    by_source = client.get("/api/v1/contacts?source=enrichment", headers=api_headers)
    assert by_source.get_json()["pagination"]["total"] == 1


@pytest.mark.parametrize(
    "query,field",
    [
        ("verdict=great", "verdict"),
        ("sort=age", "sort"),
        ("page=0", "page"),
        ("per_page=501", "per_page"),
        ("company_id=x", "company_id"),
    ],
)
def test_bad_list_input_is_422_naming_the_field(client, api_headers, query, field):
    response = client.get(f"/api/v1/contacts?{query}", headers=api_headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["message"]


def test_add_read_edit_delete_a_contact(client, api_headers, book):
    added = client.post(
        "/api/v1/contacts",
        json={"name": "Dee", "phone": "+1 415 555 0160", "company_id": None},
        headers=api_headers,
    )
    assert added.status_code == 201 and added.get_json()["outcome"] == "created"
    contact_id = added.get_json()["id"]
    again = client.post(
        "/api/v1/contacts",
        json={"phone": "+14155550160", "email": "dee@initech.com"},
        headers=api_headers,
    )
    assert (again.status_code, again.get_json()["id"]) == (200, contact_id)
    assert again.get_json()["email"] == "dee@initech.com"
    patched = client.patch(
        f"/api/v1/contacts/{contact_id}",
        json={"title": "COO", "company_id": book["globex"].id},
        headers=api_headers,
    )
    assert patched.status_code == 200
    body = client.get(f"/api/v1/contacts/{contact_id}", headers=api_headers).get_json()
    assert (body["name"], body["title"], body["phone"]) == (
        "Dee",
        "COO",
        "+14155550160",
    )
    assert book["globex"].id in [c["id"] for c in body["companies"]]
    company = client.get(
        f"/api/v1/companies/{book['globex'].id}", headers=api_headers
    ).get_json()
    assert {c["name"] for c in company["contacts"]} == {"Ada", "Dee"}
    gone = client.delete(f"/api/v1/contacts/{contact_id}", headers=api_headers)
    assert gone.status_code == 204
    missing = client.get(f"/api/v1/contacts/{contact_id}", headers=api_headers)
    assert missing.status_code == 404 and "error" in missing.get_json()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"email": "t1@mailinator.com"}, "disposable"),
        ({"email": "nope"}, "email"),
        ({"phone": 5}, "phone"),
        ({"linkedin_url": "https://example.com/x"}, "linkedin_url"),
        ({"email": "a@b.com", "company_id": "1"}, "company_id"),
        ({"email": "a@b.com", "keep_undeliverable": "yes"}, "keep_undeliverable"),
    ],
)
def test_a_bad_new_contact_is_422_naming_the_field(client, api_headers, body, field):
    response = client.post("/api/v1/contacts", json=body, headers=api_headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["message"]


def test_a_patch_of_an_unknown_field_or_bad_json_is_refused(client, api_headers, book):
    (ada,) = client.get("/api/v1/contacts?q=ada", headers=api_headers).get_json()[
        "results"
    ]
    unknown = client.patch(
        f"/api/v1/contacts/{ada['id']}", json={"emails": []}, headers=api_headers
    )
    assert (
        unknown.status_code == 422
        and "emails" in unknown.get_json()["error"]["message"]
    )
    broken = client.patch(
        f"/api/v1/contacts/{ada['id']}",
        data="{",
        headers={**api_headers, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400


def test_companies_are_paged_with_their_contact_counts(client, api_headers, book):
    body = client.get("/api/v1/companies", headers=api_headers).get_json()
    assert [(c["name"], c["contact_count"]) for c in body["results"]] == [
        ("Globex Inc.", 1),
        ("Initech", 1),
    ]
    assert body["pagination"]["total"] == 2


def test_a_viewer_token_reads_but_cannot_write(client, workspace, book):
    _, raw = accounts.create_token(workspace.id, "viewer", role="viewer")
    headers = {"X-API-Key": raw}
    assert client.get("/api/v1/contacts", headers=headers).status_code == 200
    refused = client.post("/api/v1/contacts", json={"name": "x"}, headers=headers)
    assert refused.status_code == 403


def test_import_runs_a_job_whose_status_counts_each_rule(
    auth_client, client, api_headers
):
    job = start_enrichment(auth_client, mixed_file(60))
    response = client.post(
        "/api/v1/contacts/import",
        json={"source": "enrichment", "job_id": job.id, "include_risky": False},
        headers=api_headers,
    )
    assert response.status_code == 202
    started = response.get_json()
    status = client.get(
        f"/api/v1/contacts/import/{started['job_id']}", headers=api_headers
    ).get_json()
    assert status["status"] == "completed"
    assert status["entered"] + status["merged"] + status["kept_out"] == 60
    assert status["kept_out_by_rule"]["disposable_email"] == 10
    assert status["kept_out_by_rule"]["no_channel"] == 10


@pytest.mark.parametrize(
    "body,field",
    [
        ({"source": "crm", "job_id": "x"}, "source"),
        ({"source": "enrichment"}, "job_id"),
        ({"source": "enrichment", "job_id": "x", "include_risky": 1}, "include_risky"),
        ({"source": "enrichment", "job_id": "x", "row_ids": ["1"]}, "row_ids"),
        ({"source": "enrichment", "job_id": "x", "row_ids": []}, "row_ids"),
        ({"source": "enrichment", "job_id": "x", "list_id": "7"}, "list_id"),
    ],
)
def test_a_bad_import_request_is_4xx_naming_the_field(client, api_headers, body, field):
    response = client.post("/api/v1/contacts/import", json=body, headers=api_headers)
    assert 400 <= response.status_code < 500
    assert field in response.get_json()["error"]["message"]


def test_import_takes_only_the_rows_named_and_puts_them_on_the_list(
    auth_client, client, api_headers, workspace
):
    from prospecting.models import Contact
    from prospecting.models import EnrichmentRow
    from prospecting.services import lists

    leads = factories.make_list(workspace.id)
    job = start_enrichment(auth_client, factories.contacts_csv(5))
    response = client.post(
        "/api/v1/contacts/import",
        json={
            "source": "enrichment",
            "job_id": job.id,
            "row_ids": [2, 5],
            "list_id": leads.id,
        },
        headers=api_headers,
    )
    assert response.status_code == 202
    wanted = sorted(
        db.session.scalars(
            select(EnrichmentRow.email_normalized).where(
                EnrichmentRow.job_id == job.id, EnrichmentRow.row_number.in_([2, 5])
            )
        )
    )
    assert sorted(c.email for c in db.session.scalars(select(Contact))) == wanted
    members = db.session.scalars(lists.member_ids_query(leads)).all()
    assert sorted(db.session.get(Contact, i).email for i in members) == wanted
