"""Teams: members and roles, invitations by one-time link (copied or emailed),
switching workspace, API token roles and Post/Redirect/Get, cost caps, and
deleting a workspace with its data."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import g
from flask import request_started
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import ApiToken
from prospecting.models import Invitation
from prospecting.models import Membership
from prospecting.models import Upload
from prospecting.models import Workspace
from prospecting.services import accounts
from prospecting.services import enrichment
from prospecting.services import ledger
from prospecting.services import members
from prospecting.services import workspaces
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from tests import factories
from tests.smtp_server import SmtpServer
from tests.test_security_sweep import seed_workspace

LINK = re.compile(r"http://localhost/invitations/([\w-]+)")


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    """Each request starts with an empty g, as in production: the test's app
    context would otherwise carry one client's signed-in user into the next
    client's requests."""

    def clear(sender, **extra):
        for key in ("_login_user", "user_workspaces", "workspace", "role"):
            g.pop(key, None)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


def join(email: str, workspace: str, role: str):
    """A user with `role` in the workspace (created as its owner, then set)."""
    user = factories.make_user(email=email, workspace=workspace)
    ws = db.session.scalar(select(Workspace).where(Workspace.name == workspace))
    db.session.get(Membership, (user.id, ws.id)).role = role
    db.session.commit()
    return user


def signed_in(app, email: str):
    client = app.test_client()
    assert factories.login(client, email).status_code == 302
    return client


def invitation_link(client) -> str:
    page = client.get("/settings/members").get_data(as_text=True)
    return LINK.search(page).group(0)


# Members and roles


def test_members_page_lists_every_member_with_their_role(auth_client, workspace):
    join("viewer@acme.test", "Acme", "viewer")
    page = auth_client.get("/settings/members").get_data(as_text=True)
    assert "owner@acme.test (you)" in page and "viewer@acme.test" in page
    assert 'id="invite-form"' in page


def test_a_viewer_sees_the_members_but_cannot_manage_them(app, workspace):
    join("viewer@acme.test", "Acme", "viewer")
    client = signed_in(app, "viewer@acme.test")
    page = client.get("/settings/members").get_data(as_text=True)
    assert "owner@acme.test" in page
    assert "invite-form" not in page and "Remove…" not in page
    refused = client.post(
        "/settings/members/invitations", data={"email": "x@y.z", "role": "viewer"}
    )
    assert refused.status_code == 403
    assert b"Your role in Acme is viewer: this needs admin" in refused.data


def test_a_role_change_applies_at_the_members_next_request(app, auth_client, workspace):
    user = join("m@acme.test", "Acme", "member")
    client = signed_in(app, "m@acme.test")
    assert client.post("/searches/", data={}).status_code != 403
    response = auth_client.post(
        f"/settings/members/{user.id}/role", data={"role": "viewer"}
    )
    assert response.status_code == 302
    assert members.role_of(workspace.id, user.id) == "viewer"
    assert client.post("/searches/", data={}).status_code == 403


def test_the_last_owner_cannot_be_demoted_or_removed(auth_client, user, workspace):
    demote = auth_client.post(
        f"/settings/members/{user.id}/role", data={"role": "admin"}
    )
    assert demote.status_code == 409 and b"last owner" in demote.data
    remove = auth_client.post(f"/settings/members/{user.id}/remove")
    assert remove.status_code == 409 and b"last owner" in remove.data
    assert members.role_of(workspace.id, user.id) == "owner"


def test_with_a_second_owner_the_first_may_step_down(auth_client, user, workspace):
    join("second@acme.test", "Acme", "owner")
    members.change_role(workspace.id, user.id, "member", by_role="owner")
    assert members.role_of(workspace.id, user.id) == "member"


def test_an_admin_manages_members_but_not_owners(app, workspace, user):
    join("admin@acme.test", "Acme", "admin")
    viewer = join("v@acme.test", "Acme", "viewer")
    client = signed_in(app, "admin@acme.test")
    ok = client.post(f"/settings/members/{viewer.id}/role", data={"role": "member"})
    assert ok.status_code == 302
    assert members.role_of(workspace.id, viewer.id) == "member"
    promote = client.post(f"/settings/members/{viewer.id}/role", data={"role": "owner"})
    assert promote.status_code == 422
    demote = client.post(f"/settings/members/{user.id}/role", data={"role": "viewer"})
    assert demote.status_code == 422 and b"Only an owner" in demote.data
    assert client.post(f"/settings/members/{user.id}/remove").status_code == 422
    assert members.role_of(workspace.id, user.id) == "owner"
    page = client.get("/settings/members").get_data(as_text=True)
    assert f"/settings/members/{user.id}/remove" not in page


def test_removing_a_member_asks_first_and_ends_their_access(
    app, auth_client, workspace
):
    gone = join("gone@acme.test", "Acme", "member")
    client = signed_in(app, "gone@acme.test")
    ask = auth_client.get(f"/settings/members/{gone.id}/remove")
    assert ask.status_code == 200 and b"Remove gone@acme.test (member)" in ask.data
    assert members.role_of(workspace.id, gone.id) == "member"
    done = auth_client.post(f"/settings/members/{gone.id}/remove")
    assert done.status_code == 302
    assert members.role_of(workspace.id, gone.id) is None
    locked_out = client.get("/")
    assert locked_out.status_code == 403
    assert b"not a member of any workspace" in locked_out.data


# Invitations


def test_an_invitation_link_is_shown_once_when_no_email_is_set_up(
    auth_client, workspace
):
    response = auth_client.post(
        "/settings/members/invitations", data={"email": "New@X.io", "role": "member"}
    )
    assert response.status_code == 302
    page = auth_client.get("/settings/members").get_data(as_text=True)
    assert 'id="invitation-link"' in page and "new@x.io" in page
    assert LINK.search(page)
    again = auth_client.get("/settings/members").get_data(as_text=True)
    assert 'id="invitation-link"' not in again and "new@x.io" in again  # listed
    invitation = db.session.scalars(select(Invitation)).one()
    assert LINK.search(page).group(1) not in invitation.token_hash  # stored hashed
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)


def test_a_new_user_accepts_by_choosing_a_password(app, auth_client, workspace):
    auth_client.post(
        "/settings/members/invitations", data={"email": "new@x.io", "role": "viewer"}
    )
    link = invitation_link(auth_client)
    guest = app.test_client()
    form = guest.get(link)
    assert form.status_code == 200 and b"Join Acme" in form.data
    assert b"new@x.io" in form.data and b"viewer" in form.data
    short = guest.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    joined = guest.post(
        link, data={"password": "a long one!", "confirm": "a long one!"}
    )
    assert joined.status_code == 302
    assert b"you are viewer here" in guest.get("/").data
    new_user = accounts.authenticate("new@x.io", "a long one!")
    assert members.role_of(workspace.id, new_user.id) == "viewer"
    reused = app.test_client().get(link)
    assert reused.status_code == 404 and b"used already" in reused.data


def test_an_existing_user_signs_in_then_joins(app, auth_client, workspace):
    factories.make_user(email="elsewhere@x.io", workspace="Other")
    auth_client.post(
        "/settings/members/invitations",
        data={"email": "elsewhere@x.io", "role": "admin"},
    )
    link = invitation_link(auth_client)
    guest = app.test_client()
    ask = guest.get(link)
    assert b"already has an account" in ask.data and b"Sign in to accept" in ask.data
    assert factories.login(guest, "elsewhere@x.io").status_code == 302
    assert b"join-form" in guest.get(link).data
    assert guest.post(link).status_code == 302
    roles = dict(
        (ws.name, role)
        for ws, role in accounts.workspaces_with_roles(
            accounts.authenticate("elsewhere@x.io", factories.PASSWORD).id
        )
    )
    assert roles == {"Other": "owner", "Acme": "admin"}
    assert b"Acme (admin)" in guest.get("/").data  # the session moved to Acme


def test_an_invitation_is_only_for_the_address_it_was_sent_to(
    app, auth_client, workspace
):
    factories.make_user(email="mallory@x.io", workspace="Other")
    auth_client.post(
        "/settings/members/invitations", data={"email": "bob@x.io", "role": "member"}
    )
    link = invitation_link(auth_client)
    mallory = signed_in(app, "mallory@x.io")
    page = mallory.get(link)
    assert b"This invitation is for bob@x.io" in page.data
    assert b"join-form" not in page.data
    assert mallory.post(link).status_code == 422
    assert len(members.members(workspace.id)) == 1


@pytest.mark.parametrize("how", ["expired", "revoked", "replaced", "unknown"])
def test_dead_invitation_links_say_why(app, auth_client, user, workspace, how):
    invitation, raw = members.invite(
        workspace.id, "late@x.io", "member", by_user_id=user.id, by_role="owner"
    )
    if how == "expired":
        invitation.expires_at = invitation.created_at - timedelta(seconds=1)
        db.session.commit()
    elif how == "revoked":
        url = f"/settings/members/invitations/{invitation.id}/revoke"
        assert auth_client.post(url).status_code == 302
    elif how == "replaced":
        members.invite(
            workspace.id, "late@x.io", "viewer", by_user_id=user.id, by_role="owner"
        )
    else:
        raw = "not-a-real-token"
    response = app.test_client().get(f"/invitations/{raw}")
    assert response.status_code == 404
    said = {"expired": b"expired on", "unknown": b"not valid"}.get(how, b"not valid")
    assert said in response.data
    assert not members.user_exists("late@x.io")


def test_inviting_a_member_again_is_refused(auth_client, workspace):
    join("here@acme.test", "Acme", "member")
    response = auth_client.post(
        "/settings/members/invitations",
        data={"email": "here@acme.test", "role": "member"},
    )
    assert response.status_code == 409 and b"already a member" in response.data


def test_invitations_are_emailed_when_smtp_is_set_up(app, auth_client, workspace):
    with SmtpServer() as smtp:
        app.config.update(
            SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_FROM="team@acme.test"
        )
        response = auth_client.post(
            "/settings/members/invitations",
            data={"email": "mailed@x.io", "role": "member"},
        )
    assert response.status_code == 302
    (message,) = smtp.messages
    assert smtp.envelopes == [("team@acme.test", ["mailed@x.io"])]
    assert message["Subject"] == "Join Acme on Prospecting"
    body = message.get_content()
    assert "owner@acme.test invites you to the workspace Acme as member" in body
    link = LINK.search(body).group(0)
    page = auth_client.get("/settings/members").get_data(as_text=True)
    assert "Invitation emailed to mailed@x.io" in page
    assert link not in page and 'id="invitation-link"' not in page
    assert app.test_client().get(link).status_code == 200


def test_a_failed_email_shows_the_link_to_copy(app, auth_client, workspace):
    with SmtpServer() as smtp:
        port = smtp.port
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)  # nobody listens now
    auth_client.post(
        "/settings/members/invitations", data={"email": "m@x.io", "role": "member"}
    )
    page = auth_client.get("/settings/members").get_data(as_text=True)
    assert "could not be sent" in page and 'id="invitation-link"' in page


def test_smtp_credentials_are_never_sent_without_tls(app, auth_client, workspace):
    with SmtpServer(auth=True) as smtp:
        app.config.update(
            SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_USER="u", SMTP_PASSWORD="p"
        )
        auth_client.post(
            "/settings/members/invitations", data={"email": "t@x.io", "role": "member"}
        )
    assert smtp.logins == [] and smtp.messages == []
    page = auth_client.get("/settings/members").get_data(as_text=True)
    assert "offers no TLS" in page and 'id="invitation-link"' in page


# Switching workspace


def test_the_switcher_moves_the_session_to_another_workspace(app, workspace):
    factories.make_user(email="both@x.io", workspace="Acme")
    factories.make_user(email="both@x.io", workspace="Beta")
    beta = db.session.scalar(select(Workspace).where(Workspace.name == "Beta"))
    client = signed_in(app, "both@x.io")
    home = client.get("/").get_data(as_text=True)
    assert 'id="workspace-switcher"' in home and "Beta (owner)" in home
    assert (
        client.post("/workspaces/switch", data={"workspace_id": beta.id}).status_code
        == 302
    )
    assert b"You are now working in Beta" in client.get("/").data
    settings = client.get("/settings").get_data(as_text=True)
    assert "You are <strong>owner</strong> in <strong>Beta</strong>" in settings


def test_switching_to_a_workspace_one_is_not_in_is_refused(
    auth_client, other_workspace
):
    response = auth_client.post(
        "/workspaces/switch", data={"workspace_id": other_workspace.id}
    )
    assert response.status_code == 422
    assert b"Acme (owner)" in auth_client.get("/").data


# API tokens


def test_token_creation_follows_post_redirect_get(auth_client, workspace):
    response = auth_client.post(
        "/settings/tokens", data={"name": "crawler", "role": "viewer"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings#tokens")
    first = auth_client.get("/settings").get_data(as_text=True)
    raw = first.split('id="new-token">New token: <code>')[1].split("</code>")[0]
    token = db.session.scalars(select(ApiToken)).one()
    assert accounts.token_access(raw) == (workspace.id, "viewer")
    assert token.role == "viewer" and raw not in token.token_hash
    reload = auth_client.get("/settings").get_data(as_text=True)
    assert 'id="new-token"' not in reload and raw not in reload
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_the_raw_token_is_not_readable_in_the_session_cookie(auth_client, workspace):
    auth_client.post("/settings/tokens", data={"name": "crawler", "role": "member"})
    cookie = auth_client.get_cookie("session").value
    page = auth_client.get("/settings").get_data(as_text=True)
    raw = page.split('id="new-token">New token: <code>')[1].split("</code>")[0]
    import base64
    import zlib

    payload = cookie.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.startswith("."):
        data = zlib.decompress(data)
    assert raw.encode() not in data


def test_revoking_a_token_asks_first(auth_client, workspace):
    token, raw = accounts.create_token(workspace.id, "crawler")
    ask = auth_client.get(f"/settings/tokens/{token.id}/revoke")
    assert ask.status_code == 200 and b"Revoke the token" in ask.data
    assert accounts.token_access(raw) is not None
    assert auth_client.post(f"/settings/tokens/{token.id}/revoke").status_code == 302
    assert accounts.token_access(raw) is None


def test_a_token_is_at_most_its_creators_role_and_never_owner(app, workspace, user):
    with pytest.raises(InvalidInput):
        accounts.create_token(workspace.id, "x", role="owner")
    with pytest.raises(InvalidInput):
        accounts.create_token(workspace.id, "x", role="admin", by_role="member")
    join("admin@acme.test", "Acme", "admin")
    client = signed_in(app, "admin@acme.test")
    page = client.get("/settings").get_data(as_text=True)
    assert '<option value="admin">' in page and 'value="owner"' not in page
    refused = client.post("/settings/tokens", data={"name": "x", "role": "owner"})
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_a_member_cannot_create_or_revoke_tokens(app, workspace):
    token, _ = accounts.create_token(workspace.id, "crawler")
    join("m@acme.test", "Acme", "member")
    client = signed_in(app, "m@acme.test")
    page = client.get("/settings").get_data(as_text=True)
    assert "token-form" not in page and "Revoke…" not in page
    assert client.post("/settings/tokens", data={"name": "x"}).status_code == 403
    assert client.post(f"/settings/tokens/{token.id}/revoke").status_code == 403


def test_a_viewer_token_reads_but_cannot_start_a_job(client, workspace):
    _, raw = accounts.create_token(workspace.id, "reader", role="viewer")
    job = factories.make_job(workspace.id, params={"filename": "a.csv"})
    headers = {"X-API-Key": raw}
    assert client.get(f"/jobs/{job.id}/status", headers=headers).status_code == 200
    upload = client.post(
        "/jobs/upload",
        headers=headers,
        data={"file": (io.BytesIO(factories.contacts_csv(2)), "a.csv")},
    )
    assert upload.status_code == 403
    assert upload.get_json()["error"]["code"] == "forbidden"
    ingest = client.post("/samples/ingest", headers=headers, json={"rows": []})
    assert factories.api_error(ingest, 403)["code"] == "forbidden"


# Cost caps (owners)


def test_the_owner_sets_the_daily_cap_on_the_settings_page(auth_client, workspace):
    assert b'id="caps-form"' in auth_client.get("/settings").data
    response = auth_client.post("/settings/caps", data={"daily_cap": "12.5"})
    assert response.status_code == 302
    assert ledger.daily_cap(workspace.id) == 12.5
    bad = auth_client.post("/settings/caps", data={"daily_cap": "-1"})
    assert bad.status_code == 422 and b"A cost cap must be a number" in bad.data


def test_an_admin_cannot_change_the_caps(app, workspace):
    join("admin@acme.test", "Acme", "admin")
    client = signed_in(app, "admin@acme.test")
    assert b'id="caps-form"' not in client.get("/settings").data
    assert client.post("/settings/caps", data={"daily_cap": "1"}).status_code == 403


def test_resuming_with_a_daily_cap_needs_the_owner(app, workspace):
    job = factories.make_job(workspace.id, status="paused")
    join("m@acme.test", "Acme", "member")
    client = signed_in(app, "m@acme.test")
    refused = client.post(f"/jobs/{job.id}/resume", data={"daily_cap": "100"})
    assert refused.status_code == 403
    assert b"this needs owner" in refused.data
    assert ledger.daily_cap(workspace.id) == 0
    allowed = client.post(f"/jobs/{job.id}/resume", data={"daily_cap": ""})
    assert allowed.status_code != 403


# Deleting a workspace (owners)


def test_deleting_a_workspace_asks_for_its_name(auth_client, workspace):
    ask = auth_client.get("/settings/workspace/delete")
    assert ask.status_code == 200 and b"confirm_name" in ask.data
    wrong = auth_client.post(
        "/settings/workspace/delete", data={"confirm_name": "acme"}
    )
    assert wrong.status_code == 422 and b"Type the workspace" in wrong.data
    assert db.session.get(Workspace, workspace.id) is not None


def test_deleting_a_workspace_removes_all_its_data_and_nothing_else(
    app, auth_client, workspace, other_workspace
):
    mine = seed_workspace(workspace.id)
    seed_workspace(other_workspace.id)
    upload = enrichment.save_upload(
        workspace.id, None, "c.csv", io.BytesIO(factories.contacts_csv(2))
    )
    stored = Path(upload.stored_path)
    assert stored.exists() and mine["job_id"]
    ledger.set_daily_cap(workspace.id, 5)
    counts_before = table_counts(other_workspace.id)
    response = auth_client.post(
        "/settings/workspace/delete", data={"confirm_name": "Acme"}
    )
    assert response.status_code == 302
    assert db.session.get(Workspace, workspace.id) is None
    assert not stored.exists()
    scopes = workspaces.workspace_scopes(workspace.id)
    for name, where in scopes.items():
        if where is not None:
            table = db.metadata.tables[name]
            left = db.session.scalar(
                select(func.count()).select_from(table).where(where)
            )
            assert left == 0, name
    assert table_counts(other_workspace.id) == counts_before
    assert db.session.scalar(select(func.count()).select_from(Upload)) >= 1


def table_counts(workspace_id: int) -> dict[str, int]:
    counts = {}
    for name, where in workspaces.workspace_scopes(workspace_id).items():
        if where is not None:
            table = db.metadata.tables[name]
            counts[name] = db.session.scalar(
                select(func.count()).select_from(table).where(where)
            )
    return counts


def test_every_table_is_workspace_data_or_known_to_be_shared():
    """A new table that belongs to a workspace (by workspace_id, job_id or a
    foreign key) is deleted with it; the others are the whole system's."""
    scopes = workspaces.workspace_scopes(1)
    shared = {name for name, where in scopes.items() if where is None}
    assert shared == {
        "users",
        "provider_cache",
        "worker_heartbeats",
        "periodic_runs",
        "proxy_health",
    }


def test_a_user_left_without_a_workspace_is_told_so(app, auth_client, workspace):
    auth_client.post("/settings/workspace/delete", data={"confirm_name": "Acme"})
    response = auth_client.get("/")
    assert response.status_code == 403
    assert b"not a member of any workspace" in response.data


def test_only_an_owner_may_delete_the_workspace(app, workspace):
    join("admin@acme.test", "Acme", "admin")
    client = signed_in(app, "admin@acme.test")
    assert b"delete-workspace" not in client.get("/settings").data
    refused = client.post("/settings/workspace/delete", data={"confirm_name": "Acme"})
    assert refused.status_code == 403
    assert db.session.get(Workspace, workspace.id) is not None


def test_membership_changes_refuse_unknown_roles(workspace, user):
    with pytest.raises(InvalidInput):
        members.change_role(workspace.id, user.id, "superuser", by_role="owner")
    with pytest.raises(Conflict):
        members.change_role(workspace.id, user.id, "viewer", by_role="owner")


# The CLI and the migration


def test_the_cli_creates_viewers_and_viewer_tokens(runner, app):
    created = runner.invoke(
        args=["users", "create", "v@x.io", "--password", "long enough"]
        + ["--workspace", "Ops", "--role", "viewer"]
    )
    assert created.exit_code == 0, created.output
    assert "is viewer of workspace 'Ops'" in created.output
    token = runner.invoke(
        args=["tokens", "create", "--workspace", "Ops", "--role", "viewer"]
    )
    assert token.exit_code == 0, token.output
    ops = db.session.scalar(select(Workspace).where(Workspace.name == "Ops"))
    assert accounts.token_access(token.output.strip().splitlines()[-1]) == (
        ops.id,
        "viewer",
    )


def test_the_migration_keeps_tokens_working_as_member_tokens(tmp_path):
    import os
    import subprocess
    import sys

    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.db'}"
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi"}
    root = Path(__file__).resolve().parents[1]

    def upgrade(revision: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "flask", "db", "upgrade", revision],
            cwd=root, env=env, check=True, capture_output=True,
        )  # fmt: skip

    upgrade("3f6a1c2d9e01")
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.execute(sa.text(
            "INSERT INTO workspaces (id, name, created_at) VALUES (1, 'W', '2026-01')"
        ))  # fmt: skip
        for user_id, role in ((1, "owner"), (2, "member"), (3, "boss")):
            c.execute(sa.text(
                "INSERT INTO users (id, email, password_hash, session_generation, "
                "is_operator, created_at) VALUES (:i, :e, 'x', 'g', 0, '2026-01-01')"
            ), {"i": user_id, "e": f"u{user_id}@x.io"})  # fmt: skip
            c.execute(sa.text(
                "INSERT INTO memberships (user_id, workspace_id, role) "
                "VALUES (:i, 1, :r)"
            ), {"i": user_id, "r": role})  # fmt: skip
        c.execute(sa.text(
            "INSERT INTO api_tokens (workspace_id, name, token_hash, prefix, "
            "created_at) VALUES (1, 'crawler', 'h', 'psk_', '2026-01-01')"
        ))  # fmt: skip
    upgrade("head")
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT role FROM api_tokens")).scalars().all() == [
            "member"
        ]
        roles = c.execute(sa.text("SELECT role FROM memberships ORDER BY user_id"))
        assert roles.scalars().all() == ["owner", "member", "member"]
        assert c.execute(sa.text("SELECT count(*) FROM invitations")).scalar() == 0
    engine.dispose()


def test_the_openapi_description_documents_token_roles(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "viewer tokens read" in spec["info"]["description"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if operation.get("security") == []:
                continue
            assert "401" in operation["responses"], (method, path)
            assert ("403" in operation["responses"]) == (method != "get"), path
