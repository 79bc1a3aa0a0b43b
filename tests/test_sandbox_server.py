"""The sandbox served alone (prospecting/sandbox/server.py): the same fake
providers as the main app's /sandbox, answering the same, with the same request
hardening, and none of the main app's machinery."""

import pytest

from config import ConfigError
from config import TestConfig
from prospecting.sandbox import server
from prospecting.security import SECURITY_HEADERS

REACHER = "/sandbox/reacher/v1/check_email"
APOLLO = "/sandbox/apollo/api/v1/organizations/enrich"

# (method, path, kwargs): valid calls and calls the real providers refuse.
CALLS = [
    ("post", REACHER, {"json": {"to_email": "ada@example.com"}}),
    ("post", REACHER, {"json": {"to_email": "info@catchall-co.com"}}),
    ("post", REACHER, {"json": {"to_email": "x"}}),
    ("post", REACHER, {"json": {"to_email": "ada@example.com", "extra": 1}}),
    ("post", REACHER, {"json": ["not", "an", "object"]}),
    ("post", REACHER, {"json": {"to_email": "ada@example.com"}, "auth": None}),
    ("post", REACHER, {"json": {"to_email": "ada@example.com"}, "auth": "invalid"}),
    ("get", APOLLO, {"query_string": {"domain": "stripe.com"}}),
    ("get", APOLLO, {"query_string": {"domain": "unknown-co.com"}}),
    ("get", APOLLO, {"query_string": {"domain": "www.stripe.com"}}),
    ("get", APOLLO, {"query_string": {"domain": "stripe.com", "api_key": "k"}}),
    ("get", APOLLO, {"query_string": {}}),
    ("get", APOLLO, {"query_string": {"domain": "stripe.com"}, "auth": None}),
]


@pytest.fixture
def lean():
    return server.create_app(TestConfig).test_client()


def _call(client, method, path, kwargs):
    kwargs = dict(kwargs)
    auth = kwargs.pop("auth", "sandbox-key")
    headers = {}
    if auth is not None:
        headers = {"Authorization": auth, "x-api-key": auth}
    return getattr(client, method)(path, headers=headers, **kwargs)


@pytest.mark.parametrize("method,path,kwargs", CALLS)
def test_the_lean_sandbox_answers_as_the_main_apps(client, lean, method, path, kwargs):
    """Same status, same body, same provider headers as /sandbox of the app."""
    main = _call(client, method, path, kwargs)
    alone = _call(lean, method, path, kwargs)
    assert alone.status_code == main.status_code
    assert alone.mimetype == main.mimetype
    if main.is_json:
        assert alone.json == main.json
    else:
        assert alone.data == main.data
    for name, value in main.headers.items():
        if name.lower().startswith("x-") or name in SECURITY_HEADERS:
            assert alone.headers[name] == value, name


def test_it_refuses_to_start_with_the_sandbox_disabled():
    with pytest.raises(ConfigError, match="SANDBOX_ENABLED"):
        server.create_app(TestConfig, SANDBOX_ENABLED=False)


def test_it_serves_the_sandbox_alone(lean):
    """Only the sandbox's routes: no page, no API, no static files."""
    rules = {rule.rule for rule in lean.application.url_map.iter_rules()}
    assert rules and all(rule.startswith("/sandbox/") for rule in rules)
    assert lean.get("/login").status_code == 404
    assert lean.get("/health").status_code == 404


def test_errors_are_the_json_envelope(lean):
    """A body that is not JSON, text that cannot be stored, a path no provider
    has and a wrong method: the app's error envelope, never a page."""
    headers = {"Authorization": "sandbox-key"}
    bad = lean.post(
        REACHER, data="{oops", content_type="application/json", headers=headers
    )
    assert bad.status_code == 400
    assert bad.json["error"]["code"] == "invalid_json"
    nul = lean.post(REACHER, json={"to_email": "a\x00@b.com"}, headers=headers)
    assert nul.status_code == 422
    assert nul.json["error"]["details"] == {"path": "$.to_email"}
    missing = lean.get("/sandbox/nowhere")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    wrong = lean.delete(REACHER)
    assert wrong.status_code == 405
    assert wrong.json["error"]["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]
    for response in (bad, nul, missing, wrong):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value


def test_its_runtime_settings_are_the_sandboxs(lean):
    """/sandbox/_config sets the faults its providers answer with."""
    lean.put("/sandbox/_config", json={"error_rate": 1.0})
    failed = lean.post(
        REACHER,
        json={"to_email": "ada@example.com"},
        headers={"Authorization": "sandbox-key"},
    )
    assert failed.status_code == 503


def test_gunicorn_finds_the_app_by_name(monkeypatch):
    """`gunicorn prospecting.sandbox.server:app` builds it once, on first use."""
    monkeypatch.setattr(server, "_app", None)
    monkeypatch.setenv("PROSPECTING_ENV", "test")
    first = server.app
    assert server.app is first
    assert first.url_map.bind("localhost").match(REACHER, method="POST")
    with pytest.raises(AttributeError):
        server.nothing  # noqa: B018
