"""Response helpers shared by the page and API blueprints."""

from collections.abc import Iterable

from flask import Response
from flask import flash
from flask import jsonify
from flask import request
from flask import stream_with_context

from prospecting import tasks
from prospecting.services import exports


def csv_download(lines: Iterable[str], filename: str) -> Response:
    """Stream CSV text as an attachment (the lines come from csvfiles.write_csv)."""
    return Response(
        stream_with_context(lines),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def export_options():
    """Export format, CSV mode and columns from the query string (`columns` as a
    comma-separated list or repeated); a bad value is InvalidInput naming it."""
    columns = ",".join(request.args.getlist("columns"))
    return exports.options(
        request.args.get("format"), request.args.get("mode"), columns
    )


def export_download(chunks: Iterable[str | bytes], opts, stem: str) -> Response:
    """Stream an export (services.exports.stream) as an attachment named after
    `stem` and its format."""
    return Response(
        stream_with_context(chunks),
        content_type=opts.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{opts.filename(stem)}"'
        },
    )


def warn_if_not_sent(sent: bool) -> None:
    """Flash that a saved job waits for the queue (tasks.enqueue_batches False)."""
    if not sent:
        flash(tasks.NOT_SENT_NOTICE, "warning")


def created(body: dict, status: int, *, sent: bool):
    """The JSON answer of created work: `status` when its messages were queued,
    else 202 with a notice that it starts once the queue is back."""
    if sent:
        return jsonify(body), status
    return jsonify({**body, "notice": tasks.NOT_SENT_NOTICE}), 202


def requested_page() -> int:
    """The 1-based `?page=` of an HTML pager; missing or bad values are page 1."""
    return max(1, request.args.get("page", 1, type=int) or 1)
