"""Fixtures: a per-test app on a temp SQLite file, Huey in immediate mode, and the
sandbox providers served over real HTTP by a live server thread.

Three costs paid once a session instead of once a test: the empty schema (each
test gets a copy of one SQLite file), the URL builders of the app's rules
(compiled when first used), and scrypt (a pure function, remembered on its
inputs; factories.make_user shares one hash per password).
"""

import functools
import hashlib
import logging
import shutil
import threading

import pytest
from werkzeug.routing.rules import Rule
from werkzeug.serving import make_server

from config import TestConfig
from prospecting import create_app
from prospecting.extensions import db
from prospecting.sandbox import faults
from prospecting.services import accounts
from tests import factories

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def _lazy_url_builders() -> None:
    """Compile each rule's URL builder when it first builds a URL: an app has
    hundreds of rules, a test builds a few, and create_app per test was mostly
    this compilation. The builders are werkzeug's own, unchanged."""
    compile_builder = Rule._compile_builder

    def lazy(self, append_unknown=True):
        built = None

        def build(rule, **values):
            nonlocal built
            if built is None:
                built = compile_builder(rule, append_unknown).__get__(rule, None)
            return built(**values)

        return build

    Rule._compile_builder = lazy


def _remembered_scrypt() -> None:
    """hashlib.scrypt remembered on its inputs (it is deterministic): a test's
    sign-in with the factory password costs nothing after the first."""
    scrypt = functools.lru_cache(maxsize=256)(hashlib.scrypt)

    @functools.wraps(hashlib.scrypt)
    def remembered(password, *, salt, n, r, p, maxmem=0, dklen=64):
        return scrypt(bytes(password), salt=bytes(salt), n=n, r=r, p=p,
                      maxmem=maxmem, dklen=dklen)  # fmt: skip

    hashlib.scrypt = remembered


_lazy_url_builders()
_remembered_scrypt()


@pytest.fixture(scope="session")
def sandbox_url():
    """Base URL of the sandbox providers, served over real HTTP for the session."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sandbox"
    server.shutdown()


@pytest.fixture(autouse=True)
def _clean_sandbox_faults():
    faults.set_overrides({})
    yield
    faults.set_overrides({})


def provider_urls(sandbox_url: str) -> dict:
    """Config overrides pointing every provider client at the sandbox."""
    return {
        "SANDBOX_URL": sandbox_url,
        "EMAIL_VERIFIER_URL": f"{sandbox_url}/reacher",
        "COMPANY_ENRICHER_URL": f"{sandbox_url}/apollo",
        "HUNTER_URL": f"{sandbox_url}/hunter",
        "PDL_URL": f"{sandbox_url}/pdl",
        "ATTESTR_URL": f"{sandbox_url}/attestr",
        "AIRTABLE_URL": f"{sandbox_url}/airtable",
        "UNIPILE_DEFAULT_DSN": f"{sandbox_url}/unipile",
        "REACHSTREAM_URL": f"{sandbox_url}/reachstream",
        "OUTREACH_SENDER_URL": f"{sandbox_url}/chat",
    }


@pytest.fixture(scope="session")
def empty_schema(tmp_path_factory):
    """A SQLite file holding every table, empty, made once for the session."""
    folder = tmp_path_factory.mktemp("schema")
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'schema.db'}",
        UPLOAD_DIR=str(folder / "uploads"),
    )
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return folder / "schema.db"


@pytest.fixture
def app(tmp_path, sandbox_url, empty_schema):
    shutil.copyfile(empty_schema, tmp_path / "test.db")
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'test.db'}",
        UPLOAD_DIR=str(tmp_path / "uploads"),
        **provider_urls(sandbox_url),
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def user(app):
    """A user who owns the workspace 'Acme'."""
    return factories.make_user(email="owner@acme.test", workspace="Acme")


@pytest.fixture
def auth_client(client, user):
    """A test client signed in as `user`."""
    factories.login(client, user.email)
    return client


@pytest.fixture
def operator_client(auth_client, user):
    """`auth_client` whose user is an operator (the whole system's operations)."""
    accounts.set_operator(user.email, True)
    return auth_client


@pytest.fixture
def workspace(user):
    return user.memberships[0].workspace


@pytest.fixture
def api_headers(workspace):
    """Headers carrying a fresh API token of `workspace`."""
    return {"X-API-Key": factories.make_token(workspace.id)}


@pytest.fixture
def other_workspace(app):
    """A second workspace with its own user, for isolation tests."""
    other = factories.make_user(email="someone@other.test", workspace="Other")
    return other.memberships[0].workspace


@pytest.fixture
def htmx():
    return dict(HTMX)
