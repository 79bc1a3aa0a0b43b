"""The sandbox's mail world: which company domains keep mailboxes in which pattern.

Shared by the sandbox verifiers (Reacher, Hunter) and Hunter's finder, so that a
candidate address built in a domain's pattern is deliverable and the others
bounce: enough to show the email finder (pattern ranking, catch-all stop) in the
demo. Domains outside the directory keep each verifier's own answers.
"""

import re

# Each demo company and the pattern of its mailboxes ("catch-all" accepts all).
DIRECTORY = {
    "northwind.io": "flast",
    "globex.com": "first.last",
    "initech.com": "first",
    "umbrella.co": "f.last",
    "hooli.com": "firstlast",
    "piedpiper.com": "first_last",
    "vandelay.com": "last.first",
    "stark.dev": "firstl",
    "acme-catchall.com": "catch-all",
    "wonka.com": "catch-all",
}

# What a local part in each pattern looks like (the sandbox cannot know the
# person's name, only the shape of the address).
SHAPES = {
    "first.last": re.compile(r"^[a-z]{2,}\.[a-z]{2,}$"),
    "last.first": re.compile(r"^[a-z]{2,}\.[a-z]{2,}$"),
    "f.last": re.compile(r"^[a-z]\.[a-z]{2,}$"),
    "first_last": re.compile(r"^[a-z]{2,}_[a-z]{2,}$"),
    "flast": re.compile(r"^[a-z][a-z]{3,}$"),
    "firstlast": re.compile(r"^[a-z]{5,}$"),
    "first": re.compile(r"^[a-z]{2,}$"),
    "firstl": re.compile(r"^[a-z]{3,}$"),
}


def pattern_of(domain: str) -> str | None:
    return DIRECTORY.get(domain.lower())


def catch_all(domain: str) -> bool:
    return pattern_of(domain) == "catch-all"


def deliverable(email: str) -> bool | None:
    """True/False for a directory domain's address, None for any other domain."""
    local, _, domain = email.lower().rpartition("@")
    pattern = pattern_of(domain)
    if pattern is None:
        return None
    if pattern == "catch-all":
        return True
    return bool(SHAPES[pattern].match(local)) and _only(pattern, local)


def _only(pattern: str, local: str) -> bool:
    # Tell apart the patterns whose shapes overlap, by what a person's address in
    # them usually looks like: flast is short, firstlast long, first shortest.
    if pattern == "flast":
        return len(local) <= 8
    if pattern == "firstlast":
        return len(local) >= 9
    if pattern == "first":
        return len(local) <= 6
    return True


def build(pattern: str, first: str, last: str) -> str:
    """The local part of a person in a pattern (Hunter's finder uses it)."""
    first, last = _slug(first), _slug(last)
    return {
        "first.last": f"{first}.{last}",
        "last.first": f"{last}.{first}",
        "f.last": f"{first[:1]}.{last}",
        "first_last": f"{first}_{last}",
        "flast": f"{first[:1]}{last}",
        "firstlast": f"{first}{last}",
        "first": first,
        "firstl": f"{first}{last[:1]}",
    }[pattern]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())
