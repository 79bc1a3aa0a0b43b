"""Candidate addresses from a name in the common patterns, ranked by what the
domain's verified contacts in the book already use."""

import re
import unicodedata
from collections import Counter

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact

# The usual patterns, most common first (the order when the book knows none).
PATTERNS = (
    "first.last",
    "flast",
    "first",
    "firstlast",
    "first_last",
    "last.first",
    "firstl",
    "f.last",
    "lastf",
    "last",
)


def slug(text: str) -> str:
    """A name part as it appears in an address: ASCII, lower case, letters only."""
    text = unicodedata.normalize("NFKD", text or "")
    text = text.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", text)


def split_name(full_name: str) -> tuple[str, str]:
    """(first, last) of a full name: its first and last words."""
    words = [w for w in re.split(r"\s+", (full_name or "").strip()) if w]
    if not words:
        return "", ""
    return words[0], (words[-1] if len(words) > 1 else "")


def build(pattern: str, first: str, last: str) -> str | None:
    """The local part of `first last` in `pattern` (None when a part is missing)."""
    f, l = slug(first), slug(last)  # noqa: E741
    needs_last = "last" in pattern or pattern in ("flast", "lastf")
    if not f or (needs_last and not l):
        return None
    return {
        "first.last": f"{f}.{l}",
        "flast": f"{f[0]}{l}",
        "first": f,
        "firstlast": f"{f}{l}",
        "first_last": f"{f}_{l}",
        "last.first": f"{l}.{f}",
        "firstl": f"{f}{l[:1]}",
        "f.last": f"{f[0]}.{l}",
        "lastf": f"{l}{f[0]}",
        "last": l,
    }[pattern]


def detect(local: str, first: str, last: str) -> str | None:
    """The pattern an address's local part follows for a name, if any."""
    local = local.lower()
    for pattern in PATTERNS:
        if build(pattern, first, last) == local:
            return pattern
    return None


def book_patterns(workspace_id: int, domain: str) -> list[str]:
    """The patterns the domain's verified (valid) contacts use, most used first."""
    rows = db.session.execute(
        select(Contact.name, Contact.email)
        .where(Contact.workspace_id == workspace_id)
        .where(Contact.email.like(f"%@{domain.lower()}"))
        .where(Contact.email_verdict == "valid")
        .limit(200)
    ).all()
    seen: Counter = Counter()
    for name, email in rows:
        first, last = split_name(name)
        pattern = detect(email.rsplit("@", 1)[0], first, last)
        if pattern:
            seen[pattern] += 1
    return [p for p, _ in seen.most_common()]


def candidates(
    first: str, last: str, domain: str, known: list[str] = ()
) -> list[tuple[str, str]]:
    """(pattern, address) in trying order: the book's patterns, then the rest."""
    out, emails = [], set()
    for pattern in (*known, *PATTERNS):
        local = build(pattern, first, last)
        if local is None:
            continue
        email = f"{local}@{domain}"
        if email not in emails:
            emails.add(email)
            out.append((pattern, email))
    return out
