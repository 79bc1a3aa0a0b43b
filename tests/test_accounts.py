"""Accounts: login, workspace scoping, API tokens, CSRF, CLI."""

import hashlib
import logging
import os
import subprocess
import sys
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from config import TestConfig
from prospecting import create_app
from prospecting.auth import safe_next
from prospecting.extensions import db
from prospecting.extensions import init_huey
from prospecting.models import ApiToken
from prospecting.models import User
from prospecting.services import accounts
from prospecting.views import accounts as accounts_views
from tests import factories

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["/", "/enrichment/", "/settings"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_redirect_anonymous_users_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_page_is_public(client):
    assert client.get("/login").status_code == 200


def test_login_with_right_password_opens_home(client, user):
    response = factories.login(client, user.email)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_with_wrong_password_is_refused(client, user):
    response = factories.login(client, user.email, "wrong password")
    assert response.status_code == 401
    assert b"Wrong email or password" in response.data
    assert client.get("/").status_code == 302


def test_login_attempts_are_rate_limited(client, user, app):
    app.config["LOGIN_RATE_LIMIT"] = "3/minute"
    codes = [
        factories.login(client, "nobody@x.test", "bad").status_code for _ in range(5)
    ]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]


def test_session_cookie_is_httponly_and_samesite_lax(client, user):
    response = factories.login(client, user.email)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/enrichment/", "/enrichment/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_safe_next_only_allows_local_paths(app, target, expected):
    with app.test_request_context():
        assert safe_next(target) == expected


def test_logout_needs_post(auth_client):
    assert auth_client.get("/logout").status_code == 405
    assert auth_client.post("/logout").status_code == 302
    assert auth_client.get("/").status_code == 302


def test_token_is_shown_once_and_stored_hashed(auth_client, workspace):
    response = auth_client.post(
        "/settings/tokens", data={"name": "crawler"}, follow_redirects=True
    )
    assert response.status_code == 200  # after the redirect (Post/Redirect/Get)
    token = db.session.scalars(db.select(ApiToken)).one()
    assert token.role == "member"  # the default
    page = response.get_data(as_text=True)
    raw = page.split('id="new-token">New token: <code>')[1].split("</code>")[0]
    assert raw.startswith("psk_")
    assert raw not in token.token_hash
    assert raw not in auth_client.get("/settings").get_data(as_text=True)


def test_api_accepts_x_api_key_and_bearer(client, workspace):
    raw = factories.make_token(workspace.id)
    job = factories.make_job(workspace.id, params={"filename": "a.csv"})
    for headers in ({"X-API-Key": raw}, {"Authorization": f"Bearer {raw}"}):
        assert client.get(f"/jobs/{job.id}/status", headers=headers).status_code == 200


def test_api_refuses_missing_wrong_and_revoked_tokens_with_json_401(client, workspace):
    job = factories.make_job(workspace.id)
    raw = factories.make_token(workspace.id)
    token = db.session.scalars(db.select(ApiToken)).one()
    from prospecting.services import accounts

    accounts.revoke_token(workspace.id, token.id)
    for headers in ({}, {"X-API-Key": "psk_wrong"}, {"X-API-Key": raw}):
        response = client.get(f"/jobs/{job.id}/status", headers=headers)
        assert response.status_code == 401
        assert response.is_json
        assert response.json["error"]["code"] == "unauthorized"


def test_csrf_token_is_required_on_forms_and_accepted_from_htmx_header(
    tmp_path, sandbox_url
):
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'csrf.db'}",
        WTF_CSRF_ENABLED=True,
    )
    with app.app_context():
        db.create_all()
        user = factories.make_user(email="c@x.test")
        ws = user.memberships[0].workspace
        job = factories.make_job(ws.id, status="running")
        client = app.test_client()
        assert factories.login(client, user.email).status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post(
            "/login",
            data={
                "email": user.email,
                "password": factories.PASSWORD,
                "csrf_token": token,
            },
        )
        assert client.post(f"/jobs/{job.id}/cancel").status_code == 400
        home = client.get("/").get_data(as_text=True)
        header_token = home.split('"X-CSRFToken": "')[1].split('"')[0]
        response = client.post(
            f"/jobs/{job.id}/cancel",
            headers={"X-CSRFToken": header_token, "HX-Request": "true"},
        )
        assert response.status_code == 200
        db.session.remove()
        db.engine.dispose()


def test_cli_users_create_then_tokens_create_prints_token_last(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "ops@x.test",
            "--password",
            "longpassword",
            "--workspace",
            "Ops",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["tokens", "create", "--workspace", "Ops"])
    assert result.exit_code == 0
    raw = result.output.strip().splitlines()[-1]
    from prospecting.services import accounts

    assert accounts.workspace_for_token(raw) is not None


def test_cli_fails_with_message_for_unknown_workspace(runner):
    result = runner.invoke(args=["tokens", "create", "--workspace", "Nope"])
    assert result.exit_code == 1
    assert "No workspace named 'Nope'" in result.output


def test_cli_users_set_password(runner, user, client):
    result = runner.invoke(
        args=["users", "set-password", user.email, "--password", "another-password"]
    )
    assert result.exit_code == 0
    assert factories.login(client, user.email, "another-password").status_code == 302


# Sessions end on logout and on a password change (every device)


def copied_session(client) -> str:
    """The signed session cookie as an attacker would copy it."""
    return client.get_cookie("session").value


def visit(client, path: str = "/"):
    """GET in an app context of its own, as a real request runs: nothing (the user
    Flask-Login keeps on `g`, the database session) carries over from the test."""
    with client.application.app_context():
        return client.get(path)


def replay(app, name: str, value: str):
    """A fresh browser that carries only the copied cookie."""
    other = app.test_client()
    other.set_cookie(name, value)
    return visit(other)


def test_logout_ends_every_earlier_session(app, client, user):
    factories.login(client, user.email)
    other_device = app.test_client()
    factories.login(other_device, user.email)
    stolen = copied_session(client)
    assert replay(app, "session", stolen).status_code == 200
    assert client.post("/logout").status_code == 302
    refused = replay(app, "session", stolen)
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert visit(other_device).status_code == 302  # signed out there too
    factories.login(client, user.email)  # a new sign-in works
    assert visit(client).status_code == 200


def test_set_password_ends_every_earlier_session(app, client, runner, user):
    factories.login(client, user.email)
    stolen = copied_session(client)
    result = runner.invoke(
        args=["users", "set-password", user.email, "--password", "a-new-password"]
    )
    assert result.exit_code == 0, result.output
    assert replay(app, "session", stolen).status_code == 302
    assert visit(client).status_code == 302


def test_resetting_a_password_with_users_create_ends_every_earlier_session(
    app, client, runner, user
):
    factories.login(client, user.email)
    stolen = copied_session(client)
    result = runner.invoke(
        args=[
            "users",
            "create",
            user.email,
            "--password",
            "a-new-password",
            "--workspace",
            "Acme",
        ]
    )
    assert result.exit_code == 0, result.output
    assert replay(app, "session", stolen).status_code == 302


def remember_cookie(app, client, user) -> str:
    response = client.post(
        "/login",
        data={"email": user.email, "password": factories.PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    return client.get_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))


def test_remember_cookie_is_refused_after_logout(app, client, user):
    cookie = remember_cookie(app, client, user)
    assert replay(app, cookie.key, cookie.value).status_code == 200
    client.post("/logout")
    refused = replay(app, cookie.key, cookie.value)
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_remember_cookie_is_refused_after_set_password(app, client, runner, user):
    cookie = remember_cookie(app, client, user)
    runner.invoke(
        args=["users", "set-password", user.email, "--password", "a-new-password"]
    )
    assert replay(app, cookie.key, cookie.value).status_code == 302


def test_a_refused_remember_cookie_is_cleared(app, client, user):
    cookie = remember_cookie(app, client, user)
    accounts.end_sessions(user.id)
    other = app.test_client()
    other.set_cookie(cookie.key, cookie.value)
    response = visit(other)
    assert response.status_code == 302
    cleared = [h for h in response.headers.getlist("Set-Cookie") if cookie.key in h]
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared[0]


def test_remember_cookie_lasts_thirty_days_by_default(app, client, user):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    cookie = remember_cookie(app, client, user)
    lifetime = cookie.expires - datetime.now(UTC)
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)


def test_remember_cookie_lifetime_is_a_setting():
    code = "import config; print(config.Config.REMEMBER_COOKIE_DURATION.days)"
    env = {**os.environ, "REMEMBER_COOKIE_DAYS": "7"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == "7", result.stderr


# Sign-in while Redis is down


def test_login_works_while_redis_is_down(app, client, user, caplog, monkeypatch):
    """The limiter falls back to this process's memory (with a warning) instead of
    answering 503; it still counts there."""
    monkeypatch.setattr(accounts_views, "_storage_down_until", {}, raising=False)
    down = "redis://127.0.0.1:1/0"
    app.config.update(
        RATELIMIT_STORAGE_URL=down,
        LOGIN_RATE_LIMIT="3 per 56 seconds",  # a window no other test counts in
        HUEY_STORAGE="redis",
        REDIS_URL=down,
        HUEY_IMMEDIATE=False,
    )
    init_huey(app)
    try:
        with caplog.at_level(logging.WARNING, logger="prospecting.views.accounts"):
            signed_in = factories.login(client, user.email)
            home = client.get("/")
        client.post("/logout")
        answers = [
            factories.login(client, user.email, "wrong").status_code for _ in range(3)
        ]
    finally:
        app.config.update(HUEY_STORAGE="memory", HUEY_IMMEDIATE=True)
        init_huey(app)
    assert signed_in.status_code == 302
    assert home.status_code == 200 and "The job queue is unreachable" in home.text
    assert "login rate limit storage unreachable" in caplog.text
    assert answers == [401, 401, 429]


# Timing: one password hash whether the email exists or not


@pytest.fixture
def scrypt_calls(monkeypatch):
    """The (n, r, p) of every scrypt hash computed while the test runs."""
    calls = []
    real = hashlib.scrypt

    def counting(password, *, salt, n, r, p, **kwargs):
        calls.append((n, r, p))
        return real(password, salt=salt, n=n, r=r, p=p, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def test_unknown_and_known_emails_cost_one_hash_with_the_same_parameters(
    app, user, scrypt_calls
):
    costs = {}
    for email, password in [
        ("nobody@acme.test", factories.PASSWORD),
        (user.email, "wrong password"),
        (user.email, factories.PASSWORD),
    ]:
        scrypt_calls.clear()
        accounts.authenticate(email, password)
        costs[(email, password)] = list(scrypt_calls)
    assert list(costs.values()) == [[(32768, 8, 1)]] * 3


def test_the_dummy_hash_uses_the_method_of_new_passwords():
    current = generate_password_hash("anything")
    assert accounts.password_method(accounts.DUMMY_PASSWORD_HASH) == (
        accounts.password_method(current)
    )
    assert check_password_hash(accounts.DUMMY_PASSWORD_HASH, "") is False


def test_an_older_hash_is_brought_up_to_date_at_sign_in(app, user):
    user.password_hash = generate_password_hash(factories.PASSWORD, "pbkdf2:sha256")
    db.session.commit()
    assert accounts.authenticate(user.email, factories.PASSWORD) == user
    assert accounts.password_method(user.password_hash).startswith("scrypt:")
    assert accounts.authenticate(user.email, factories.PASSWORD) == user


# Behind a reverse proxy


def proxied_app(tmp_path, proxies: int):
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'proxied.db'}",
        TRUSTED_PROXIES=proxies,
        # A window of its own: the in-memory counts are shared by the process.
        LOGIN_RATE_LIMIT=f"2 per {50 + proxies} seconds",
    )
    with app.app_context():
        db.create_all()
    return app


def login_from(app, address: str, attempt: int) -> int:
    """A failed sign-in of a client at `address`, as the proxy forwards it."""
    client = app.test_client()
    with app.app_context():
        return client.post(
            "/login",
            data={"email": f"n{attempt}@x.test", "password": "wrong"},
            headers={"X-Forwarded-For": address},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy
        ).status_code


def test_behind_a_trusted_proxy_each_client_has_its_own_login_limit(tmp_path):
    app = proxied_app(tmp_path, proxies=1)
    first = [login_from(app, "198.51.100.1", i) for i in range(3)]
    second = login_from(app, "198.51.100.2", 9)
    assert first == [401, 401, 429]
    assert second == 401


def test_without_trusted_proxies_a_forwarded_address_is_ignored(tmp_path):
    """Forged X-Forwarded-For headers do not buy fresh attempts."""
    app = proxied_app(tmp_path, proxies=0)
    answers = [login_from(app, f"198.51.100.{i}", i) for i in range(3)]
    assert answers == [401, 401, 429]


# Operators


def test_cli_creates_an_operator_and_grants_and_revokes_the_flag(runner):
    def flag(email):
        db.session.expire_all()
        return db.session.scalars(db.select(User).filter_by(email=email)).one()

    create = ["users", "create", "op@x.test", "--password", "longpassword"]
    result = runner.invoke(args=[*create, "--workspace", "Ops", "--operator"])
    assert result.exit_code == 0 and "(operator)" in result.output
    assert flag("op@x.test").is_operator
    runner.invoke(args=[*create, "--workspace", "Ops"])  # a reset keeps the flag
    assert flag("op@x.test").is_operator
    result = runner.invoke(args=["users", "set-operator", "op@x.test", "--off"])
    assert result.exit_code == 0 and "no longer an operator" in result.output
    assert not flag("op@x.test").is_operator
    runner.invoke(args=["users", "set-operator", "op@x.test", "--on"])
    assert flag("op@x.test").is_operator
    result = runner.invoke(args=["users", "set-operator", "no@x.test", "--on"])
    assert result.exit_code == 1 and "No user no@x.test" in result.output
    plain = ["users", "create", "member@x.test", "--password", "longpassword"]
    runner.invoke(args=[*plain, "--workspace", "Ops"])
    assert not flag("member@x.test").is_operator


def test_demo_user_is_an_operator_outside_production(runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    demo = db.session.scalars(db.select(User).filter_by(email="demo@example.com"))
    assert demo.one().is_operator


# Changing one's own password


def change(client, current=factories.PASSWORD, new="a-new-password", confirm=None):
    return client.post(
        "/settings/password",
        data={"current": current, "new": new, "confirm": confirm or new},
    )


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(
    app, client, user
):
    factories.login(client, user.email)
    other_device = app.test_client()
    factories.login(other_device, user.email)
    stolen = copied_session(client)
    response = change(client)
    assert response.status_code == 302
    page = visit(client, response.headers["Location"])
    assert page.status_code == 200 and "other sessions are signed out" in page.text
    assert visit(other_device).status_code == 302
    assert replay(app, "session", stolen).status_code == 302
    with app.app_context():
        new = factories.login(app.test_client(), user.email, "a-new-password")
    with app.app_context():
        old = factories.login(app.test_client(), user.email)
    assert (new.status_code, old.status_code) == (302, 401)


def test_a_password_change_needs_the_current_password_and_matching_new_ones(
    app, auth_client, user
):
    wrong = change(auth_client, current="not my password")
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.text
    differ = change(auth_client, new="a-new-password", confirm="another-password")
    assert differ.status_code == 422 and "The two new passwords differ." in differ.text
    short = change(auth_client, new="short")
    assert short.status_code == 422
    assert visit(auth_client).status_code == 200  # still signed in
    assert accounts.authenticate(user.email, factories.PASSWORD) is not None


def test_a_password_change_renews_this_browsers_remember_cookie(app, client, user):
    old = remember_cookie(app, client, user)
    assert change(client).status_code == 302
    new = client.get_cookie(old.key)
    assert new.value != old.value
    assert replay(app, new.key, new.value).status_code == 200
    assert replay(app, old.key, old.value).status_code == 302
