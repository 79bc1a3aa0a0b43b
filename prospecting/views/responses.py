"""Response helpers shared by the page blueprints."""

from collections.abc import Iterable

from flask import Response
from flask import stream_with_context


def csv_download(lines: Iterable[str], filename: str) -> Response:
    """Stream CSV text as an attachment (the lines come from csvfiles.write_csv)."""
    return Response(
        stream_with_context(lines),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
