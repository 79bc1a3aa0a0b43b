"""Erased people kept out of the book: a hash per email, phone and LinkedIn
profile, per workspace, that the quality gate consults on every way in."""

import hashlib

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Suppression


def digest(kind: str, value: str) -> str:
    """sha256 hex of "<kind>:<value>" (a normalised email, E.164 phone or
    LinkedIn key): the person's value itself is never stored."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def digests(*, emails=(), phones=(), profiles=()) -> dict[str, str]:
    """digest -> kind for each value given."""
    out = {digest("email", e.lower()): "email" for e in emails if e}
    out |= {digest("phone", p): "phone" for p in phones if p}
    return out | {digest("linkedin", k): "linkedin" for k in profiles if k}


def suppress(workspace_id: int, **values) -> int:
    """Add the values' hashes to the workspace's suppression list (in the caller's
    transaction); how many it holds for them."""
    wanted = digests(**values)
    known = set(
        db.session.scalars(
            select(Suppression.digest).where(
                Suppression.workspace_id == workspace_id,
                Suppression.digest.in_(list(wanted)),
            )
        )
    )
    db.session.add_all(
        Suppression(workspace_id=workspace_id, kind=kind, digest=d)
        for d, kind in wanted.items()
        if d not in known
    )
    return len(wanted)


def suppressed(workspace_id: int) -> frozenset[str]:
    """Every hash of the workspace's suppression list (erasures are few)."""
    return frozenset(
        db.session.scalars(
            select(Suppression.digest).where(Suppression.workspace_id == workspace_id)
        )
    )


def is_suppressed(hashes: frozenset, *, email=None, phone=None, profile=None) -> bool:
    """Whether any of these normalised values is on the list `hashes`."""
    return any(
        value and digest(kind, value) in hashes
        for kind, value in (("email", email), ("phone", phone), ("linkedin", profile))
    )
