"""Operator CLI: every command has help, works, and exits non-zero on failure."""

import pytest

from prospecting.extensions import db
from prospecting.models import ApiToken
from prospecting.models import Job
from tests import factories

COMMANDS = [
    ["users", "create"], ["users", "set-password"], ["tokens", "create"],
    ["tokens", "revoke"], ["jobs", "list"], ["jobs", "show"], ["jobs", "cancel"],
    ["jobs", "retry"], ["jobs", "requeue-stale"], ["jobs", "purge"], ["worker"],
    ["providers", "check"], ["sync", "airtable"], ["demo", "seed"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_explains_itself_with_help(runner, command):
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert len(result.output.split("Options:")[0].strip().splitlines()) > 1


def test_tokens_revoke_revokes_and_fails_for_an_unknown_token(runner, workspace):
    factories.make_token(workspace.id)
    token = db.session.scalars(db.select(ApiToken)).one()
    ok = runner.invoke(args=["tokens", "revoke", str(token.id), "--workspace", "Acme"])
    assert ok.exit_code == 0 and "revoked" in ok.output
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    missing = runner.invoke(args=["tokens", "revoke", "999", "--workspace", "Acme"])
    assert missing.exit_code == 1 and "No such token" in missing.output


def test_jobs_list_and_show_print_the_jobs(runner, workspace):
    job = factories.make_job(
        workspace.id,
        status="running",
        title="list me",
        progress_total=10,
        progress_current=4,
    )
    listed = runner.invoke(args=["jobs", "list", "--status", "running"])
    assert listed.exit_code == 0
    assert job.id in listed.output and "4/10" in listed.output
    shown = runner.invoke(args=["jobs", "show", job.id])
    assert shown.exit_code == 0 and "status: running" in shown.output
    assert runner.invoke(args=["jobs", "show", "nope"]).exit_code == 1


def test_jobs_cancel_cancels_and_refuses_a_finished_job(runner, workspace):
    job = factories.make_job(workspace.id, status="running")
    assert runner.invoke(args=["jobs", "cancel", job.id]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "cancelled"
    again = runner.invoke(args=["jobs", "cancel", job.id])
    assert again.exit_code == 1 and "already cancelled" in again.output


def test_demo_seed_is_idempotent_and_prints_the_login(runner, client):
    for _ in range(2):
        result = runner.invoke(args=["demo", "seed"])
        assert result.exit_code == 0
        assert "demo@example.com / demo-password" in result.output
    assert (
        factories.login(client, "demo@example.com", "demo-password").status_code == 302
    )
