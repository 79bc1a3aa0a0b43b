"""Response helpers shared by the page and API blueprints."""

from collections.abc import Iterable

from flask import Response
from flask import flash
from flask import jsonify
from flask import stream_with_context

from prospecting import tasks


def csv_download(lines: Iterable[str], filename: str) -> Response:
    """Stream CSV text as an attachment (the lines come from csvfiles.write_csv)."""
    return Response(
        stream_with_context(lines),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
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
