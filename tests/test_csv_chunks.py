"""The import's chunked reader reads exactly what the careful (preview) reader
reads: the same rows with the same numbers, and the same refusal naming the same
row, whatever the file; it only hands over to the careful reader when a chunk
breaks a limit or might."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from prospecting.services.csvfiles import CsvError
from prospecting.services.csvfiles import Dialect
from prospecting.services.csvfiles import chunks as csv_chunks
from prospecting.services.csvfiles import iter_chunks
from prospecting.services.csvfiles import iter_records
from prospecting.services.csvfiles import reading as csv_reading

UTF8 = Dialect(encoding="utf-8", delimiter=",", has_bom=False)

PIECES = ["a", "b,c", '"q,x"', '"open', 'close"', "", " ", '""', '"a""b"', ",,", "\t",
          "é", "\x00", "z" * 40, '"multi\nline"', "\xff"]  # fmt: skip
ENDS = ["\n", "\r\n", "\r"]


def careful(path: Path, start_after: int = 0, **limits) -> tuple[list, tuple | None]:
    rows = []
    try:
        for number, fields in iter_records(path, UTF8, **limits):
            if number > start_after:
                rows.append((number, fields))
    except CsvError as exc:
        return rows, (exc.code, exc.message, exc.row)
    return rows, None


def chunked(path: Path, chunk_rows: int, start_after: int = 0, **limits):
    rows = []
    try:
        for first, part in iter_chunks(
            path, UTF8, chunk_rows=chunk_rows, start_after=start_after, **limits
        ):
            assert part, "no empty chunks"
            rows.extend(enumerate(part, first))
    except CsvError as exc:
        return rows, (exc.code, exc.message, exc.row)
    return rows, None


def assert_same(path: Path, chunk_rows: int, start_after: int = 0, **limits):
    expected, refusal = careful(path, start_after, **limits)
    rows, got = chunked(path, chunk_rows, start_after, **limits)
    assert got == refusal
    if refusal is None:
        assert rows == expected
    else:
        # Rows before a refusal come in whole chunks, so a prefix of them.
        assert rows == expected[: len(rows)]


@st.composite
def csv_files(draw) -> bytes:
    lines = ["name,email,x"]
    for _ in range(draw(st.integers(0, 14))):
        fields = draw(st.lists(st.sampled_from(PIECES), max_size=5))
        lines.append(",".join(fields))
    ends = draw(st.lists(st.sampled_from(ENDS), min_size=len(lines),
                         max_size=len(lines)))  # fmt: skip
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    # "\xff" stands for a byte that is not UTF-8.
    return text.encode("utf-8").replace("\xff".encode(), b"\xff")


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    data=csv_files(),
    chunk_rows=st.integers(1, 6),
    start_after=st.sampled_from([0, 0, 1, 4]),
    max_rows=st.sampled_from([None, None, 3]),
    small=st.booleans(),
)
def test_chunked_reader_reads_exactly_what_the_careful_reader_reads(
    tmp_path, monkeypatch, data, chunk_rows, start_after, max_rows, small
):
    if small:  # tiny limits put block cuts and over-long lines and fields in play
        monkeypatch.setattr(csv_reading, "LINE_LIMIT", 64)
        monkeypatch.setattr(csv_chunks, "LINE_LIMIT", 64)
        monkeypatch.setattr(csv_chunks, "_BLOCK_CHARS", 16)
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    limits = {"max_rows": max_rows, "max_columns": 4,
              "max_field_bytes": 30 if small else 1000}  # fmt: skip
    assert_same(path, chunk_rows, start_after, **limits)


def test_a_clean_file_never_needs_the_careful_reader(tmp_path, monkeypatch):
    path = tmp_path / "f.csv"
    body = "".join(f'P{i},p{i}@x.io,"a, ""b"""\r\n' for i in range(5000))
    path.write_text("name,email,note\r\n" + body + "\r\n\r\n", newline="")

    def careful_reader(*args, **kwargs):
        raise AssertionError("the chunked reader handed over on a clean file")

    monkeypatch.setattr(csv_chunks, "iter_records", careful_reader)
    chunks = list(iter_chunks(path, UTF8, chunk_rows=1000))
    assert [first for first, _ in chunks] == [1, 1001, 2001, 3001, 4001]
    assert chunks[-1][1][-1] == ["P4999", "p4999@x.io", 'a, "b"']


def test_chunked_reader_skips_rows_already_imported(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("email\n" + "".join(f"p{i}@x.io\n" for i in range(1, 11)))
    chunks = list(iter_chunks(path, UTF8, chunk_rows=4, start_after=6))
    assert chunks == [(7, [["p7@x.io"], ["p8@x.io"]]), (9, [["p9@x.io"], ["p10@x.io"]])]


def test_chunked_reader_hands_out_rows_up_to_the_limit_then_refuses(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("email\n" + "".join(f"p{i}@x.io\n" for i in range(1, 11)))
    rows = []
    with pytest.raises(CsvError) as refused:
        for first, part in iter_chunks(path, UTF8, chunk_rows=4, max_rows=6):
            rows.extend(enumerate(part, first))
    assert [n for n, _ in rows] == [1, 2, 3, 4, 5, 6]
    assert (refused.value.code, refused.value.row) == ("too_many_rows", 7)


def test_chunked_reader_refuses_an_unclosed_quote_at_the_end_like_the_preview(
    tmp_path,
):
    path = tmp_path / "f.csv"
    path.write_text('name,email\nAda,ada@x.io\n"Bob,bob@x.io\n')
    with pytest.raises(CsvError) as refused:
        list(iter_chunks(path, UTF8, chunk_rows=10))
    assert (refused.value.code, refused.value.row) == ("unterminated_quote", 2)


def test_chunked_reader_names_the_row_with_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"name,email\nAda,ada@x.io\nJos\xe9,jose@x.io\n")
    with pytest.raises(CsvError) as refused:
        list(iter_chunks(path, UTF8, chunk_rows=10))
    assert (refused.value.code, refused.value.row) == ("encoding", 2)
