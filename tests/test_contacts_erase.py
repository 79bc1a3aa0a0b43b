"""Deleting a contact and erasing a person: everywhere, suppressed, pushed to
Airtable, audited."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import AuditEvent
from prospecting.models import Contact
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import PeopleSearch
from prospecting.models import PersonProfile
from prospecting.models import Prospect
from prospecting.models import ProviderCache
from prospecting.models import Suppression
from prospecting.models import WebhookDelivery
from prospecting.models.base import utcnow
from prospecting.sandbox import airtable as sandbox
from prospecting.services import contacts
from prospecting.services import webhooks
from prospecting.services.contacts import ContactInput
from prospecting.services.contacts import erase
from prospecting.services.errors import InvalidInput
from tests import factories
from tests.factories import api_error
from tests.factories import make_contact
from tests.test_contacts_views import _settings_form

PROFILE = "https://www.linkedin.com/in/jane-doe"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _traces(workspace_id):
    """Jane in every place the product keeps a person."""
    job = factories.make_job(workspace_id, kind="enrichment")
    db.session.add_all(
        [
            EnrichmentRow(
                job_id=job.id,
                row_number=1,
                data=["Jane", "Jane@Example.com"],
                email="Jane@Example.com",
                email_normalized="jane@example.com",
                status="done",
            ),
            EnrichmentRow(
                job_id=job.id, row_number=2, data=["Jane", "jane@example.com"]
            ),
            EnrichmentRow(job_id=job.id, row_number=3, data=["Bo", "bo@example.com"]),
        ]
    )
    search_job = factories.make_job(workspace_id, kind="people_search")
    db.session.add(
        PeopleSearch(
            id=search_job.id, workspace_id=workspace_id, query_filter={}, fetch_count=1
        )
    )
    db.session.flush()
    db.session.add_all(
        [
            PersonProfile(
                search_id=search_job.id,
                provider_record_id="r1",
                email="jane@example.com",
                raw_data={},
            ),
            PersonProfile(
                search_id=search_job.id,
                provider_record_id="r2",
                linkedin_url=PROFILE + "/",
                raw_data={},
            ),
            PersonProfile(
                search_id=search_job.id,
                provider_record_id="r3",
                email="bo@example.com",
                raw_data={},
            ),
        ]
    )
    prospects = factories.make_job(workspace_id, kind="prospects")
    db.session.add(
        Prospect(job_id=prospects.id, batch=0, provider_id="p1", linkedin_url=PROFILE)
    )
    db.session.add(
        ProviderCache(
            provider="emails",
            key="jane@example.com",
            found=True,
            value={"verdict": "valid"},
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    factories.make_job(
        workspace_id,
        kind="contact_import",
        params={
            "source": "csv",
            "kept_out_rows": [[1, "Jane", "jane@example.com", "", "", "x", "y"]],
        },
    )
    webhooks.add_endpoint(workspace_id, "http://127.0.0.1:9/", ["contact.updated"])
    db.session.commit()


def jane(workspace_id) -> Contact:
    return make_contact(
        workspace_id,
        name="Jane",
        email="jane@example.com",
        phone="+14155550101",
        linkedin_url=PROFILE,
    )


def test_erase_removes_the_person_everywhere_and_keeps_others(workspace):
    _traces(workspace.id)
    contact = jane(workspace.id)
    contacts.update_contact(
        workspace.id,
        contact.id,
        name="Jane D",
        email="jane@example.com",
        phone="+14155550101",
    )
    done = erase.erase_contact(
        workspace.id, contact.id, confirm=" JANE@example.com ", user_id=None
    )
    assert done["removed"] == {
        "enrichment_rows": 2,
        "person_profiles": 2,
        "prospects": 1,
        "import_rows": 1,
        "webhook_deliveries": 1,
        "cache_entries": 1,
        "enrichment_pages": 0,
        "merge_records": 0,
        "audit_events": 0,
        "upload_rows": 0,
    }
    assert (done["suppressed"], done["airtable"]) == (3, "not_synced")
    assert _count(Contact) == 0
    assert [r.row_number for r in db.session.scalars(select(EnrichmentRow))] == [3]
    assert [
        p.provider_record_id for p in db.session.scalars(select(PersonProfile))
    ] == ["r3"]
    assert _count(Prospect) == 0 and _count(ProviderCache) == 0
    (delivery,) = db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.event == "contact.updated")
    )
    assert "jane@example.com" not in delivery.body
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.subject) == (
        "contact.erased",
        f"contact #{done['contact_id']}",
    )
    assert "jane" not in str(event.details).lower()


def test_suppression_keeps_the_person_out_of_later_imports(workspace):
    contact = jane(workspace.id)
    erase.erase_contact(workspace.id, contact.id, confirm="jane@example.com")
    assert {s.kind for s in db.session.scalars(select(Suppression))} == {
        "email",
        "phone",
        "linkedin",
    }
    assert "jane@example.com" not in str(
        [s.digest for s in db.session.scalars(select(Suppression))]
    )
    report = contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(name="Jane", email="JANE@example.com"),
            ContactInput(name="J", phone="(415) 555-0101", phone_region="US"),
            ContactInput(name="J", linkedin_url=PROFILE + "?trk=x"),
            ContactInput(name="Bo", email="bo@example.com"),
        ],
    )
    assert [i.rule for i in report.items] == [
        "suppressed",
        "suppressed",
        "suppressed",
        None,
    ]
    assert report.rules() == {"suppressed": 3}


def test_suppression_is_per_workspace(workspace, other_workspace):
    contact = jane(workspace.id)
    erase.erase_contact(workspace.id, contact.id, confirm="jane@example.com")
    report = contacts.upsert_contacts(
        other_workspace.id, [ContactInput(email="jane@example.com")]
    )
    assert report.items[0].status == "created"


def test_erase_needs_the_address_typed(workspace):
    contact = jane(workspace.id)
    with pytest.raises(InvalidInput) as exc:
        erase.erase_contact(workspace.id, contact.id, confirm="jane@example.org")
    assert exc.value.code == "confirm"
    assert _count(Contact) == 1 and _count(Suppression) == 0


def test_erase_deletes_the_synced_record_in_airtable(auth_client, workspace):
    base = factories.airtable_base()
    auth_client.post("/contacts/airtable", data=_settings_form(base))
    contact = jane(workspace.id)
    contacts.sync_now(workspace.id, [contact.id])
    assert len(sandbox.records(base, "Contacts")) == 1
    done = erase.erase_contact(workspace.id, contact.id, confirm="jane@example.com")
    assert done["airtable"] == "deleted"
    assert sandbox.records(base, "Contacts") == []


def test_delete_page_confirms_then_deletes_and_audits(auth_client, workspace, user):
    contact = jane(workspace.id)
    page = auth_client.get(f"/contacts/{contact.id}/delete").get_data(as_text=True)
    assert "Delete contact" in page
    response = auth_client.post(f"/contacts/{contact.id}/delete")
    assert response.status_code == 302
    assert _count(Contact) == 0 and _count(Suppression) == 0
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.user_id) == ("contact.deleted", user.id)


def test_erase_page_refuses_a_wrong_address_with_422(auth_client, workspace):
    contact = jane(workspace.id)
    page = auth_client.get(f"/contacts/{contact.id}/erase").get_data(as_text=True)
    assert "Type <strong>jane@example.com</strong>" in page
    response = auth_client.post(
        f"/contacts/{contact.id}/erase", data={"confirm": "nope"}
    )
    assert response.status_code == 422
    assert "type the contact&#39;s email address" in response.get_data(as_text=True)
    assert _count(Contact) == 1


def test_erase_page_erases_and_audits_who(auth_client, workspace, user):
    contact = jane(workspace.id)
    response = auth_client.post(
        f"/contacts/{contact.id}/erase", data={"confirm": "jane@example.com"}
    )
    assert response.status_code == 302
    assert _count(Contact) == 0
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.user_id) == ("contact.erased", user.id)


def test_api_erase_answers_what_was_removed(client, api_headers, workspace):
    contact = jane(workspace.id)
    response = client.post(
        f"/api/v1/contacts/{contact.id}/erase",
        json={"confirm": "jane@example.com"},
        headers=api_headers,
    )
    assert response.status_code == 200
    assert response.get_json()["suppressed"] == 3


def test_api_erase_errors_use_the_envelope(client, api_headers, workspace):
    contact = jane(workspace.id)
    url = f"/api/v1/contacts/{contact.id}/erase"
    assert api_error(client.post(url, json={}, headers=api_headers), 422)
    bad = client.post(url, json={"confirm": 5}, headers=api_headers)
    assert api_error(bad, 422)["code"] == "bad_confirm"
    missing = client.post(
        "/api/v1/contacts/999999/erase", json={"confirm": "x"}, headers=api_headers
    )
    assert api_error(missing, 404)["code"] == "not_found"
    assert _count(Contact) == 1


def test_api_delete_is_audited(client, api_headers, workspace):
    contact = jane(workspace.id)
    assert (
        client.delete(f"/api/v1/contacts/{contact.id}", headers=api_headers).status_code
        == 204
    )
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.user_id) == ("contact.deleted", None)


def test_an_import_keeps_no_trace_of_a_suppressed_person(auth_client, workspace):
    contact = jane(workspace.id)
    erase.erase_contact(workspace.id, contact.id, confirm="jane@example.com")
    content = factories.csv_bytes([["Name", "Email"], ["Jane", "jane@example.com"]])
    response = factories.import_book_file(auth_client, content, "p.csv")
    job = db.session.scalar(select(Job).where(Job.kind == contacts.KIND_IMPORT))
    assert response.status_code == 302
    assert contacts.import_summary(job)["rules"] == {"suppressed": 1}
    (row,) = contacts.kept_out_rows(job)
    assert "jane" not in str(row).lower() and "suppressed" in row


def _holding(text: str) -> list[str]:
    """Every table column (text or JSON) and uploaded file that holds `text`."""
    from pathlib import Path

    from flask import current_app
    from sqlalchemy import JSON
    from sqlalchemy import String
    from sqlalchemy import Text
    from sqlalchemy import cast
    from sqlalchemy import func as f

    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if not isinstance(kind, String | Text | JSON) and not hasattr(kind, "impl"):
                continue
            hits = db.session.scalar(
                select(f.count())
                .select_from(table)
                .where(f.lower(cast(column, String)).contains(text.lower()))
            )
            if hits:
                found.append(f"{table.name}.{column.name}")
    for path in Path(current_app.config["UPLOAD_DIR"]).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".xlsx":
                import zipfile

                with zipfile.ZipFile(path) as z:
                    data = b"".join(z.read(n) for n in z.namelist())
            if text.lower().encode() in data.lower():
                found.append(path.name)
    return found


def test_erase_leaves_the_person_in_no_table_and_no_uploaded_file(
    auth_client, workspace
):
    from prospecting.models import EnrichmentPage
    from prospecting.services import audit

    rows = [["Name", "Email", "Phone"], ["Jane", "JANE@example.com", "(415) 555-0101"]]
    rows.append(["Bo", "bo@example.com", ""])
    factories.import_book_file(auth_client, factories.csv_bytes(rows), "p.csv")
    sheets = {"People": rows, "Other": [["Email"], ["jane@example.com"], ["x@y.io"]]}
    factories.import_book_file(auth_client, factories.xlsx_bytes(sheets), "p.xlsx")
    job = factories.make_job(workspace.id, kind="enrichment")
    db.session.add(
        EnrichmentPage(
            job_id=job.id,
            last_row=2,
            first_row=1,
            data=[["Jane", "jane@example.com"], ["Bo", "bo@example.com"]],
        )
    )
    audit.record(workspace.id, "note", "x", details={"to": "Jane@Example.com"})
    db.session.commit()
    contact = jane(workspace.id)
    assert _holding("jane@example.com")

    done = erase.erase_contact(workspace.id, contact.id, confirm="jane@example.com")

    assert _holding("jane@example.com") == []
    assert _holding("5550101") == [] and _holding("jane-doe") == []
    assert _holding("bo@example.com")
    assert done["removed"]["import_rows"] >= 2
    assert done["removed"]["enrichment_pages"] == 1
    assert done["removed"]["upload_rows"] == sum(f["rows"] for f in done["files"])
    assert {f["file"] for f in done["files"]} == {"p.csv", "p.xlsx"}
    assert done["not_scrubbed"] == []


def test_erase_names_a_file_it_could_not_scrub(auth_client, workspace):
    from prospecting.models import Upload

    rows = [["Name", "Email"], ["Jane", "jane@example.com"]]
    factories.import_book_file(auth_client, factories.xlsx_bytes({"A": rows}), "q.xlsx")
    upload = db.session.scalar(select(Upload))
    with open(upload.stored_path, "r+b") as f:
        f.seek(40)
        f.write(b"\x00" * 200)
    contact = jane(workspace.id)
    done = erase.erase_contact(workspace.id, contact.id, confirm="jane@example.com")
    assert [f["file"] for f in done["not_scrubbed"]] == ["q.xlsx"]


def test_erase_page_says_what_was_removed_where(auth_client, workspace):
    rows = [["Name", "Email"], ["Jane", "jane@example.com"]]
    factories.import_book_file(auth_client, factories.csv_bytes(rows), "p.csv")
    contact = jane(workspace.id)
    response = auth_client.post(
        f"/contacts/{contact.id}/erase",
        data={"confirm": "jane@example.com"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Removed:" in page and "rows of the file p.csv" in page


def test_erase_names_a_utf16_file_holding_the_person(auth_client, workspace):
    from prospecting.models import Upload

    text = "Name,Email\r\nJane,jane@example.com\r\n"
    factories.upload(auth_client, text.encode("utf-16"), "u.csv")
    assert db.session.scalar(select(Upload)) is not None
    contact = jane(workspace.id)
    done = erase.erase_contact(workspace.id, contact.id, confirm="jane@example.com")
    assert [f["file"] for f in done["not_scrubbed"]] == ["u.csv"]
