"""Error pages and JSON errors: never a traceback, always a clear message."""

import logging

from flask import jsonify
from flask import render_template
from flask import request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from prospecting.htmx import is_htmx
from prospecting.security import InvalidJson
from prospecting.services.errors import ServiceError

logger = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    401: "You need to sign in.",
    403: "You do not have access to this.",
    404: "There is nothing here.",
    405: "That action is not allowed here.",
    413: "The upload is too large.",
    422: "The input could not be processed.",
    429: "Too many attempts; wait a minute and try again.",
    500: "Something went wrong on our side; the error was logged.",
}

# The error code of a status when the raiser names none.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


def api_family(name: str):
    """Mark the JSON views of one API family (its token message names its headers).

    Every family answers errors in the one envelope (`error_body`); what differs
    between families is their success bodies, kept as their seed clients read
    them (providers.md §7)."""

    def mark(view):
        view.api_family = name
        return view

    return mark


def error_body(code: str, message: str, details=None) -> dict:
    """The one error envelope of every JSON API: {"error": {code, message, details}}
    (details: null, or the fields and rows at fault)."""
    return {"error": {"code": code, "message": message, "details": details}}


def wants_json() -> bool:
    if request.blueprint == "api" or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def error_response(status: int, message: str, *, code: str | None = None, details=None):
    if wants_json():
        return jsonify(
            error_body(code or CODES.get(status, str(status)), message, details)
        ), status
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, status=status, message=message), status


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(
            400,
            "The form expired or is missing its security token; "
            "reload the page and try again.",
            code="csrf",
        )

    @app.errorhandler(ServiceError)
    def service_error(exc):
        return error_response(
            exc.status_code, exc.message, code=exc.code, details=exc.details
        )

    @app.errorhandler(InvalidJson)
    def invalid_json(exc):
        return error_response(400, exc.description, code=exc.error_code)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 413:
            mb = app.config.get("MAX_UPLOAD_MB")
            body, status = error_response(
                413, f"The upload is larger than the {mb} MB limit.", code="too_large"
            )
        else:
            message = MESSAGES.get(exc.code, exc.description)
            body, status = error_response(exc.code or 500, message)
        return body, status, _headers_of(exc)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(exc):
        # A number from the URL too large for a database column is bad input.
        logger.warning(
            "out-of-range value on %s %s: %s", request.method, request.path, exc
        )
        return error_response(
            422, "A number in the request is out of range.", code="out_of_range"
        )

    @app.errorhandler(Exception)
    def unhandled(exc):
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, MESSAGES[500], code="internal")


def _headers_of(exc: HTTPException) -> dict:
    """The exception's own headers (a 405's Allow, a 401's WWW-Authenticate), without
    its content type: the body is ours."""
    return {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
