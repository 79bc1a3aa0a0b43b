"""Stored provider secrets across a SECRET_KEY rotation."""

from dataclasses import dataclass

from sqlalchemy import select

from prospecting import crypto
from prospecting.extensions import db
from prospecting.models import AirtableSettings
from prospecting.models import LinkedInAccount

# Every column that holds a crypto.encrypt() token: (model, attribute).
ENCRYPTED_COLUMNS = (
    (AirtableSettings, "token_encrypted"),
    (LinkedInAccount, "api_key_encrypted"),
)


@dataclass
class Rotation:
    rotated: int = 0
    unreadable: int = 0


def rotate_stored_secrets() -> Rotation:
    """Re-encrypt every stored secret under the current SECRET_KEY, so the old key
    can leave SECRET_KEY_FALLBACKS; a secret no key opens is counted and left."""
    result = Rotation()
    for model, attribute in ENCRYPTED_COLUMNS:
        column = getattr(model, attribute)
        for row in db.session.scalars(select(model).where(column.is_not(None))):
            try:
                setattr(row, attribute, crypto.rotate(getattr(row, attribute)))
            except crypto.SecretUnreadable:
                result.unreadable += 1
            else:
                result.rotated += 1
    db.session.commit()
    return result
