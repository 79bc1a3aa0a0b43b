"""The Airtable settings held against the base's schema before anything is sent:
missing fields and tables, types that cannot take our value, merge fields that
cannot be merged on; leaving missing fields unmapped."""

from sqlalchemy import select

from prospecting import tasks
from prospecting.extensions import db
from prospecting.models import Job
from prospecting.sandbox import airtable as sandbox
from prospecting.sandbox import airtable_schema
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services.contacts import ContactInput
from tests import factories

TOKEN = "patSchemaToken"


def base_with(contacts_fields=None, *, drop=(), companies=True, **types) -> str:
    """A base like the default one without the `drop`ped contact fields and with
    the given contact field types."""
    tables = airtable_schema.default_tables()
    people = next(t for t in tables if t["name"] == "Contacts")
    people["fields"] = [
        {**f, "type": types.get(f["name"], f["type"])}
        for f in people["fields"]
        if f["name"] not in drop
    ]
    if not companies:
        tables = [people]
    return factories.airtable_base(tables)


def configure(workspace_id, base_id, token=TOKEN):
    contacts.save_settings(
        workspace_id,
        token=token,
        base_id=base_id,
        contacts_table="Contacts",
        companies_table="Companies",
        contact_fields=dict(contacts.CONTACT_FIELDS),
        company_fields=dict(contacts.COMPANY_FIELDS),
    )


def test_a_base_that_matches_the_default_mapping_passes(workspace):
    configure(workspace.id, factories.airtable_base())
    report = contacts.check_schema(workspace.id)
    assert not report.blocking and report.problems == [] and not report.unreadable


def test_the_check_names_missing_fields_types_and_the_merge_field(workspace):
    configure(
        workspace.id,
        base_with(drop=("Title", "DIN"), Phone="number", Email="formula"),
    )
    report = contacts.check_schema(workspace.id)
    assert report.blocking
    assert sorted(p.field for p in report.missing) == ["DIN", "Title"]
    kinds = {(p.field, p.kind) for p in report.problems}
    assert ("Phone", "type") in kinds and ("Email", "type") in kinds
    # A formula cannot be merged on; a number can (the second merge field).
    assert ("Email", "merge") in kinds and ("Phone", "merge") not in kinds
    assert "has no field 'Title'" in report.summary()


def test_a_missing_table_and_a_link_to_another_table_are_named(workspace):
    configure(workspace.id, base_with(companies=False))
    report = contacts.check_schema(workspace.id)
    assert report.missing_tables == ["Companies"]
    tables = airtable_schema.default_tables()
    people = next(t for t in tables if t["name"] == "Contacts")
    next(f for f in people["fields"] if f["name"] == "Company")["options"] = {
        "linkedTableId": "tblSomewhereElse00"
    }
    configure(workspace.id, factories.airtable_base(tables))
    (problem,) = contacts.check_schema(workspace.id).problems
    assert problem.field == "Company" and "another table" in problem.message


def test_a_token_without_the_schema_scope_leaves_the_check_unread(workspace):
    configure(workspace.id, factories.airtable_base(), token="noschemaToken")
    report = contacts.check_schema(workspace.id)
    assert report.unreadable and "schema.bases:read" in report.unreadable
    assert not report.blocking


def test_a_sync_against_a_base_lacking_a_field_sends_nothing(workspace):
    """Before: every chunk answered 422 and every contact ended failed."""
    base = base_with(drop=("Title",))
    configure(workspace.id, base)
    contacts.upsert_contacts(
        workspace.id,
        [ContactInput(name=f"P{i}", email=f"p{i}@x.io", title="CEO") for i in range(3)],
    )
    job = contacts.start_sync(workspace.id)
    tasks.enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    job = jobs.get(workspace.id, job.id)
    assert job.status == "failed"
    assert "nothing was sent" in job.error_message
    assert "has no field 'Title'" in job.error_message
    assert sandbox.calls(base) == []
    assert contacts.contacts_in_state(workspace.id, "failed")[1] == 0


def test_leaving_missing_fields_unmapped_lets_the_sync_run(workspace):
    base = base_with(drop=("Title", "DIN"))
    configure(workspace.id, base)
    assert sorted(contacts.unmap_missing(workspace.id)) == ["DIN", "Title"]
    conn = contacts.connection(workspace.id)
    assert conn.contact_fields["title"] == "" and conn.contact_fields["din"] == ""
    assert not contacts.check_schema(workspace.id).blocking
    contacts.upsert_contacts(
        workspace.id, [ContactInput(name="P", email="p@x.io", title="CEO")]
    )
    job = contacts.start_sync(workspace.id)
    tasks.enqueue_batches(jobs.open_batches(job.id))
    db.session.expire_all()
    assert jobs.get(workspace.id, job.id).status == "completed"
    (row,) = sandbox.records(base, "Contacts")
    assert "Title" not in row["fields"]


def test_the_merge_field_is_never_left_unmapped(workspace):
    configure(workspace.id, base_with(drop=("Email",)))
    report = contacts.check_schema(workspace.id)
    assert [p.field for p in report.missing] == ["Email"]
    assert report.unmappable == []
    assert contacts.unmap_missing(workspace.id) == []
    assert contacts.connection(workspace.id).contact_fields["email"] == "Email"


def _form(base_id):
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
    return data


def test_saving_settings_shows_the_check_and_offers_to_unmap(auth_client, workspace):
    base = base_with(drop=("DIN",), Phone="checkbox")
    saved = auth_client.post("/contacts/airtable", data=_form(base))
    assert saved.status_code == 302 and saved.headers["Location"].endswith("check=1")
    page = auth_client.get(saved.headers["Location"])
    assert b'id="schema-problems"' in page.data
    assert b'class="schema-missing" data-field="DIN"' in page.data
    assert b'class="schema-type" data-field="Phone"' in page.data
    assert b'id="unmap-button"' in page.data
    unmapped = auth_client.post("/contacts/airtable/unmap")
    assert unmapped.status_code == 302
    again = auth_client.get(unmapped.headers["Location"])
    assert b"Left unmapped: DIN." in again.data
    assert b'data-field="DIN"' not in again.data
    # The sync button refuses while a type cannot take our value; no job is made.
    started = auth_client.post("/contacts/airtable/sync")
    assert started.headers["Location"].endswith("check=1")
    assert db.session.scalar(select(Job).where(Job.kind == "airtable_sync")) is None


def test_a_matching_base_says_so(auth_client):
    saved = auth_client.post(
        "/contacts/airtable", data=_form(factories.airtable_base())
    )
    page = auth_client.get(saved.headers["Location"])
    assert b'id="schema-ok"' in page.data
