"""Request and response hardening: trusted proxies, security headers, JSON bodies
with limits, and the one check every external link from data goes through."""

import json
from urllib.parse import urlsplit

import flask
from flask import current_app
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

from prospecting import inputs

# Only the app's own scripts and styles: no inline script, no style attribute
# (htmx's indicator rule is in app.css, see base.html's htmx-config).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
_SECURITY_HEADER_ITEMS = list(SECURITY_HEADERS.items())
_SECURITY_HEADER_KEYS = {name.lower() for name in SECURITY_HEADERS}
DEFAULT_JSON_MAX_DEPTH = 64
EXTERNAL_SCHEMES = ("http", "https")


def init_app(app) -> None:
    """Trust the configured proxies, parse JSON bodies with limits, add headers."""
    proxies = app.config.get("TRUSTED_PROXIES") or 0
    if proxies:
        # Only the address and scheme: a Host the proxy does not overwrite would
        # be the client's to choose.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.request_class = Request
    app.session_interface = SessionInterface()
    app.after_request(add_security_headers)
    app.add_template_filter(external_url)


def add_security_headers(response):
    """Every response carries the security headers (a view may set its own)."""
    headers = response.headers
    # One pass over the response's few headers; setdefault looked each name up.
    if _SECURITY_HEADER_KEYS.isdisjoint([name.lower() for name, _ in headers]):
        headers.extend(_SECURITY_HEADER_ITEMS)
        return response
    for name, value in _SECURITY_HEADER_ITEMS:
        headers.setdefault(name, value)
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, without its per-request set-up cost: the
    signing serializer is built once per set of keys (Flask built one on every
    request), a request without a session cookie (the JSON API, the sandbox, a
    first visit) opens an empty session without one, and an empty session that
    was not changed is saved by adding only the Vary header Flask adds."""

    _serializer = (None, None)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached_keys, serializer = self._serializer
        if cached_keys != keys:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)
        return serializer

    def open_session(self, app, request):
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ
            or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if session or session.modified:
            super().save_session(app, session, response)
        elif session.accessed:
            response.vary.add("Cookie")


def external_url(value) -> str | None:
    """The value when it is an absolute http(s) URL, else None: the only way a
    URL from data (providers, uploads, crawlers) may reach an href."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    # urlsplit drops the tabs and newlines a browser would ignore ("java\tscript:").
    parts = urlsplit(url)
    if parts.scheme.lower() not in EXTERNAL_SCHEMES or not parts.hostname:
        return None
    return url


class InvalidJson(BadRequest):
    """A JSON request body that cannot be parsed or is nested too deeply."""

    error_code = "invalid_json"


def parse_json(data: bytes | str):
    """A request body's JSON value, or InvalidJson (a 400) with the reason; text
    that cannot be stored is an InvalidInput (a 422 naming where it is)."""
    limit = _max_depth()
    too_deep = InvalidJson(
        f"The request body is JSON nested more than {limit} levels deep."
    )
    try:
        value = json.loads(data)
    except RecursionError:
        raise too_deep from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise InvalidJson(f"The request body is not valid JSON: {exc}") from None
    if _deeper_than(value, limit):
        raise too_deep
    # Text the database cannot store (NUL, a lone surrogate): 422 naming its path.
    return inputs.check_json(value)


def _max_depth() -> int:
    if flask.has_app_context():
        return current_app.config.get("JSON_MAX_DEPTH", DEFAULT_JSON_MAX_DEPTH)
    return DEFAULT_JSON_MAX_DEPTH


def _deeper_than(value, limit: int) -> bool:
    # Iterative: code that walks the value later must not hit the recursion limit.
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


class Request(flask.Request):
    """Flask's request, whose JSON body is read by parse_json: a body that is not
    JSON or is nested too deeply is an InvalidJson (400) even for get_json(silent=
    True), which then only skips a body that does not claim to be JSON."""

    _body_json = Ellipsis

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        if not (force or self.is_json):
            return super().get_json(force=force, silent=silent, cache=cache)
        if self._body_json is Ellipsis or not cache:
            value = parse_json(self.get_data(cache=cache))
            if not cache:
                return value
            self._body_json = value
        return self._body_json
