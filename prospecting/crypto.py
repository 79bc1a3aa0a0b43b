"""Encryption of provider secrets at rest (Fernet, key derived from SECRET_KEY).

`encrypt(text)` returns a Fernet token (AES-128-CBC + HMAC-SHA256, timestamped) as
text to store in a column; `decrypt(token)` gives the text back. The 32-byte key is
derived from the app's SECRET_KEY with HKDF-SHA256, so no second secret has to be
managed. Tokens written under an old key stay readable while that key is listed in
Flask's SECRET_KEY_FALLBACKS; changing SECRET_KEY without a fallback makes stored
secrets unreadable (SecretUnreadable), and the user must enter them again.
"""

import base64

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# Changing this label changes every derived key: stored secrets would become unreadable.
_INFO = b"prospecting:secrets-at-rest:v1"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the current (or fallback) keys."""


def derive_key(secret_key: str | bytes) -> bytes:
    """The urlsafe-base64 Fernet key derived from an app secret key."""
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(raw))


def _fernet() -> MultiFernet:
    cfg = current_app.config
    keys = [cfg["SECRET_KEY"], *(cfg.get("SECRET_KEY_FALLBACKS") or [])]
    return MultiFernet([Fernet(derive_key(k)) for k in keys])


def encrypt(text: str) -> str:
    """A Fernet token of `text` under the current SECRET_KEY."""
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The text of a token written by encrypt(), or SecretUnreadable."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted (was SECRET_KEY changed?)."
        ) from exc


def rotate(token: str) -> str:
    """The token re-encrypted under the current SECRET_KEY (it may have been written
    under a fallback key), or SecretUnreadable."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with SECRET_KEY or its fallbacks."
        ) from exc
