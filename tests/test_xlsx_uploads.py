"""XLSX uploads: a workbook's sheet is read as a CSV by the same readers (preview,
count, planner), the sheet chosen in the preview; bad workbooks get a 4xx."""

import io
import os
import zipfile

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.services import enrichment
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import TooLarge
from tests import factories

PEOPLE = [
    ["Name", "Email", "Phone", "Company"],
    ["Ann Lee", "ann@acme.io", 14155550100, "Acme"],
    ["Bo Chan", "bo@acme.io", None, "Acme"],
]
OTHER = [["Email", "Title"], ["zed@globex.com", "CTO"]]


def upload(workspace, content: bytes, name="list.xlsx"):
    return enrichment.save_upload(workspace.id, None, name, io.BytesIO(content))


def test_an_xlsx_upload_previews_its_first_sheet_as_rows(app, workspace):
    book = factories.xlsx_bytes({"People": PEOPLE, "Other": OTHER})
    saved = upload(workspace, book)
    assert saved.stored_path.endswith(".xlsx")
    pv = enrichment.preview(workspace.id, saved.id)
    assert pv.headers == ["Name", "Email", "Phone", "Company"]
    # A whole number typed in a cell is text without ".0"; an empty cell is "".
    assert pv.rows == [
        ["Ann Lee", "ann@acme.io", "14155550100", "Acme"],
        ["Bo Chan", "bo@acme.io", "", "Acme"],
    ]
    assert pv.mapping["email"] == "Email"
    assert enrichment.sheets(saved) == ["People", "Other"]


def test_the_sheet_chosen_in_the_preview_is_the_one_the_job_reads(app, workspace):
    saved = upload(workspace, factories.xlsx_bytes({"People": PEOPLE, "Other": OTHER}))
    pv = enrichment.preview(workspace.id, saved.id, sheet="1")
    assert pv.headers == ["Email", "Title"]
    job = enrichment.start(workspace.id, None, saved.id, sheet="1")
    assert job.params["sheet"] == 1
    assert job.params["headers"] == ["Email", "Title"]


def test_the_preview_page_offers_the_sheets(app, auth_client, workspace):
    saved = upload(workspace, factories.xlsx_bytes({"People": PEOPLE, "Other": OTHER}))
    page = auth_client.get(f"/enrichment/uploads/{saved.id}?sheet=1")
    assert page.status_code == 200
    assert b'id="sheet-select"' in page.data
    assert b"zed@globex.com" in page.data
    response = auth_client.post(
        f"/enrichment/uploads/{saved.id}/start",
        data={"sheet": "1", "map_email": "Email"},
    )
    assert response.status_code == 302
    assert "/enrichment/jobs/" in response.headers["Location"]


def test_an_xlsx_job_enriches_its_rows(app, auth_client):
    book = factories.xlsx_bytes({"People": PEOPLE})
    upload_id = factories.stored_upload(auth_client, book, "people.xlsx")
    job = factories.start_upload(auth_client, upload_id)
    assert job.status == "completed"
    rows = db.session.scalars(
        select(EnrichmentRow).where(EnrichmentRow.job_id == job.id)
    ).all()
    assert sorted(r.email for r in rows) == ["ann@acme.io", "bo@acme.io"]


def damaged_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml <<<")
    return out.getvalue()


BAD = {
    "damaged": (damaged_workbook(), 422, "workbook cannot be read"),
    "truncated": (factories.xlsx_bytes({"P": PEOPLE})[:300], 422, "zip archive"),
    "password-protected": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200,
        422,
        "password-protected",
    ),
    "empty sheet": (factories.xlsx_bytes({"Empty": []}), 422, "is empty"),
}


@pytest.mark.parametrize("content,status,message", BAD.values(), ids=BAD.keys())
def test_a_bad_workbook_is_a_4xx_with_a_message_and_nothing_kept(
    app, auth_client, content, status, message
):
    response = auth_client.post(
        "/enrichment/uploads", data={"file": (io.BytesIO(content), "bad.xlsx")}
    )
    assert response.status_code == status
    assert message.encode() in response.data
    assert os.listdir(app.config["UPLOAD_DIR"]) == []


def test_a_sheet_over_the_row_limit_is_413_and_nothing_kept(app, workspace):
    app.config["MAX_UPLOAD_ROWS"] = 1
    with pytest.raises(TooLarge, match="more than 1 data rows"):
        upload(workspace, factories.xlsx_bytes({"People": PEOPLE}))
    assert os.listdir(app.config["UPLOAD_DIR"]) == []


def test_an_unknown_sheet_is_refused(app, workspace):
    saved = upload(workspace, factories.xlsx_bytes({"People": PEOPLE}))
    with pytest.raises(InvalidInput, match="no sheet"):
        enrichment.preview(workspace.id, saved.id, sheet="7")


def test_deleting_a_workbook_upload_removes_its_converted_sheets(app, workspace):
    saved = upload(workspace, factories.xlsx_bytes({"People": PEOPLE}))
    assert len(os.listdir(app.config["UPLOAD_DIR"])) == 2  # workbook and sheet 0
    enrichment.delete_upload(saved)
    assert os.listdir(app.config["UPLOAD_DIR"]) == []


# Straight into the book

BOOK = [
    ["Full name", "Email", "Job title", "LinkedIn", "City", "Company", "Site", "Notes"],
    [
        "PRIYA MEHTA",
        "priya@globex.com",
        "CTO",
        "https://www.linkedin.com/in/priya",
        "Pune",
        "Globex",
        "globex.com",
        "met at fair",
    ],
]


def test_a_workbook_enters_the_book_with_every_field_and_its_other_columns(
    app, auth_client, workspace
):
    book = factories.xlsx_bytes(
        {"About": [["About"], ["from the CRM"]], "People": BOOK}
    )
    uploaded = auth_client.post(
        "/contacts/import/csv", data={"file": (io.BytesIO(book), "people.xlsx")}
    )
    assert uploaded.status_code == 302
    preview = auth_client.get(uploaded.headers["Location"] + "?sheet=1")
    assert preview.status_code == 200
    body = preview.get_data(as_text=True)
    for field in ("map_title", "map_linkedin_url", "map_location", "map_website"):
        assert f'name="{field}"' in body
    response = auth_client.post(
        uploaded.headers["Location"],
        data={
            "sheet": "1",
            "map_name": "Full name",
            "map_email": "Email",
            "map_title": "Job title",
            "map_linkedin_url": "LinkedIn",
            "map_location": "City",
            "map_company": "Company",
            "map_website": "Site",
            "include_risky": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    contact = db.session.scalars(select(Contact)).one()
    assert contact.name == "PRIYA MEHTA"  # the original is kept
    assert (contact.title, contact.location) == ("CTO", "Pune")
    assert contact.linkedin_url == "https://www.linkedin.com/in/priya"
    assert contact.company.domain == "globex.com"
    assert contact.extra == {"Notes": "met at fair"}
    page = auth_client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert '<span title="PRIYA MEHTA">Priya Mehta</span>' in page
    assert "met at fair" in page
    export = auth_client.get("/contacts/export?format=csv&mode=raw")
    text = export.get_data(as_text=True)
    assert "extra" in text.splitlines()[0]
    assert "met at fair" in text


def test_a_book_import_without_a_channel_column_is_422_naming_the_mapping(
    app, auth_client
):
    content = factories.xlsx_bytes({"P": [["Name", "Notes"], ["Ann", "x"]]})
    response = factories.import_book_file(auth_client, content, "p.xlsx")
    assert response.status_code == 422
    assert "mapping: no email, phone or LinkedIn column" in response.get_data(
        as_text=True
    )


def test_a_bad_workbook_for_the_book_is_a_4xx_with_the_message(app, auth_client):
    response = auth_client.post(
        "/contacts/import/csv",
        data={"file": (io.BytesIO(BAD["password-protected"][0]), "x.xlsx")},
    )
    assert response.status_code == 422
    assert "password-protected" in response.get_data(as_text=True)


def test_merging_keeps_the_extra_columns_already_on_a_contact(app, workspace):
    from prospecting.services import contacts
    from prospecting.services.contacts.book import ContactInput

    first = ContactInput(name="A", phone="+14155550100", extra={"Notes": "one"})
    contacts.upsert_contacts(workspace.id, [first])
    second = ContactInput(
        name="A", phone="+14155550100", extra={"Notes": "two", "Tier": "gold"}
    )
    contacts.upsert_contacts(workspace.id, [second])
    contact = db.session.scalars(select(Contact)).one()
    assert contact.extra == {"Notes": "one", "Tier": "gold"}


def test_add_to_contacts_carries_an_enrichment_rows_book_fields_and_other_columns(
    app, auth_client
):
    content = factories.csv_bytes(
        [
            ["Name", "Email", "Phone", "Job title", "LinkedIn", "City", "Notes"],
            ["Ann Lee", "ann@acme.io", "+1 415 555 0100", "CTO",
             "https://www.linkedin.com/in/annlee", "Pune", "met at fair"],
        ]
    )  # fmt: skip
    upload_id = factories.stored_upload(auth_client, content)
    preview = auth_client.get(f"/enrichment/uploads/{upload_id}").get_data(as_text=True)
    assert '<option value="Job title" selected>' in preview
    job = factories.start_upload(
        auth_client,
        upload_id,
        {"map_name": "Name", "map_email": "Email", "map_phone": "Phone",
         "map_title": "Job title", "map_linkedin_url": "LinkedIn",
         "map_location": "City"},
    )  # fmt: skip
    assert job.params["mapping"]["title"] == "Job title"
    response = auth_client.post(f"/contacts/import/enrichment/{job.id}")
    assert response.status_code == 302
    contact = db.session.scalars(select(Contact)).one()
    assert (contact.title, contact.location) == ("CTO", "Pune")
    assert contact.linkedin_url == "https://www.linkedin.com/in/annlee"
    assert contact.extra == {"Notes": "met at fair"}


def test_the_api_upload_takes_a_workbooks_first_sheet(app, client, api_headers):
    book = factories.xlsx_bytes({"People": PEOPLE})
    response = client.post(
        "/jobs/upload",
        headers=api_headers,
        data={"file": (io.BytesIO(book), "people.xlsx")},
    )
    assert response.status_code == 202
    job = db.session.get(Job, response.get_json()["job_id"])
    assert job.params["headers"] == ["Name", "Email", "Phone", "Company"]
    assert job.params["sheet"] == 0


def test_the_api_shows_a_contacts_other_columns(app, client, api_headers, workspace):
    from prospecting.services import contacts
    from prospecting.services.contacts.book import ContactInput

    contacts.upsert_contacts(
        workspace.id,
        [ContactInput(name="A", phone="+14155550100", extra={"Tier": "gold"})],
    )
    contact = db.session.scalars(select(Contact)).one()
    body = client.get(f"/api/v1/contacts/{contact.id}", headers=api_headers)
    assert body.status_code == 200
    assert body.get_json()["extra"] == {"Tier": "gold"}


def test_a_sheet_wider_than_the_column_limit_is_refused(app, workspace):
    app.config["MAX_UPLOAD_COLUMNS"] = 3
    with pytest.raises(InvalidInput, match="4 columns; the limit is 3"):
        upload(workspace, factories.xlsx_bytes({"People": PEOPLE}))
    assert os.listdir(app.config["UPLOAD_DIR"]) == []


def test_rerun_exactly_reads_the_same_sheet(app, workspace):
    from prospecting.services import jobs

    saved = upload(workspace, factories.xlsx_bytes({"People": PEOPLE, "Other": OTHER}))
    job = enrichment.start(workspace.id, None, saved.id, sheet="1")
    jobs.cancel(workspace.id, job.id)
    again = jobs.rerun_exactly(workspace.id, job.id)
    assert again.params["sheet"] == 1
    assert again.params["headers"] == ["Email", "Title"]


def test_a_book_import_form_error_is_422_shown_by_its_field(app, auth_client):
    content = factories.csv_bytes([["Name", "Email"], ["Ann", "ann@acme.io"]])
    uploaded = auth_client.post(
        "/contacts/import/csv", data={"file": (io.BytesIO(content), "p.csv")}
    )
    response = auth_client.post(
        uploaded.headers["Location"], data={"map_email": "Email", "sheet": "x" * 9}
    )
    assert response.status_code == 422
    assert '<ul class="errors">' in response.get_data(as_text=True)
