"""The sandbox providers alone: `gunicorn prospecting.sandbox.server:app`.

The main app mounts the sandbox at /sandbox (development, tests); this app serves
the same blueprint at the same paths with the same settings, without the main
app's machinery that a provider stand-in never uses: no database, no login, no
CSRF, no page hooks and 29 routes to match instead of a couple of hundred. The
app's own part of a provider call costs about a fifth less CPU (in-process); most
of what a call costs its server is then gunicorn's. That matters where the
sandbox answers every provider call of a benchmark beside the workers it
measures.

What the fake providers do is the blueprint's, so it is the same in both: the
contracts they enforce, their answers, latency, rate limits and faults. The
request hardening is the main app's too (prospecting/security.py: trusted
proxies, JSON bodies parsed with their depth limit, the security headers). An
error a view does not answer itself (a body that is not JSON, a path no provider
has) is the app's JSON error envelope (errors.error_body), never a page: this app
has no templates.
"""

from flask import Flask
from flask import jsonify
from werkzeug.exceptions import HTTPException

from config import ConfigError


def create_app(config_class=None, **overrides) -> Flask:
    """The sandbox app from a config class (PROSPECTING_ENV by default)."""
    from config import config_from_env
    from prospecting import security
    from prospecting.sandbox import bp

    config_class = config_class or config_from_env()
    app = Flask(__name__, static_folder=None)
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.check(app.config)
    if not app.config["SANDBOX_ENABLED"]:
        raise ConfigError(
            "SANDBOX_ENABLED is off: this server only serves the sandbox providers."
        )
    security.init_app(app)
    _json_errors(app)
    app.register_blueprint(bp)
    return app


def _json_errors(app: Flask) -> None:
    from prospecting import errors
    from prospecting.security import InvalidJson
    from prospecting.services.errors import ServiceError

    def answer(status: int, message: str, code: str | None = None, details=None):
        code = code or errors.CODES.get(status, str(status))
        return jsonify(errors.error_body(code, message, details)), status

    @app.errorhandler(ServiceError)
    def service_error(exc):
        return answer(exc.status_code, exc.message, exc.code, exc.details)

    @app.errorhandler(InvalidJson)
    def invalid_json(exc):
        return answer(400, exc.description, exc.error_code)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        body, status = answer(
            exc.code or 500, errors.MESSAGES.get(exc.code, exc.description)
        )
        # The exception's own headers (a 405's Allow), not its content type.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(Exception)
    def unhandled(exc):
        errors.logger.exception("unhandled sandbox error")
        return answer(500, errors.MESSAGES[500], "internal")


_app: Flask | None = None


def __getattr__(name: str):
    # `app` is built on first use (gunicorn's import), not when tests import this.
    global _app
    if name != "app":
        raise AttributeError(name)
    if _app is None:
        _app = create_app()
    return _app
