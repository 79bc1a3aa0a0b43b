"""Secrets at rest: Fernet tokens under a key derived from SECRET_KEY."""

import pytest

from prospecting import crypto


def test_encrypt_round_trips_without_leaking_the_secret(app):
    token = crypto.encrypt("sk-live-123")
    assert "sk-live-123" not in token
    assert crypto.encrypt("sk-live-123") != token  # fresh IV every time
    assert crypto.decrypt(token) == "sk-live-123"


def test_decrypt_under_another_secret_key_is_refused(app):
    token = crypto.encrypt("sk-live-123")
    app.config["SECRET_KEY"] = "a-different-secret"
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(token)


def test_decrypt_reads_tokens_of_a_fallback_key_after_rotation(app):
    old_key = app.config["SECRET_KEY"]
    token = crypto.encrypt("sk-live-123")
    app.config.update(SECRET_KEY="the-new-secret", SECRET_KEY_FALLBACKS=[old_key])
    assert crypto.decrypt(token) == "sk-live-123"


def test_decrypt_of_garbage_is_refused(app):
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt("not a token")


def test_derive_key_is_stable_and_key_specific():
    assert crypto.derive_key("a") == crypto.derive_key(b"a")
    assert crypto.derive_key("a") != crypto.derive_key("b")
    assert len(crypto.derive_key("a")) == 44
