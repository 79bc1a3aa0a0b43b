"""Accounts: login, workspace scoping, API tokens, CSRF, CLI."""

import pytest

from config import TestConfig
from prospecting import create_app
from prospecting.auth import safe_next
from prospecting.extensions import db
from prospecting.models import ApiToken
from tests import factories

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
    response = auth_client.post("/settings/tokens", data={"name": "crawler"})
    assert response.status_code == 200
    token = db.session.scalars(db.select(ApiToken)).one()
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
