"""One export mechanism for every table: rows streamed from one Core query in chunks,
written as CSV for spreadsheets (formula-safe), CSV for import (values as stored)
or XLSX (text cells), with a choice of columns."""

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass

from prospecting.services.errors import InvalidInput

# After the names tables uses from this package.
from prospecting.services.exports import tables  # noqa: E402
from prospecting.services.exports.cells import guarded
from prospecting.services.exports.query import Column
from prospecting.services.exports.query import Copyable
from prospecting.services.exports.query import column
from prospecting.services.exports.query import copy_csv
from prospecting.services.exports.query import keyset_rows
from prospecting.services.exports.query import pick
from prospecting.services.exports.writers import CONTENT_TYPES
from prospecting.services.exports.writers import FORMATS
from prospecting.services.exports.writers import MODES
from prospecting.services.exports.writers import write


@dataclass(frozen=True)
class Options:
    """How to write an export: format, CSV mode and the columns asked for."""

    fmt: str = "csv"
    mode: str = "spreadsheet"
    columns: str | None = None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.fmt]

    def filename(self, stem: str) -> str:
        return f"{stem}.{self.fmt}"


def options(
    fmt: str | None = None, mode: str | None = None, columns: str | None = None
) -> Options:
    """Options from query arguments; a bad one is InvalidInput naming its field."""
    fmt, mode = fmt or "csv", mode or "spreadsheet"
    for name, value, allowed in (("format", fmt, FORMATS), ("mode", mode, MODES)):
        if value not in allowed:
            raise InvalidInput(
                f"{name} must be one of {', '.join(allowed)}.",
                code=f"bad_{name}",
                details={"field": name},
            )
    return Options(fmt=fmt, mode=mode, columns=columns or None)


def stream(
    header: Sequence[str], rows: Iterable[Sequence[str]], opts: Options
) -> Iterator[str | bytes]:
    """The export's bytes or text, chunk by chunk."""
    return write(header, rows, fmt=opts.fmt, mode=opts.mode)


__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "MODES",
    "Column",
    "Copyable",
    "Options",
    "column",
    "copy_csv",
    "guarded",
    "keyset_rows",
    "options",
    "pick",
    "stream",
    "tables",
]
