"""A CSV or XLSX file straight into the book: its rows read through the upload
readers (csvfiles) with the columns mapped in the preview."""

from prospecting.services import csvfiles
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import TooLarge

MAX_FILE_ROWS = 100_000
# A contact can be reached by one of these; the mapping must name one of them.
CHANNELS = ("email", "phone", "linkedin_url")
_MAX_VALUE = 500


def read_book_rows(
    path, dialect: csvfiles.Dialect, mapping: dict, *, max_columns: int = 500
) -> list[dict]:
    """The file's rows as book fields (name, email, phone, title, company,
    website, linkedin_url, location) with the unmapped columns under `extra`;
    InvalidInput naming the field or row at fault."""
    if not any(mapping.get(channel) for channel in CHANNELS):
        raise InvalidInput(
            "mapping: no email, phone or LinkedIn column (map one of email, "
            "phone or linkedin_url).",
            code="no_channel_column",
            details={"field": "mapping"},
        )
    rows = []
    try:
        for _, record in csvfiles.iter_rows(
            path, dialect, max_rows=MAX_FILE_ROWS, max_columns=max_columns
        ):
            fields = csvfiles.apply_book_mapping(record, mapping)
            row = {
                name: value[:_MAX_VALUE]
                for name, value in fields.items()
                if name != "extra" and value
            }
            if fields["extra"]:
                row["extra"] = {
                    k[:100]: v[:_MAX_VALUE] for k, v in fields["extra"].items()
                }
            rows.append(row)
    except csvfiles.CsvError as exc:
        error = TooLarge if exc.code == "too_many_rows" else InvalidInput
        raise error(f"file: {exc.message}", code=exc.code) from exc
    return rows
