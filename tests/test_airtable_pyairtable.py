"""pyairtable's own `Table` and `Base` against the sandbox Airtable over real HTTP:
the record endpoints and the base schema a real client uses, with Airtable's errors
for what a table's schema refuses."""

import uuid

import pytest
import requests
from pyairtable import Api
from pyairtable.formulas import AND
from pyairtable.formulas import OR
from pyairtable.formulas import match

from prospecting.sandbox import airtable as sandbox
from prospecting.sandbox import faults

TOKEN = "patPyairtableToken"
PEOPLE = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Email", "type": "email"},
    {"name": "Age", "type": "number"},
    {"name": "Stage", "type": "singleSelect", "options": {"choices": ["Lead"]}},
    {"name": "Tags", "type": "multipleSelects", "options": {"choices": ["vip"]}},
    {"name": "Company", "type": "multipleRecordLinks"},
    {"name": "Label", "type": "formula"},
]


@pytest.fixture
def table(sandbox_url):
    faults.set_overrides({"airtable_rate": 0})  # pacing is tested elsewhere
    base = "app" + uuid.uuid4().hex[:14]
    sandbox.create_base(base, [{"name": "People", "fields": PEOPLE}])
    api = Api(TOKEN, endpoint_url=f"{sandbox_url}/airtable", retry_strategy=None)
    return api.table(base, "People")


def error_of(exc_info) -> tuple[int, str]:
    response = exc_info.value.response
    return response.status_code, response.json()["error"]["type"]


def test_create_get_update_delete_one_record(table):
    created = table.create({"Name": "Ada", "Email": "ada@x.io", "Age": 36})
    assert created["id"].startswith("rec")
    assert table.get(created["id"])["fields"] == {
        "Name": "Ada",
        "Email": "ada@x.io",
        "Age": 36,
    }
    updated = table.update(created["id"], {"Age": 37, "Email": None})
    # A cleared cell is left out of the answer, as Airtable does.
    assert updated["fields"] == {"Name": "Ada", "Age": 37}
    replaced = table.update(created["id"], {"Name": "Ada L."}, replace=True)
    assert replaced["fields"] == {"Name": "Ada L."}
    assert table.delete(created["id"]) == {"id": created["id"], "deleted": True}
    with pytest.raises(requests.HTTPError) as gone:
        table.get(created["id"])
    assert error_of(gone) == (404, "MODEL_ID_NOT_FOUND")


def test_batch_upsert_then_all_with_a_formula(table):
    rows = [{"fields": {"Email": f"p{i}@x.io", "Age": i}} for i in range(12)]
    first = table.batch_upsert(rows, key_fields=["Email"])
    assert len(first["createdRecords"]) == 12
    again = table.batch_upsert(
        [{"fields": {"Email": "p3@x.io", "Name": "Three"}}], key_fields=["Email"]
    )
    assert again["updatedRecords"] == [first["records"][3]["id"]]
    (three,) = table.all(formula=match({"Email": "p3@x.io"}))
    assert three["fields"] == {"Email": "p3@x.io", "Age": 3, "Name": "Three"}
    both = table.all(formula=OR(match({"Age": 1}), match({"Email": "p2@x.io"})))
    assert sorted(r["fields"]["Age"] for r in both) == [1, 2]
    none = table.all(formula=AND(match({"Age": 1}), match({"Email": "p2@x.io"})))
    assert none == []
    assert len(table.all(page_size=5)) == 12


def test_batch_delete_and_a_long_formula_sent_as_list_records(table):
    made = table.batch_create([{"Email": f"d{i}@x.io"} for i in range(15)])
    table.batch_delete([r["id"] for r in made[:11]])
    left = sorted(r["fields"]["Email"] for r in table.all())
    assert left == sorted(f"d{i}@x.io" for i in range(11, 15))
    # Past 16,000 characters of URL pyairtable POSTs the options to …/listRecords.
    long = OR(*[match({"Email": f"{'x' * 40}{i}@x.io"}) for i in range(400)])
    long = OR(long, match({"Email": "d12@x.io"}))
    assert len(str(long)) > 16000
    (found,) = table.all(formula=long)
    assert found["fields"]["Email"] == "d12@x.io"


def test_the_table_schema_refuses_what_airtable_refuses(table):
    cases = [
        ({"Nickname": "x"}, False, "UNKNOWN_FIELD_NAME"),
        ({"Stage": "Customer"}, False, "INVALID_MULTIPLE_CHOICE_OPTIONS"),
        ({"Age": "thirty"}, False, "INVALID_VALUE_FOR_COLUMN"),
        ({"Age": "30"}, False, "INVALID_VALUE_FOR_COLUMN"),
        ({"Company": ["Acme"]}, False, "INVALID_VALUE_FOR_COLUMN"),
        ({"Label": "computed"}, True, "INVALID_VALUE_FOR_COLUMN"),
    ]
    for fields, typecast, kind in cases:
        with pytest.raises(requests.HTTPError) as refused:
            table.create(fields, typecast=typecast)
        assert error_of(refused) == (422, kind), fields
    assert table.all() == []
    # typecast converts a numeric string and adds a new select option.
    made = table.create({"Age": "30", "Stage": "Customer"}, typecast=True)
    assert made["fields"] == {"Age": 30, "Stage": "Customer"}
    stage = table.schema(force=True).field("Stage")
    assert [c.name for c in stage.options.choices] == ["Lead", "Customer"]


def test_unknown_tables_and_bases_are_refused_and_never_created(table):
    other = table.api.table(table.base.id, "Nope")
    with pytest.raises(requests.HTTPError) as no_table:
        other.create({"Name": "x"})
    assert error_of(no_table) == (404, "TABLE_NOT_FOUND")
    with pytest.raises(requests.HTTPError) as still:
        other.all()
    assert error_of(still)[0] == 404
    missing = table.api.table("app" + uuid.uuid4().hex[:14], "People")
    with pytest.raises(requests.HTTPError) as no_base:
        missing.all()
    assert error_of(no_base) == (403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")


def test_merging_on_a_field_that_cannot_be_merged_on_is_refused(table):
    with pytest.raises(requests.HTTPError) as refused:
        table.batch_upsert(
            [{"fields": {"Company": ["rec00000000000000"]}}], key_fields=["Company"]
        )
    status, _ = error_of(refused)
    assert status == 422
    assert "fieldsToMergeOn" in refused.value.response.json()["error"]["message"]


def test_pyairtable_reads_the_base_schema(table):
    schema = table.base.schema()
    people = schema.table("People")
    assert [f.name for f in people.fields][:3] == ["Name", "Email", "Age"]
    assert people.field("Email").type == "email"
    assert people.primary_field_id == people.fields[0].id
