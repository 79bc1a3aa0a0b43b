"""The steps the upload pages share (the book's import, the enrichment): store the
file, read it as the preview's choices say, and hand the preview to the page.

No blueprint: each area keeps its routes, its page and its own start."""

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from flask import g
from flask import redirect
from flask import request
from flask import url_for
from flask_login import current_user

from prospecting.forms import READING
from prospecting.forms import UploadForm
from prospecting.models import Upload
from prospecting.services import csvfiles
from prospecting.services import enrichment
from prospecting.services.errors import InvalidInput


def describe(exc: InvalidInput) -> str:
    """A refusal's message, naming its row when the message does not."""
    row = (exc.details or {}).get("row") if isinstance(exc.details, dict) else None
    return (
        f"{exc.message} (row {row})"
        if row and f"Row {row}" not in exc.message
        else exc.message
    )


def receive(
    page: Callable, preview: str, describe: Callable[[InvalidInput], str] = describe
):
    """Store the UploadForm's file and redirect to its preview (`preview`, an
    endpoint taking `upload_id`). A refusal shows `page(form, status, error)`:
    422 with the error under the field, or the service's status and message."""
    form = UploadForm()
    if not form.validate_on_submit():
        return page(form, 422, None)
    file = form.file.data
    try:
        saved = enrichment.save_upload(
            g.workspace.id, current_user.id, file.filename, file.stream
        )
    except InvalidInput as exc:
        return page(form, exc.status_code, describe(exc))
    return redirect(url_for(preview, upload_id=saved.id))


def requested_reading() -> dict:
    """The encoding, delimiter and sheet chosen in the query string (None where
    not chosen: detected, or the first sheet)."""
    return {name: request.args.get(name) or None for name in READING}


@dataclass
class Previewed:
    """An upload read for its preview page: its sheets (a workbook's), the
    preview of the chosen one, or the refusal that stopped it."""

    upload: Upload
    reading: dict
    fields: tuple[str, ...]
    sheets: list[str] = field(default_factory=list)
    pv: csvfiles.Preview | None = None
    refusal: InvalidInput | None = None

    def context(self) -> dict:
        """What every preview page renders: the upload, its sheets, the preview,
        the fields to map and the reading (encoding, delimiter, sheet)."""
        return {
            "upload": self.upload,
            "sheets": self.sheets,
            "pv": self.pv,
            "fields": self.fields,
            **self.reading,
        }


def read(upload: Upload, reading: dict, fields=csvfiles.BOOK_FIELDS) -> Previewed:
    """Read an upload's sheets and its preview as `reading` says (mapping
    `fields`); a file that cannot be read so is kept as the refusal."""
    previewed = Previewed(upload, reading, fields)
    try:
        previewed.sheets = enrichment.sheets(upload)
        previewed.pv = enrichment.preview(
            g.workspace.id, upload.id, fields=fields, **reading
        )
    except InvalidInput as exc:
        previewed.refusal = exc
    return previewed
