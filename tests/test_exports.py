"""Exports: CSV for spreadsheets and for import, XLSX as text, a choice of columns,
rows read in chunks from a Core query; the contacts export API."""

import csv
import io
import tracemalloc

import pytest
from openpyxl import load_workbook
from sqlalchemy import event
from sqlalchemy import insert

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.services import exports
from prospecting.services.exports import cells
from prospecting.services.exports import query


def _book(workspace_id: int, n: int = 0) -> None:
    """Globex with two contacts (a phone, a formula-looking title), and n more."""
    globex = Company(workspace_id=workspace_id, name="Globex", domain="globex.com")
    db.session.add(globex)
    db.session.flush()
    db.session.add_all(
        [
            Contact(workspace_id=workspace_id, company_id=globex.id, name="Priya Mehta",
                    email="priya@globex.com", phone="+12747482542",
                    title='=HYPERLINK("http://evil")'),
            Contact(workspace_id=workspace_id, name="Wei", email="wei@initech.com",
                    phone="-5", title="@SUM(A1)"),
        ]
    )  # fmt: skip
    if n:
        db.session.execute(
            insert(Contact),
            [
                {"workspace_id": workspace_id, "name": f"Person {i}",
                 "email": f"p{i}@example.com", "phone": f"+1415555{i:04d}"}
                for i in range(n)
            ],
        )  # fmt: skip
    db.session.commit()


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.mark.parametrize(
    "value", ["+12747482542", "-5", "+1 (415) 555-0101", "-12.5", "+44 20 7946 0958"]
)
def test_a_plain_number_or_phone_number_is_never_prefixed(value):
    assert cells.guarded(value) == value


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("x")', "+1+cmd|' /C calc'!A0", "-2+3*A1", "@SUM(A1)", "\t1"]
)
def test_what_a_spreadsheet_would_run_is_prefixed(value):
    assert cells.guarded(value) == f"'{value}"


def test_spreadsheet_csv_guards_formulas_but_keeps_phone_numbers(
    auth_client, workspace
):
    _book(workspace.id)
    response = auth_client.get("/contacts/export?columns=name,phone,title")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert text.startswith("\ufeff")
    assert (
        'attachment; filename="contacts.csv"' in response.headers["Content-Disposition"]
    )
    rows = _csv_rows(text)
    assert rows[0] == ["name", "phone", "title"]
    assert ["Priya Mehta", "+12747482542", '\'=HYPERLINK("http://evil")'] in rows
    assert ["Wei", "-5", "'@SUM(A1)"] in rows


def test_raw_csv_keeps_every_value_as_stored(auth_client, workspace):
    _book(workspace.id)
    text = auth_client.get("/contacts/export?mode=raw&columns=email,title").get_data(
        as_text=True
    )
    assert not text.startswith("\ufeff")
    rows = _csv_rows(text)
    assert ["priya@globex.com", '=HYPERLINK("http://evil")'] in rows
    assert ["wei@initech.com", "@SUM(A1)"] in rows


def test_xlsx_cells_are_text_never_formulas(auth_client, workspace):
    _book(workspace.id)
    response = auth_client.get("/contacts/export?format=xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=False))
    header = [c.value for c in rows[0]]
    assert header[:4] == ["id", "name", "email", "phone"]
    priya = next(r for r in rows if r[1].value == "Priya Mehta")
    title = priya[header.index("title")]
    assert title.value == '=HYPERLINK("http://evil")' and title.data_type == "s"
    assert priya[header.index("phone")].value == "+12747482542"
    assert priya[header.index("company")].value == "Globex"


def test_columns_come_in_the_order_asked(auth_client, workspace):
    _book(workspace.id)
    text = auth_client.get("/contacts/export?columns=company&columns=email").get_data(
        as_text=True
    )
    assert _csv_rows(text)[:2] == [["company", "email"], ["Globex", "priya@globex.com"]]


def test_exports_read_the_table_from_one_statement_in_key_order(
    app, workspace, monkeypatch
):
    _book(workspace.id, n=9)
    monkeypatch.setattr(query, "CHUNK_ROWS", 4)
    statements = []

    def count(conn, cursor, statement, *args):
        if "FROM contacts" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        header, rows = exports.tables.contacts(workspace.id, columns="email")
        emails = [r[0] for r in rows]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(emails) == 11 and emails[0] == "priya@globex.com"
    assert emails[2:] == [f"p{i}@example.com" for i in range(9)]
    assert len(statements) == 1


def test_a_large_export_needs_no_more_memory_than_a_small_one(app, workspace):
    def peak(n_workspace_rows):
        tracemalloc.start()
        header, rows = exports.tables.contacts(workspace.id)
        for _ in exports.stream(header, rows, exports.Options(fmt="csv")):
            pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    _book(workspace.id, n=1_000)
    small = peak(1_000)
    db.session.execute(
        insert(Contact),
        [{"workspace_id": workspace.id, "name": f"More {i}",
          "email": f"m{i}@example.com"} for i in range(19_000)],
    )  # fmt: skip
    db.session.commit()
    large = peak(20_000)
    assert large < small * 1.5


def test_api_contacts_export_takes_the_list_filters(client, workspace, api_headers):
    _book(workspace.id)
    body = client.get(
        "/api/v1/contacts/export?q=globex&columns=email&mode=raw", headers=api_headers
    ).get_data(as_text=True)
    assert _csv_rows(body) == [["email"], ["priya@globex.com"]]
    globex = db.session.query(Company).filter_by(name="Globex").one()
    body = client.get(
        f"/api/v1/contacts/export?company_id={globex.id}&columns=name&mode=raw",
        headers=api_headers,
    ).get_data(as_text=True)
    assert _csv_rows(body) == [["name"], ["Priya Mehta"]]


@pytest.mark.parametrize(
    ("query_string", "field"),
    [("format=pdf", "format"), ("mode=weird", "mode"),
     ("columns=email,nope", "columns"), ("company_id=abc", "company_id")],
)  # fmt: skip
def test_api_export_bad_input_is_422_naming_the_field(
    client, workspace, api_headers, query_string, field
):
    response = client.get(
        f"/api/v1/contacts/export?{query_string}", headers=api_headers
    )
    assert response.status_code == 422
    assert response.json["error"]["details"]["field"] == field


def test_companies_export_as_xlsx(auth_client, workspace):
    _book(workspace.id)
    response = auth_client.get(
        "/contacts/companies/export?format=xlsx&columns=name,domain"
    )
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("name", "domain"),
        ("Globex", "globex.com"),
    ]


def test_enrichment_export_picks_columns_and_writes_xlsx(auth_client, workspace):
    from tests import factories
    from tests.factories import start_enrichment

    content = factories.csv_bytes(
        [["Name", "Email", "Phone"], ["Ann", "ann@acme.com", "+12747482542"]]
    )
    job = start_enrichment(
        auth_client,
        content,
        {"map_name": "Name", "map_email": "Email", "map_phone": "Phone"},
    )
    text = auth_client.get(
        f"/enrichment/jobs/{job.id}/export?columns=Email,Phone,email_verdict"
    ).get_data(as_text=True)
    assert _csv_rows(text) == [
        ["Email", "Phone", "email_verdict"],
        ["ann@acme.com", "+12747482542", "valid"],
    ]
    response = auth_client.get(f"/enrichment/jobs/{job.id}/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Name", "Email", "Phone")
    assert rows[1][:3] == ("Ann", "ann@acme.com", "+12747482542")
