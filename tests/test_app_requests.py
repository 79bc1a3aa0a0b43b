"""What every request costs the app's hooks: a request that needs no database,
session or cookie (the sandbox, the JSON API) touches none, and what the hooks
cut keeps its behaviour (the session cookie, key rotation, read-only polls)."""

from flask import g
from sqlalchemy import event
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import ApiToken
from prospecting.security import SECURITY_HEADERS
from tests import factories


def _statements():
    """The isolation level of every SQL statement run while the list is live."""
    levels = []

    def record(conn, *_args):
        levels.append(conn.get_execution_options().get("isolation_level"))

    return levels, record


def test_a_sandbox_call_runs_no_sql_and_sets_no_cookie(app, client):
    """Does a provider call to the sandbox leave the database and the session
    alone, while still carrying the security headers?"""
    levels, record = _statements()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.post(
            "/sandbox/reacher/v1/check_email",
            json={"to_email": "ada@example.com"},
            headers={"Authorization": "sandbox-key"},
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert response.json["input"] == "ada@example.com"
    assert levels == []
    assert "Set-Cookie" not in response.headers
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_the_api_job_status_reads_without_a_transaction(client, workspace):
    """Does the API's status poll read in autocommit, and is the token's
    last-used stamp (its one write a minute, a statement of its own) kept?"""
    token = factories.make_token(workspace.id)
    job = factories.make_job(workspace.id, status="running", progress_total=10)
    job_id = job.id
    db.session.commit()
    levels, record = _statements()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        first = client.get(f"/jobs/{job_id}/status", headers={"X-API-Key": token})
        db.session.commit()  # tests share one session; a request's ends with it
        stamping, levels[:] = list(levels), []
        second = client.get(f"/jobs/{job_id}/status", headers={"X-API-Key": token})
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert first.status_code == second.status_code == 200
    assert second.json["job_id"] == job_id
    assert second.json["status"] == "processing"
    assert "Set-Cookie" not in second.headers
    # The token's lookup and its stamp; after that commit the job is read in a
    # transaction of its own (the next minute's polls read in autocommit).
    assert stamping[:2] == ["AUTOCOMMIT", "AUTOCOMMIT"]
    assert levels and set(levels) == {"AUTOCOMMIT"}
    stamped = db.session.scalars(select(ApiToken.last_used_at)).all()
    assert stamped and all(stamped)


def test_a_session_cookie_opens_under_a_rotated_key_only_with_the_fallback(
    app, client, user
):
    """Is the session serializer (built once per key set) rebuilt when the keys
    change: a cookie signed with the old key opens while the old key is a
    fallback, and is refused (the login page) once it is not?"""
    factories.login(client, user.email)
    assert client.get("/").status_code == 200
    cookie = client.get_cookie("session").value
    old = app.config["SECRET_KEY"]
    app.config.update(SECRET_KEY="a-new-key-" + "x" * 40, SECRET_KEY_FALLBACKS=[old])
    # The fixture's app context outlives requests: forget the user it loaded.
    g.pop("_login_user", None)
    kept = app.test_client()
    kept.set_cookie("session", cookie)
    assert kept.get("/").status_code == 200
    app.config.update(SECRET_KEY_FALLBACKS=[])
    g.pop("_login_user", None)
    refused = app.test_client()
    refused.set_cookie("session", cookie)
    response = refused.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_request_without_a_session_cookie_sets_none_until_one_is_needed(client):
    """Does a request without a cookie open an empty session without setting a
    cookie (still answering Vary: Cookie), while a login page sets one?"""
    health = client.get("/health")
    assert health.status_code == 200
    assert "Set-Cookie" not in health.headers
    assert "Cookie" in health.headers.get("Vary", "")
    response = client.get("/login")
    assert response.status_code == 200
    # The login form's CSRF token is kept in the session: its cookie is set.
    assert "session=" in response.headers.get("Set-Cookie", "")


def test_the_session_serializer_is_built_once_per_key_set(app):
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    app.config["SECRET_KEY"] = "another-key-" + "y" * 40
    assert interface.get_signing_serializer(app) is not first
