"""Prospecting: a self-hosted prospecting workbench."""

from flask import Flask
from werkzeug.routing import IntegerConverter


class IdConverter(IntegerConverter):
    """<int:…> ids that fit a 64-bit column; larger ones match no route (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config_class=None, **overrides) -> Flask:
    """Build the app from a config class (PROSPECTING_ENV by default) and overrides."""
    from config import config_from_env
    from prospecting import auth
    from prospecting import cli
    from prospecting import connections
    from prospecting import errors
    from prospecting import inputs
    from prospecting import models  # noqa: F401  (registers every table)
    from prospecting import security
    from prospecting import templating
    from prospecting.extensions import csrf
    from prospecting.extensions import db
    from prospecting.extensions import init_huey
    from prospecting.extensions import login_manager
    from prospecting.extensions import migrate
    from prospecting.services import audit  # noqa: F401  (audits every new job)
    from prospecting.services.jobs import kinds
    from prospecting.views import register_blueprints

    config_class = config_class or config_from_env()
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.from_object(config_class)
    app.config.update(overrides)
    # Before anything else: the app, gunicorn and every flask command refuse to
    # start with a setting production cannot run with.
    config_class.check(app.config)
    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    app.url_map.converters["int"] = IdConverter
    db.init_app(app)
    connections.init_app(app)
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR", "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    init_huey(app)
    kinds.load()
    security.init_app(app)
    auth.init_app(app)
    inputs.init_app(app)
    templating.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
    errors.init_app(app)
    _say_what_is_not_configured(app)
    return app


def _say_what_is_not_configured(app: Flask) -> None:
    """In production, log each provider still pointing at the sandbox (or unset)."""
    from prospecting.providers import settings

    for message in settings.not_configured(app.config).values():
        app.logger.warning("%s Jobs that need it fail at once.", message)


def _ensure_sqlite_folder(uri: str) -> None:
    """Create the folder of a SQLite database file (instance/ on a fresh clone)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    url = make_url(uri)
    if url.get_backend_name() == "sqlite" and url.database not in (
        None,
        "",
        ":memory:",
    ):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
