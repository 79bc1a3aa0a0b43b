"""Contact book, company and Airtable pages."""

import uuid

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import AirtableSettings
from prospecting.models import Contact
from prospecting.services import contacts
from prospecting.services.contacts import ContactInput
from tests import factories

CIN = "U74999TG2017PTC118280"
PAGES = [
    "/contacts/",
    "/contacts/companies",
    "/contacts/airtable",
    "/contacts/sync/pending",
    "/contacts/sync/failed",
    "/contacts/sync/stats",
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render(auth_client, url):
    assert auth_client.get(url).status_code == 200


def test_contact_book_active_search_returns_the_table_fragment(
    auth_client, workspace, htmx
):
    contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(name="Ada Lovelace", email="ada@x.io"),
            ContactInput(name="Bob", email="bob@x.io"),
        ],
    )
    page = auth_client.get("/contacts/?q=ada")
    assert b"<html" in page.data and b"Ada Lovelace" in page.data
    fragment = auth_client.get("/contacts/?q=ada", headers=htmx)
    assert fragment.status_code == 200
    assert b"<html" not in fragment.data
    assert b'id="contacts-table"' in fragment.data
    assert b"Ada Lovelace" in fragment.data and b"Bob" not in fragment.data
    assert "HX-Request" in fragment.headers["Vary"]


def test_contact_book_filters_by_company_and_sync_state(auth_client, workspace, htmx):
    company = contacts.save_company(workspace.id, name="Globex")
    contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(name="In Globex", email="g@x.io", company_id=company.id),
            ContactInput(name="Elsewhere", email="e@x.io"),
        ],
    )
    body = auth_client.get(f"/contacts/?company={company.id}", headers=htmx).data
    assert b"In Globex" in body and b"Elsewhere" not in body
    body = auth_client.get("/contacts/?sync=synced", headers=htmx).data
    assert b"No contacts found" in body


def test_contact_detail_and_edit(auth_client, workspace):
    report = contacts.upsert_contacts(
        workspace.id,
        [ContactInput(email="e1@x.io"), ContactInput(email="e2@x.io", name="Two")],
    )
    cid = report.items[0].contact_id
    assert b"e1@x.io" in auth_client.get(f"/contacts/{cid}").data
    assert auth_client.get(f"/contacts/{cid}/edit").status_code == 200
    saved = auth_client.post(
        f"/contacts/{cid}/edit",
        data={"name": "One", "email": "e1@x.io", "phone": "+1 415 555 0199"},
    )
    assert saved.status_code == 302
    contact = db.session.get(Contact, cid)
    assert (contact.name, contact.phone) == ("One", "+14155550199")
    clash = auth_client.post(
        f"/contacts/{cid}/edit", data={"name": "One", "email": "E2@x.io", "phone": ""}
    )
    assert clash.status_code == 422
    assert b"already has this email" in clash.data


def test_other_workspaces_records_are_404(auth_client, other_workspace):
    report = contacts.upsert_contacts(
        other_workspace.id, [ContactInput(email="x@x.io")]
    )
    company = contacts.save_company(
        other_workspace.id, name="Theirs", registration_number=CIN
    )
    cid = report.items[0].contact_id
    for url in (
        f"/contacts/{cid}",
        f"/contacts/{cid}/edit",
        f"/contacts/companies/{company.id}",
    ):
        assert auth_client.get(url).status_code == 404
    assert (
        auth_client.post(f"/contacts/companies/{company.id}/fetch").status_code == 404
    )
    assert (
        auth_client.post(f"/contacts/{cid}/edit", data={"email": "y@x.io"}).status_code
        == 404
    )


def test_company_create_validates_the_registration_number(auth_client):
    bad = auth_client.post(
        "/contacts/companies", data={"name": "Acme", "registration_number": "ACME-1"}
    )
    assert bad.status_code == 422 and b"valid CIN" in bad.data
    good = auth_client.post(
        "/contacts/companies", data={"name": "Acme", "registration_number": CIN.lower()}
    )
    assert good.status_code == 302
    page = auth_client.get(good.headers["Location"])
    assert CIN.encode() in page.data and b"Fetch contacts" in page.data


def test_a_refused_company_domain_shows_under_its_field_and_keeps_the_name(
    auth_client,
):
    bad = auth_client.post(
        "/contacts/companies", data={"name": "Acme Ltd", "domain": "not a domain"}
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    field = page[page.index('name="domain"') :]
    assert field.index("Enter a domain") < field.index("</label>")
    assert 'value="Acme Ltd"' in page


def test_fetch_contacts_button_runs_the_job_and_lists_outcomes(auth_client, workspace):
    company = contacts.save_company(workspace.id, name="Acme", registration_number=CIN)
    started = auth_client.post(
        f"/contacts/companies/{company.id}/fetch", data={"max_contacts": "5"}
    )
    assert started.status_code == 302
    page = auth_client.get(started.headers["Location"])
    assert page.status_code == 200
    assert b'id="fetch-outcomes"' in page.data and b"created" in page.data
    company_page = auth_client.get(f"/contacts/companies/{company.id}")
    assert (
        b'id="company-contacts"' in company_page.data
        and b"attestr" in company_page.data
    )


def test_fetch_without_registration_number_is_422(auth_client, workspace):
    company = contacts.save_company(workspace.id, name="No CIN")
    response = auth_client.post(f"/contacts/companies/{company.id}/fetch")
    assert response.status_code == 422 and b"CIN or LLPIN" in response.data


def _settings_form(base_id, **overrides):
    data = {
        "token": "patViews",
        "base_id": base_id,
        "contacts_table": "Contacts",
        "companies_table": "Companies",
        "merge_field": "email",
        "company_merge_field": "name",
        "sync_interval_minutes": "0",
    }
    data.update({f"contact_field_{k}": v for k, v in contacts.CONTACT_FIELDS.items()})
    data.update({f"company_field_{k}": v for k, v in contacts.COMPANY_FIELDS.items()})
    data.update(overrides)
    return data


def test_airtable_settings_save_and_never_show_the_token(auth_client):
    bad = auth_client.post("/contacts/airtable", data=_settings_form("nope"))
    assert bad.status_code == 422 and b"base id" in bad.data
    base = factories.airtable_base()
    assert (
        auth_client.post("/contacts/airtable", data=_settings_form(base)).status_code
        == 302
    )
    page = auth_client.get("/contacts/airtable")
    assert base.encode() in page.data and b"patViews" not in page.data
    assert db.session.scalar(select(AirtableSettings)).token_encrypted


def test_a_refused_airtable_setting_shows_under_its_field_and_keeps_what_was_typed(
    auth_client,
):
    bad = auth_client.post(
        "/contacts/airtable",
        data=_settings_form(
            "nope", contacts_table="People", contact_field_email="Mail"
        ),
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    base_field = page[page.index('name="base_id"') :]
    assert base_field.index("base id") < base_field.index("</label>")
    assert 'name="contacts_table" type="text" value="People"' in page
    assert 'name="contact_field_email" type="text" value="Mail"' in page
    assert "patViews" not in page


def test_a_sync_interval_that_is_not_a_number_is_a_422_under_its_field(auth_client):
    bad = auth_client.post(
        "/contacts/airtable",
        data=_settings_form(factories.airtable_base(), sync_interval_minutes="soon"),
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    field = page[page.index('name="sync_interval_minutes"') :]
    assert field.index('class="errors"') < field.index("</label>")
    assert db.session.scalar(select(AirtableSettings)) is None


def test_sync_button_runs_the_sync_and_failed_page_offers_retry(auth_client, workspace):
    base = factories.airtable_base()
    auth_client.post("/contacts/airtable", data=_settings_form(base))
    report = contacts.upsert_contacts(
        workspace.id, [ContactInput(email="s@x.io"), ContactInput(email="t@x.io")]
    )
    # One lost its address (and has no phone): nothing to merge it on.
    db.session.get(Contact, report.items[1].contact_id).email = None
    db.session.commit()
    pending = auth_client.get("/contacts/sync/pending")
    assert b"2 contacts" in pending.data
    started = auth_client.post("/contacts/airtable/sync")
    assert started.status_code == 302
    job_page = auth_client.get(started.headers["Location"])
    assert b"completed" in job_page.data
    failed = auth_client.get("/contacts/sync/failed")
    assert b"No value to merge on" in failed.data
    assert b'id="retry-button"' in failed.data
    stats = auth_client.get("/contacts/sync/stats")
    assert b"No company" in stats.data


def test_sync_without_settings_redirects_to_settings(auth_client):
    response = auth_client.post("/contacts/airtable/sync")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/contacts/airtable")


def test_enrichment_results_can_be_added_to_contacts(auth_client, app, workspace):
    import io

    data = {"file": (io.BytesIO(factories.contacts_csv(6)), "people.csv")}
    upload = auth_client.post("/enrichment/uploads", data=data)
    upload_id = upload.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    started = auth_client.post(
        f"/enrichment/uploads/{upload_id}/start",
        data={
            "map_email": "Email",
            "map_name": "Name",
            "map_company": "Company",
            "map_phone": "Phone",
        },
    )
    job_id = started.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    response = auth_client.post(f"/contacts/import/enrichment/{job_id}")
    assert response.status_code == 302
    stored = db.session.scalars(select(Contact)).all()
    assert stored and all(c.source == "enrichment" for c in stored)
    again = auth_client.post(
        f"/contacts/import/enrichment/{job_id}", follow_redirects=True
    )
    assert b"<strong>0</strong> new contacts" in again.data  # a job, merged all
    assert (
        auth_client.post(f"/contacts/import/enrichment/{uuid.uuid4()}").status_code
        == 404
    )


def test_job_progress_links_to_the_contacts_job_page(auth_client, workspace):
    from prospecting.views.jobs import job_url

    job = factories.make_job(
        workspace.id, kind="contact_fetch", status="completed", params={"company_id": 1}
    )
    with auth_client.application.test_request_context():
        assert job_url(job) == f"/contacts/jobs/{job.id}/fetch"


def test_people_search_results_can_be_added_to_contacts(auth_client, workspace):
    from prospecting.models import PeopleSearch
    from prospecting.models import PersonProfile

    job = factories.make_job(workspace.id, kind="people_search", status="completed")
    db.session.add(
        PeopleSearch(
            id=job.id, workspace_id=workspace.id, query_filter={}, fetch_count=2
        )
    )
    db.session.add_all(
        [
            PersonProfile(
                search_id=job.id,
                provider_record_id=f"r{i}",
                full_name=f"Found {i}",
                job_title="CTO",
                company_name="Initech",
                email=f"found{i}@initech.io",
                raw_data={},
            )
            for i in range(2)
        ]
    )
    db.session.commit()
    response = auth_client.post(f"/contacts/import/people-search/{job.id}")
    assert response.status_code == 302
    stored = db.session.scalars(select(Contact).order_by(Contact.email)).all()
    assert [c.email for c in stored] == ["found0@initech.io", "found1@initech.io"]
    assert all(c.company.name == "Initech" and c.title == "CTO" for c in stored)
