"""The update strategy of imports: fill empty fields or overwrite, never a field
edited by hand."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import Job
from prospecting.services import contacts
from prospecting.services.contacts import ContactInput
from prospecting.services.contacts import strategy
from prospecting.services.errors import InvalidInput
from tests import factories
from tests.factories import api_error
from tests.factories import csv_bytes
from tests.factories import make_contact


def _one(workspace_id) -> Contact:
    db.session.expire_all()
    return db.session.scalar(
        select(Contact).where(Contact.workspace_id == workspace_id)
    )


@pytest.mark.parametrize(
    "current,new,how,locked,expected",
    [
        (None, "CTO", "fill", (), True),
        ("CEO", "CTO", "fill", (), False),
        ("CEO", "CTO", "overwrite", (), True),
        ("CEO", None, "overwrite", (), False),
        ("CEO", "", "overwrite", (), False),
        (None, "CTO", "overwrite", ("title",), False),
        ("CEO", "CTO", "overwrite", ("title",), False),
    ],
)
def test_takes_is_the_one_rule(current, new, how, locked, expected):
    assert (
        strategy.takes(current, new, field="title", strategy=how, locked=locked)
        is expected
    )


def test_fill_keeps_known_values_and_overwrite_replaces_them(workspace):
    make_contact(workspace.id, email="a@x.io", title="CEO")
    row = [ContactInput(email="a@x.io", title="CTO", location="Pune")]
    contacts.upsert_contacts(workspace.id, row)
    assert (_one(workspace.id).title, _one(workspace.id).location) == ("CEO", "Pune")
    report = contacts.upsert_contacts(workspace.id, row, strategy="overwrite")
    assert report.items[0].status == "updated"
    assert _one(workspace.id).title == "CTO"


def test_overwrite_never_touches_a_field_edited_by_hand(workspace):
    contact = make_contact(workspace.id, email="a@x.io", title="CEO", name="Ann")
    contacts.update_contact(
        workspace.id, contact.id, name="Ann", email="a@x.io", phone=None, title="Boss"
    )
    assert _one(workspace.id).locked_fields == ["title"]
    contacts.upsert_contacts(
        workspace.id,
        [ContactInput(email="a@x.io", title="CTO", name="Annie")],
        strategy="overwrite",
    )
    found = _one(workspace.id)
    assert (found.title, found.name) == ("Boss", "Annie")


def test_overwrite_inside_one_file_keeps_the_later_row(workspace):
    contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(email="a@x.io", title="Old"),
            ContactInput(email="a@x.io", title="New"),
        ],
        strategy="overwrite",
    )
    assert _one(workspace.id).title == "New"


def test_an_unknown_strategy_is_refused(workspace):
    with pytest.raises(InvalidInput) as exc:
        contacts.upsert_contacts(workspace.id, [], strategy="replace")
    assert exc.value.code == "bad_update_strategy"


def test_edit_form_locks_the_fields_changed_and_the_page_shows_the_lock(
    auth_client, workspace
):
    contact = make_contact(workspace.id, email="a@x.io", name="Ann", title="CEO")
    response = auth_client.post(
        f"/contacts/{contact.id}/edit",
        data={"name": "Ann", "email": "a@x.io", "phone": "", "title": "CTO"},
    )
    assert response.status_code == 302
    assert _one(workspace.id).locked_fields == ["title"]
    page = auth_client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert 'id="locked-title"' in page and 'id="locked-name"' not in page


def test_patch_api_locks_the_fields_it_changes(client, api_headers, workspace):
    contact = make_contact(workspace.id, email="a@x.io")
    body = client.patch(
        f"/api/v1/contacts/{contact.id}",
        json={"location": "Pune"},
        headers=api_headers,
    ).get_json()
    assert body["locked_fields"] == ["location"]


def test_csv_import_form_carries_the_strategy_to_the_job(auth_client, workspace):
    make_contact(workspace.id, email="a@x.io", title="CEO")
    content = csv_bytes([["Email", "Title"], ["a@x.io", "CTO"]])
    response = factories.import_book_file(
        auth_client, content, "p.csv", update_strategy="overwrite"
    )
    assert response.status_code == 302
    job = db.session.scalar(select(Job).where(Job.kind == contacts.KIND_IMPORT))
    assert job.params["update_strategy"] == "overwrite"
    assert _one(workspace.id).title == "CTO"


def test_csv_import_form_refuses_an_unknown_strategy(auth_client, workspace):
    content = csv_bytes([["Email"], ["a@x.io"]])
    response = factories.import_book_file(
        auth_client, content, "p.csv", update_strategy="x"
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_api_import_refuses_an_unknown_strategy(client, api_headers, workspace):
    response = client.post(
        "/api/v1/contacts/import",
        json={"source": "enrichment", "job_id": "x", "update_strategy": "x"},
        headers=api_headers,
    )
    assert api_error(response, 422)["code"] == "bad_update_strategy"
