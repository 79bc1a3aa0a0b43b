"""Uploads are counted while stored: a file over the row limit is refused before
any job exists, and no refusal leaves a file or a record behind."""

import io
import os

import pytest
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import Upload
from prospecting.services import csvfiles
from prospecting.services import enrichment
from prospecting.services.errors import InvalidInput
from tests import factories


def post_csv(client, headers, content: bytes, name="list.csv"):
    return client.post(
        "/jobs/upload", headers=headers, data={"file": (io.BytesIO(content), name)}
    )


def stored_files(app) -> list[str]:
    folder = app.config["UPLOAD_DIR"]
    return os.listdir(folder) if os.path.isdir(folder) else []


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def assert_nothing_kept(app) -> None:
    assert stored_files(app) == []
    assert count(Upload) == 0
    assert count(Job) == 0


# Counting rows


TRICKY = {
    "plain": b"email,name\r\na@x.io,A\r\nb@x.io,B\r\n",
    "quoted newlines": b'email,note\na@x.io,"one\ntwo"\nb@x.io,"x\r\ny\r\nz"\n',
    "blank and space rows": b"email\n\n   \na@x.io\n,\n\nb@x.io\n \t \n",
    "blank lines before the header": b"\n\n  \nemail\na@x.io\n",
    "no final newline": b"email\na@x.io\nb@x.io",
    "escaped quotes": b'email,n\na@x.io,"say ""hi""\nthere"\nb@x.io,x\n',
    "quote inside a field": b'email,n\na@x.io,ab"c\nb@x.io,d"e\n',
    "bom and semicolons": "\ufeffemail;name\na@x.io;Zoë\nb@x.io;Ann\n".encode(),
    "utf-16": "email,name\r\na@x.io,Zoë\r\nb@x.io,Ann\r\n".encode("utf-16"),
    "cp1252": "email,name\na@x.io,Zoë\nb@x.io,Ann\n".encode("cp1252"),
}


@pytest.mark.parametrize("content", TRICKY.values(), ids=TRICKY.keys())
def test_row_count_matches_the_rows_the_import_reads(tmp_path, content):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    dialect = csvfiles.detect_dialect(path)
    imported = sum(
        len(rows) for _, rows in csvfiles.iter_chunks(path, dialect, chunk_rows=3)
    )
    assert csvfiles.count_rows(path, dialect) == imported


def test_row_count_goes_past_bytes_the_encoding_cannot_read(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"email\n" + b"a@x.io\n" * 5 + b"\xe9t\xe9@x.io\n" + b"b@x.io\n")
    # Detected from a first part that is plain ASCII, as in a large file.
    dialect = csvfiles.Dialect(encoding="utf-8", delimiter=",", has_bom=False)
    assert csvfiles.count_rows(path, dialect) == 7


def test_row_count_stops_at_a_record_the_reader_cannot_split(tmp_path):
    path = tmp_path / "f.csv"
    huge = b'"' + b"x" * (csvfiles.MAX_FIELD_BYTES + 10) + b'"'
    path.write_bytes(b"email,n\n" + b"a@x.io,1\n" * 3 + b"b@x.io," + huge + b"\nc,2\n")
    dialect = csvfiles.Dialect(encoding="utf-8", delimiter=",", has_bom=False)
    assert csvfiles.count_rows(path, dialect) == 3  # the import stops there too


# The limit, before any job exists


def test_api_upload_over_the_row_limit_is_413_naming_limit_and_count(
    app, client, api_headers
):
    app.config["MAX_UPLOAD_ROWS"] = 5
    response = post_csv(client, api_headers, factories.contacts_csv(8))
    assert response.status_code == 413
    error = response.json["error"]
    assert error["code"] == "too_many_rows"
    assert "8 data rows" in error["message"] and "limit is 5 rows" in error["message"]
    assert error["details"] == {"rows": 8, "limit": 5}
    assert_nothing_kept(app)


def test_api_upload_at_the_row_limit_is_accepted(app, client, api_headers):
    app.config["MAX_UPLOAD_ROWS"] = 5
    assert post_csv(client, api_headers, factories.contacts_csv(5)).status_code == 202


def test_html_upload_over_the_row_limit_is_413_with_the_message(app, auth_client):
    app.config["MAX_UPLOAD_ROWS"] = 3
    response = auth_client.post(
        "/enrichment/uploads",
        data={"file": (io.BytesIO(factories.contacts_csv(4)), "big.csv")},
    )
    assert response.status_code == 413
    assert b"The file has 4 data rows; the limit is 3 rows a file." in response.data
    assert_nothing_kept(app)


def test_starting_with_another_delimiter_counts_the_rows_again(app, workspace):
    # With "," each record spans two lines; read with ";" the quote is inside a
    # field, so every line is a record of its own: twice as many rows.
    content = b"email,note\n" + b'a@x.io,"two\nlines"\n' * 3
    app.config["MAX_UPLOAD_ROWS"] = 4
    upload = enrichment.save_upload(workspace.id, None, "f.csv", io.BytesIO(content))
    with pytest.raises(InvalidInput, match="6 data rows; the limit is 4"):
        enrichment.start(workspace.id, None, upload.id, delimiter=";")
    assert count(Job) == 0
    assert enrichment.start(workspace.id, None, upload.id).status == "queued"


# Nothing is left behind


def test_an_api_upload_the_job_refuses_leaves_no_file_nor_record(
    app, client, api_headers
):
    response = post_csv(client, api_headers, factories.csv_bytes([["name"], ["Ann"]]))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "no_email_column"
    assert_nothing_kept(app)


@pytest.mark.parametrize(
    "content",
    [b"", b"%PDF-1.4 binary", b"email\n", b'email\n"never closed\n'],
    ids=["empty", "pdf", "header only", "open quote"],
)
def test_unreadable_uploads_leave_no_file_behind(app, client, api_headers, content):
    assert post_csv(client, api_headers, content).status_code in (400, 413, 415, 422)
    assert_nothing_kept(app)


def test_an_upload_whose_record_cannot_be_written_leaves_no_file(
    app, workspace, monkeypatch
):
    def broken_commit():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        enrichment.save_upload(
            workspace.id, None, "f.csv", io.BytesIO(factories.contacts_csv(2))
        )
    monkeypatch.undo()
    assert_nothing_kept(app)


# NUL in the file name


def test_nul_and_control_characters_are_dropped_from_the_file_name(
    app, client, api_headers
):
    response = post_csv(
        client, api_headers, factories.contacts_csv(2), name="my\x00li\x1bst.csv"
    )
    assert response.status_code == 202
    assert response.json["filename"] == "mylist.csv"
    assert db.session.scalar(select(Upload.filename)) == "mylist.csv"


def test_a_file_name_of_only_nul_becomes_upload_csv():
    assert enrichment.clean_filename("\x00\x00") == "upload.csv"
    assert enrichment.clean_filename("../../etc/\x00passwd.csv") == "passwd.csv"
