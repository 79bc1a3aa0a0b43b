"""Production settings: the app refuses a missing, public or short SECRET_KEY; keys
rotate through SECRET_KEY_FALLBACKS without signing anybody out of their secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from config import DEV_SECRET_KEY
from config import ConfigError
from config import ProdConfig
from config import TestConfig
from prospecting import create_app
from prospecting import crypto
from prospecting.extensions import db
from prospecting.models import AirtableSettings
from prospecting.models import LinkedInAccount
from tests import factories

ROOT = Path(__file__).resolve().parents[1]
GOOD_KEY = "k" * 16 + "0123456789abcdef"  # 32 characters


def prod_app(tmp_path, **overrides):
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
        "HUEY_STORAGE": "memory",
        **overrides,
    }
    return create_app(ProdConfig, **settings)


@pytest.mark.parametrize(
    "key,reason",
    [
        (None, "is not set"),
        ("", "is not set"),
        (DEV_SECRET_KEY, "is the public development key"),
        ("x" * 31, "is only 31 characters long"),
    ],
)
def test_production_refuses_to_start_with_a_bad_secret_key(tmp_path, key, reason):
    with pytest.raises(ConfigError) as refused:
        prod_app(tmp_path, SECRET_KEY=key)
    assert str(refused.value).startswith(f"SECRET_KEY {reason}")


def test_production_refuses_the_development_key_as_a_fallback(tmp_path):
    with pytest.raises(ConfigError, match=r"SECRET_KEY_FALLBACKS\[1\]"):
        prod_app(
            tmp_path,
            SECRET_KEY=GOOD_KEY,
            SECRET_KEY_FALLBACKS=["an-older-production-key", DEV_SECRET_KEY],
        )


def test_production_starts_with_a_long_random_key(tmp_path):
    app = prod_app(tmp_path, SECRET_KEY=GOOD_KEY)
    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert app.config["SESSION_COOKIE_SECURE"] is True


def flask_command(tmp_path, *args, **env):
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "DATABASE_URL", "REDIS_URL")
    }
    environ.update(
        PROSPECTING_ENV="production",
        INSTANCE_DIR=str(tmp_path),
        FLASK_APP="wsgi",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_flask_command_refuses_to_start_without_a_production_key(tmp_path):
    cases = [
        (["db", "upgrade"], {}),
        (["db", "upgrade"], {"SECRET_KEY": DEV_SECRET_KEY}),
        (["db", "upgrade"], {"SECRET_KEY": "short"}),
        (["worker"], {}),
        (["users", "create", "--help"], {}),
    ]
    for command, env in cases:
        result = flask_command(tmp_path, *command, **env)
        assert result.returncode != 0, (command, env)
        assert "ConfigError: SECRET_KEY" in result.stderr, (command, env)
    assert not (tmp_path / "prospecting.db").exists()  # nothing was touched
    ok = flask_command(tmp_path, "routes", SECRET_KEY=GOOD_KEY)
    assert ok.returncode == 0, ok.stderr


def test_rotated_key_keeps_sessions_and_stored_secrets_readable(tmp_path):
    """A key moved to SECRET_KEY_FALLBACKS still opens the sessions it signed and
    the provider secrets it encrypted; `flask keys rotate` re-encrypts the secrets,
    after which the old key can go."""
    old_key, new_key = "o" * 40, "n" * 40
    db_uri = f"sqlite:///{tmp_path / 'rotate.db'}"

    def app_with(key, fallbacks=()):
        return create_app(
            TestConfig,
            SQLALCHEMY_DATABASE_URI=db_uri,
            SECRET_KEY=key,
            SECRET_KEY_FALLBACKS=list(fallbacks),
        )

    def secrets_readable() -> list[str]:
        rows = [*db.session.scalars(select(LinkedInAccount))]
        rows += [*db.session.scalars(select(AirtableSettings))]
        return [
            crypto.decrypt(getattr(r, "api_key_encrypted", None) or r.token_encrypted)
            for r in rows
        ]

    def signed_in(app, cookie) -> bool:
        client = app.test_client()
        client.set_cookie("session", cookie)
        return client.get("/").status_code == 200

    old = app_with(old_key)
    with old.app_context():
        db.create_all()
        user = factories.make_user(email="rotate@acme.test")
        ws = user.memberships[0].workspace_id
        db.session.add_all(
            [
                LinkedInAccount(
                    workspace_id=ws,
                    dsn="https://api.example.test",
                    api_key_encrypted=crypto.encrypt("unipile-key"),
                    account_id="acc",
                ),
                AirtableSettings(
                    workspace_id=ws, token_encrypted=crypto.encrypt("pat")
                ),
            ]
        )
        db.session.commit()
        client = old.test_client()
        factories.login(client, user.email)
        cookie = client.get_cookie("session").value
        db.session.remove()

    rotating = app_with(new_key, [old_key])
    with rotating.app_context():
        assert secrets_readable() == ["unipile-key", "pat"]
        assert signed_in(rotating, cookie)
        result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 2 stored secret(s)" in result.output
        db.session.remove()

    rotated = app_with(new_key)
    with rotated.app_context():
        assert secrets_readable() == ["unipile-key", "pat"]
        assert not signed_in(rotated, cookie)  # the old key signs nothing any more
        db.session.remove()

    lost = app_with("l" * 40)
    with lost.app_context():
        with pytest.raises(crypto.SecretUnreadable):
            secrets_readable()
        result = lost.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 1
        assert "2 stored secret(s) cannot be read" in result.output
        db.session.remove()
        db.engine.dispose()
