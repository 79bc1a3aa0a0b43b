"""An erase looks through the workspace's uploaded files with one pattern over
each file's bytes, and reads line by line (and rewrites) only a file that may
hold the person."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Upload
from prospecting.services.contacts import ContactInput
from prospecting.services.contacts import erase
from prospecting.services.contacts import erase_traces
from prospecting.services.contacts import upsert_contacts
from tests import factories

PERSON = erase_traces.Person(
    ["jane@example.com"], ["+14155550101"], "linkedin.com/in/jane-doe"
)


@pytest.mark.parametrize(
    "text",
    [
        "Jane,JANE@Example.COM,",
        "Jane,,(415) 555-0101",
        "Jane,,415.555.0101",
        "Jane,,+1 415 555 0101",
        "Jane,https://www.LinkedIn.com/in/Jane-Doe/,",
    ],
)
def test_the_byte_pattern_finds_the_person_as_files_write_them(text):
    assert PERSON.in_bytes().search(text.encode()) is not None
    assert PERSON.mentions(text)


@pytest.mark.parametrize(
    "text", ["Bo,bo@example.com,+1 415 555 0102", "Jane,jane@example.org,"]
)
def test_the_byte_pattern_passes_over_other_people(text):
    assert PERSON.in_bytes().search(text.encode()) is None


def test_a_file_without_the_person_is_neither_read_line_by_line_nor_rewritten(
    auth_client, workspace, monkeypatch
):
    theirs = [["Name", "Email"], ["Jane", "jane@example.com"]]
    others = [["Name", "Email"], ["Bo", "bo@example.com"]]
    factories.import_book_file(auth_client, factories.csv_bytes(theirs), "a.csv")
    factories.import_book_file(auth_client, factories.csv_bytes(others), "b.csv")
    uploads = {u.filename: u for u in db.session.scalars(select(Upload))}
    untouched = uploads["b.csv"].stored_path
    before = open(untouched, "rb").read()
    read = []
    real = erase_traces._records

    def records(stream):
        read.append(stream.name)
        return real(stream)

    monkeypatch.setattr(erase_traces, "_records", records)
    (item,) = upsert_contacts(
        workspace.id, [ContactInput(email="jane@example.com")]
    ).items
    done = erase.erase_contact(
        workspace.id, item.contact_id, confirm="jane@example.com"
    )
    assert [f["file"] for f in done["files"]] == ["a.csv"]
    assert read == [uploads["a.csv"].stored_path]
    assert open(untouched, "rb").read() == before
    assert b"jane@example.com" not in open(uploads["a.csv"].stored_path, "rb").read()
