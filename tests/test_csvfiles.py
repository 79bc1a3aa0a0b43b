import random
import time
import tracemalloc
import zipfile
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pytest

from prospecting.services.csvfiles import ENCODINGS
from prospecting.services.csvfiles import FIELDS
from prospecting.services.csvfiles import CsvError
from prospecting.services.csvfiles import Dialect
from prospecting.services.csvfiles import apply_mapping
from prospecting.services.csvfiles import auto_map
from prospecting.services.csvfiles import detect_dialect
from prospecting.services.csvfiles import iter_rows
from prospecting.services.csvfiles import preview
from prospecting.services.csvfiles import safe_cell
from prospecting.services.csvfiles import write_csv


def write(tmp_path: Path, data: bytes | str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def read_all(path: Path, **options) -> list[tuple[int, dict[str, str]]]:
    return list(iter_rows(path, detect_dialect(path), **options))


def refusal(call, *args, **kwargs) -> CsvError:
    with pytest.raises(CsvError) as info:
        result = call(*args, **kwargs)
        if isinstance(result, Iterator):
            list(result)
    return info.value


# Dialect detection


def test_preview_reads_simple_comma_file(tmp_path):
    path = write(tmp_path, "Name,Email,Company\nAnn Lee,ann@acme.com,Acme\n")

    result = preview(path)

    assert result.dialect == Dialect(encoding="utf-8", delimiter=",", has_bom=False)
    assert result.headers == ["Name", "Email", "Company"]
    assert result.rows == [["Ann Lee", "ann@acme.com", "Acme"]]
    assert result.mapping["email"] == "Email"
    assert result.warnings == []


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_sniff_detects_semicolon_tab_and_pipe_delimiters(tmp_path, delimiter):
    lines = [
        ["name", "email", "note"],
        ["Ann", "ann@x.com", "a, b"],
        ["Bo", "b@x", "c"],
    ]
    path = write(tmp_path, "".join(delimiter.join(line) + "\n" for line in lines))

    assert detect_dialect(path).delimiter == delimiter
    assert read_all(path)[0][1] == {"name": "Ann", "email": "ann@x.com", "note": "a, b"}


def test_sniff_prefers_consistent_delimiter_over_commas_inside_values(tmp_path):
    text = "name;company\nAnn;Acme, Inc.\nBo;Foo, Bar, Baz\nCy;Qux\n"

    assert detect_dialect(write(tmp_path, text)).delimiter == ";"


def test_sniff_defaults_single_column_file_to_comma(tmp_path):
    path = write(tmp_path, "email\nann@x.com\nbo@x.com\n")

    assert detect_dialect(path).delimiter == ","
    assert [record for _, record in read_all(path)][1] == {"email": "bo@x.com"}


def test_given_delimiter_overrides_detection(tmp_path):
    path = write(tmp_path, "a;b,c\n1;2,3\n")

    assert detect_dialect(path, delimiter=";").delimiter == ";"
    assert preview(path, delimiter=";").headers == ["a", "b,c"]


@pytest.mark.parametrize("delimiter", [",,", "", '"', "\n", "a"])
def test_bad_delimiter_is_refused(tmp_path, delimiter):
    path = write(tmp_path, "a,b\n1,2\n")

    error = refusal(detect_dialect, path, delimiter=delimiter)

    assert error.code == "bad_delimiter"
    assert "single character" in error.message


# Encodings


def test_detect_dialect_detects_cp1252_with_accents_and_euro(tmp_path):
    text = "name;city;price\nRené Müller;Zürich;12 €\nJosé;Café;5 €\n"
    path = write(tmp_path, text.encode("cp1252"))

    dialect = detect_dialect(path)

    assert dialect == Dialect(encoding="cp1252", delimiter=";", has_bom=False)
    assert read_all(path)[0][1] == {
        "name": "René Müller",
        "city": "Zürich",
        "price": "12 €",
    }


def test_latin1_override_is_used_for_reading(tmp_path):
    path = write(tmp_path, "name,city\nJürgen,Köln ±\n".encode("latin-1"))

    result = preview(path, encoding="latin-1")

    assert result.dialect.encoding == "latin-1"
    assert result.rows == [["Jürgen", "Köln ±"]]


def test_utf16_file_with_bom_is_decoded(tmp_path):
    path = write(tmp_path, "name\temail\nZoë\tzoe@x.com\n".encode("utf-16"))

    result = preview(path)

    assert result.dialect == Dialect(encoding="utf-16", delimiter="\t", has_bom=True)
    assert result.headers == ["name", "email"]
    assert read_all(path) == [(1, {"name": "Zoë", "email": "zoe@x.com"})]


def test_utf16_file_without_bom_is_recognised_by_its_nul_pattern(tmp_path):
    path = write(tmp_path, "name,email\nAnn,ann@x.com\n".encode("utf-16-le"))

    assert detect_dialect(path).encoding == "utf-16-le"
    assert read_all(path) == [(1, {"name": "Ann", "email": "ann@x.com"})]


def test_utf8_bom_is_stripped_from_first_header_and_reported(tmp_path):
    path = write(tmp_path, "\ufeffemail,name\nann@x.com,Ann\n")

    result = preview(path)

    assert result.dialect == Dialect(encoding="utf-8", delimiter=",", has_bom=True)
    assert result.headers == ["email", "name"]
    assert result.mapping["email"] == "email"


def test_utf8_detection_tolerates_a_character_cut_by_the_sample_end(tmp_path):
    # The first 64 KiB end in the middle of the two-byte "é".
    filler = "b" * (64 * 1024 - len("name,note\na,") - 1)
    path = write(tmp_path, f"name,note\na,{filler}é\nc,d\n")

    assert detect_dialect(path).encoding == "utf-8"
    assert read_all(path)[1] == (2, {"name": "c", "note": "d"})


def test_unknown_encoding_is_refused(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")

    error = refusal(detect_dialect, path, encoding="klingon-8")

    assert error.code == "encoding"
    assert "klingon-8" in error.message


def test_bytes_to_bytes_codec_is_refused_as_encoding(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")

    assert refusal(detect_dialect, path, encoding="base64").code == "encoding"


def test_wrong_encoding_names_the_row_and_suggests_another(tmp_path):
    text = "name,city\nAnn,Paris\nBo,Lyon\nRené,Zürich\n"
    path = write(tmp_path, text.encode("cp1252"))
    dialect = Dialect(encoding="utf-8", delimiter=",", has_bom=False)

    rows = iter_rows(path, dialect)
    assert [number for number, _ in (next(rows), next(rows))] == [1, 2]
    error = refusal(list, rows)

    assert error.code == "encoding"
    assert error.row == 3
    assert "Row 3" in error.message
    assert "0xE9" in error.message
    assert "try another encoding" in error.message


def test_encodings_offered_are_all_usable_for_reading(tmp_path):
    for encoding in ENCODINGS:
        path = write(tmp_path, "name,city\nRené,Köln\n".encode(encoding))

        result = preview(path, encoding=encoding)

        assert result.dialect.encoding == encoding
        assert result.rows == [["René", "Köln"]]


# Not a CSV


def test_xlsx_workbook_is_refused_as_excel(tmp_path):
    path = tmp_path / "contacts.xlsx"
    with zipfile.ZipFile(path, "w") as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/workbook.xml", "<workbook/>")

    error = refusal(preview, path)

    assert error.code == "binary"
    assert "Excel workbook (.xlsx)" in error.message


def test_other_zip_archive_is_refused_as_zip(tmp_path):
    path = tmp_path / "contacts.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("contacts.csv", "a,b\n1,2\n")

    error = refusal(detect_dialect, path)

    assert error.code == "binary"
    assert "zip archive" in error.message


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"GIF89a\x01\x00\x01\x00", "GIF"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "Excel"),
    ],
)
def test_known_binary_formats_are_refused_by_magic(tmp_path, data, kind):
    error = refusal(detect_dialect, write(tmp_path, data))

    assert error.code == "binary"
    assert kind in error.message


def test_nul_bytes_mark_a_file_as_binary(tmp_path):
    path = write(tmp_path, b"name,email\n\x00\x00\x01\x02ann,\x00x\n" * 20)

    error = refusal(detect_dialect, path)

    assert error.code == "binary"
    assert "not a CSV" in error.message


def test_random_bytes_are_refused_as_binary(tmp_path):
    data = random.Random(7).randbytes(20_000)

    assert refusal(detect_dialect, write(tmp_path, data)).code == "binary"


def test_random_bytes_without_nul_are_refused_as_binary(tmp_path):
    data = random.Random(7).randbytes(20_000).replace(b"\x00", b"")

    assert refusal(detect_dialect, write(tmp_path, data)).code == "binary"


# Empty, header only, header problems


@pytest.mark.parametrize(
    "data", [b"", b"  \r\n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"]
)
def test_empty_file_is_refused(tmp_path, data):
    error = refusal(preview, write(tmp_path, data))

    assert (error.code, error.message) == ("empty", "The file is empty.")


def test_header_only_file_is_refused_by_preview(tmp_path):
    error = refusal(preview, write(tmp_path, "name,email\n\n"))

    assert (error.code, error.row) == ("header_only", 1)
    assert error.message == "The file has a header row but no data rows."


def test_header_only_file_is_refused_by_iter_rows(tmp_path):
    path = write(tmp_path, "name,email")

    assert refusal(read_all, path).code == "header_only"


def test_file_of_only_delimiters_has_no_header(tmp_path):
    error = refusal(preview, write(tmp_path, ",,\n,,\n"))

    assert (error.code, error.row) == ("no_header", 1)


def test_duplicate_headers_are_renamed_case_insensitively(tmp_path):
    path = write(tmp_path, "email,Email,EMAIL,email_2\na,b,c,d\n")

    result = preview(path)

    assert result.headers == ["email", "Email_2", "EMAIL_3", "email_2_2"]
    assert "Duplicate header 'Email' renamed to 'Email_2'." in result.warnings
    assert result.rows == [["a", "b", "c", "d"]]


def test_blank_header_names_are_named_by_position(tmp_path):
    result = preview(write(tmp_path, "name,,  ,email\n1,2,3,4\n"))

    assert result.headers == ["name", "column_2", "column_3", "email"]
    assert any("column_2, column_3" in warning for warning in result.warnings)


def test_header_names_are_trimmed_and_inner_whitespace_collapsed(tmp_path):
    result = preview(write(tmp_path, ' First \t Name ," E-Mail "\nAnn,a@x\n'))

    assert result.headers == ["First Name", "E-Mail"]
    assert result.mapping["first_name"] == "First Name"
    assert result.mapping["email"] == "E-Mail"


def test_leading_blank_lines_before_header_are_skipped(tmp_path):
    result = preview(write(tmp_path, "\n\nname,email\nAnn,a@x\n"))

    assert result.headers == ["name", "email"]


def test_header_over_column_limit_is_refused_with_count(tmp_path):
    header = ",".join(f"c{i}" for i in range(501))

    error = refusal(preview, write(tmp_path, f"{header}\n" + "x," * 500 + "x\n"))

    assert (error.code, error.row) == ("too_many_columns", 1)
    assert "501" in error.message
    assert "limit is 500" in error.message


def test_million_column_header_is_refused_quickly_in_bounded_memory(tmp_path):
    path = write(tmp_path, ",".join(["c"] * 1_000_000) + "\nx\n")

    tracemalloc.start()
    started = time.perf_counter()
    try:
        error = refusal(preview, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert error.code == "too_many_columns"
    assert error.row == 1
    assert "at least" in error.message
    assert time.perf_counter() - started < 5
    assert peak < 8 * 1024 * 1024


def test_million_empty_header_columns_are_counted_without_parsing(tmp_path):
    path = write(tmp_path, "," * 999_999 + "\nx\n")

    error = refusal(preview, path)

    assert error.code == "too_many_columns"
    assert "1,000,000 columns" in error.message


# Rows


def test_short_rows_are_padded_with_empty_strings(tmp_path):
    rows = read_all(write(tmp_path, "name,email,phone\nAnn\nBo,b@x\n"))

    assert rows == [
        (1, {"name": "Ann", "email": "", "phone": ""}),
        (2, {"name": "Bo", "email": "b@x", "phone": ""}),
    ]


def test_long_rows_keep_extra_fields_as_extra_n(tmp_path):
    rows = read_all(write(tmp_path, "name,email\nAnn,a@x,x1,x2\n"))

    assert rows == [
        (1, {"name": "Ann", "email": "a@x", "extra_1": "x1", "extra_2": "x2"})
    ]


def test_extra_field_names_skip_existing_headers(tmp_path):
    rows = read_all(write(tmp_path, "name,extra_1\nAnn,a,b\n"))

    assert rows == [(1, {"name": "Ann", "extra_1": "a", "extra_2": "b"})]


def test_preview_warns_about_ragged_rows_and_fits_rows_to_header(tmp_path):
    path = write(tmp_path, "name,email\nAnn\nBo,b@x,x\nCy,c@x,y,z\nDi,d@x\n")

    result = preview(path)

    assert result.rows == [["Ann", ""], ["Bo", "b@x"], ["Cy", "c@x"], ["Di", "d@x"]]
    assert result.warnings == [
        "2 rows have more fields than the header; "
        "extra fields are kept under extra_1, extra_2, ...",
        "1 row has fewer fields than the header; missing fields are left empty.",
    ]


def test_preview_returns_only_the_first_rows(tmp_path):
    path = write(tmp_path, "n\n" + "".join(f"{i}\n" for i in range(1, 50)))

    result = preview(path, limit=3)

    assert result.rows == [["1"], ["2"], ["3"]]


def test_blank_lines_are_skipped_and_not_counted(tmp_path):
    rows = read_all(write(tmp_path, "name,email\n\nAnn,a@x\n,\n  \r\nBo,b@x\n\n"))

    assert [(number, record["name"]) for number, record in rows] == [
        (1, "Ann"),
        (2, "Bo"),
    ]


def test_mixed_line_endings_parse_right(tmp_path):
    path = write(tmp_path, b"name,email\r\nAnn,a@x\nBo,b@x\rCy,c@x\r\nDi,d@x")

    rows = read_all(path)

    assert [record["name"] for _, record in rows] == ["Ann", "Bo", "Cy", "Di"]
    assert rows[-1] == (4, {"name": "Di", "email": "d@x"})


def test_quoted_fields_keep_newlines_delimiters_and_doubled_quotes(tmp_path):
    text = (
        "name,note,email\r\n"
        '"Lee, Ann","line one\r\nline ""two""\nline, three",a@x\r\n'
        '"""Bo""","",b@x\n'
    )

    rows = read_all(write(tmp_path, text))

    assert rows == [
        (
            1,
            {
                "name": "Lee, Ann",
                "note": 'line one\r\nline "two"\nline, three',
                "email": "a@x",
            },
        ),
        (2, {"name": '"Bo"', "note": "", "email": "b@x"}),
    ]


def test_unterminated_quote_names_the_row(tmp_path):
    path = write(tmp_path, 'name,email\nAnn,a@x\nBo,"b@x\nCy,c@x\n')

    error = refusal(read_all, path)

    assert (error.code, error.row) == ("unterminated_quote", 2)
    assert error.message.startswith("Row 2 has an opening quote that is never closed")
    assert "line 3" in error.message


def test_unterminated_quote_in_large_file_stops_at_the_field_limit(tmp_path):
    path = write(tmp_path, 'name,email\nAnn,"a@x\n' + "Bo,b@x\n" * 100_000)

    error = refusal(read_all, path)

    assert (error.code, error.row) == ("unterminated_quote", 1)


def test_unterminated_quote_in_header_is_reported(tmp_path):
    error = refusal(preview, write(tmp_path, '"name,email\nAnn,a@x\n'))

    assert (error.code, error.row) == ("unterminated_quote", 1)
    assert error.message.startswith("The header row has an opening quote")


def test_huge_single_line_is_refused(tmp_path):
    path = write(tmp_path, "name,email\nAnn,a@x\n" + "x," * 600_000 + "x\n")

    error = refusal(read_all, path)

    assert (error.code, error.row) == ("line_too_long", 2)
    assert "Row 2 is longer than 1,048,576 characters (line 3)" in error.message


def test_field_larger_than_csv_limit_is_refused(tmp_path):
    path = write(tmp_path, "name,note\nAnn," + "x" * 200_000 + "\n")

    error = refusal(read_all, path)

    assert (error.code, error.row) == ("line_too_long", 1)
    assert "field longer than" in error.message


def test_field_larger_than_max_field_bytes_is_refused(tmp_path):
    path = write(tmp_path, "name,note\nAnn,short\nBo," + "x" * 500 + "\n")

    error = refusal(read_all, path, max_field_bytes=100)

    assert (error.code, error.row) == ("line_too_long", 2)
    assert "longer than 100 characters" in error.message


def test_data_row_over_column_limit_is_refused(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n" + "x," * 20 + "x\n")

    error = refusal(read_all, path, max_columns=10)

    assert (error.code, error.row) == ("too_many_columns", 2)


def test_more_than_max_rows_is_refused_after_the_allowed_rows(tmp_path):
    path = write(tmp_path, "n\n" + "".join(f"{i}\n" for i in range(1, 6)))
    rows = iter_rows(path, detect_dialect(path), max_rows=3)

    seen = [number for number, _ in (next(rows), next(rows), next(rows))]
    error = refusal(next, rows)

    assert seen == [1, 2, 3]
    assert (error.code, error.row) == ("too_many_rows", 4)
    assert "more than 3 data rows" in error.message


def test_exactly_max_rows_is_accepted(tmp_path):
    path = write(tmp_path, "n\n1\n2\n3\n")

    assert len(read_all(path, max_rows=3)) == 3


def test_iter_rows_streams_200k_rows_in_bounded_memory(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as file:
        file.write("name,email,company\r\n")
        for i in range(1, 200_001):
            file.write(f"Person {i},p{i}@example.com,Company {i % 97}\r\n")
    dialect = detect_dialect(path)

    # Tracing only the first 20k rows keeps the test fast; a reader that loaded
    # the ~9 MB file up front would already show it in the peak.
    tracemalloc.start()
    try:
        rows = iter_rows(path, dialect)
        for _ in range(20_000):
            next(rows)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    ((count, record),) = deque(rows, maxlen=1)

    assert peak < 1024 * 1024
    assert count == 200_000
    assert record == {
        "name": "Person 200000",
        "email": "p200000@example.com",
        "company": "Company 83",
    }


def test_preview_and_iter_rows_parse_the_same_way(tmp_path):
    path = write(tmp_path, 'a;b\n"x;1";2\n\n3\n4;5;6\n')
    result = preview(path)

    rows = read_all(path)

    assert result.rows == [[r["a"], r["b"]] for _, r in rows]


# Mapping


@pytest.mark.parametrize(
    ("field", "synonyms"),
    [
        ("name", ["name", "Full Name", "fullname", "Contact Name", "contact"]),
        ("first_name", ["First Name", "firstname", "Given-Name", "first"]),
        ("last_name", ["Last Name", "lastname", "SURNAME", "family_name", "last"]),
        (
            "email",
            [
                "Email",
                "E-mail",
                "email address",
                "E-Mail Address",
                "mail",
                "Work Email",
            ],
        ),
        (
            "company",
            [
                "Company",
                "company name",
                "Organization",
                "organisation",
                "org",
                "Employer",
                "Account",
            ],
        ),
        (
            "phone",
            [
                "phone",
                "Mobile",
                "Phone 1",
                "phone_number",
                "Telephone",
                "tel.",
                "Cell",
                "Mobile Phone",
                "phone1",
            ],
        ),
        (
            "website",
            [
                "Website",
                "domain",
                "URL",
                "web",
                "Company Website",
                "company.domain",
                "site",
            ],
        ),
    ],
)
def test_auto_map_recognises_each_synonym_family(field, synonyms):
    for synonym in synonyms:
        mapping = auto_map(["Notes", synonym])

        assert mapping[field] == synonym, synonym
        assert [value for value in mapping.values() if value] == [synonym]


def test_auto_map_maps_a_typical_export_and_uses_each_header_once():
    headers = ["First Name", "Last Name", "Email", "Email_2", "Company", "Phone", "URL"]

    assert auto_map(headers) == {
        "name": None,
        "first_name": "First Name",
        "last_name": "Last Name",
        "email": "Email",
        "company": "Company",
        "phone": "Phone",
        "website": "URL",
    }
    assert set(auto_map(headers)) == set(FIELDS)


def test_auto_map_prefers_the_closest_synonym():
    assert auto_map(["Mail", "Email"])["email"] == "Email"


def test_apply_mapping_joins_first_and_last_name_without_name_column():
    mapping = auto_map(["First Name", "Last Name", "Email"])
    record = {"First Name": " Ann ", "Last Name": "Lee ", "Email": " ann@x.com "}

    assert apply_mapping(record, mapping) == {
        "name": "Ann Lee",
        "email": "ann@x.com",
        "company": "",
        "phone": "",
        "website": "",
    }


def test_apply_mapping_prefers_the_full_name_column():
    mapping = auto_map(["Name", "First Name", "Last Name"])
    record = {"Name": "Dr. Ann Lee", "First Name": "Ann", "Last Name": "Lee"}

    assert apply_mapping(record, mapping)["name"] == "Dr. Ann Lee"


def test_apply_mapping_uses_a_lone_first_or_last_name():
    mapping = {"first_name": "f", "last_name": "l"}

    assert apply_mapping({"f": "", "l": "Lee"}, mapping)["name"] == "Lee"
    assert apply_mapping({"f": "Ann", "l": " "}, mapping)["name"] == "Ann"


# Export


@pytest.mark.parametrize(
    "prefix", ["=", "+", "-", "@", "|", "%", "\t", "\r", "\n", "\0"]
)
def test_safe_cell_neutralises_each_dangerous_prefix(prefix):
    assert safe_cell(f"{prefix}cmd|' /C calc'!A0") == f"'{prefix}cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), ("", ""), ("Ann", "Ann"), ("a=b", "a=b"), (42, "42"), (-5, "-5")],
)
def test_safe_cell_leaves_safe_values_alone(value, expected):
    assert safe_cell(value) == expected


def test_write_csv_quotes_every_cell_with_crlf_and_bom():
    chunks = list(write_csv(["name", "note"], [["Ann", 'say "hi", ok'], [None, 3]]))

    assert chunks[0] == "\ufeff"
    assert "".join(chunks[1:]) == (
        '"name","note"\r\n"Ann","say ""hi"", ok"\r\n"","3"\r\n'
    )


def test_write_csv_without_bom_neutralises_formulas_in_header_and_rows():
    text = "".join(write_csv(["=title"], [["=1+1"], ["@SUM(A1)"]], bom=False))

    assert text == '"\'=title"\r\n"\'=1+1"\r\n"\'@SUM(A1)"\r\n'


def test_write_csv_streams_lazily():
    def rows():
        yield ["a"]
        raise AssertionError("consumed too far")

    chunks = write_csv(["h"], rows(), bom=False)

    assert next(chunks) == '"h"\r\n'
    assert next(chunks) == '"a"\r\n'
