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

# The first names the sandbox's mail servers know: an address is deliverable when
# it reads as the domain's pattern with one of them (the sandbox cannot know the
# person, only whether the address reads as a name in that pattern).
FIRST_NAMES = frozenset(
    "aaron adam alice amy ana ann anna ben bob carla carol chris dan david diana "
    "emma eric eva frank grace hank hannah ian jack jane james jean john jose "
    "julia karen kate laura leo linda lisa lucas maria mark mary maya mike nina "
    "noah olivia omar paul peter priya rahul raj ravi rosa ruth sam sara sofia "
    "tom tony victor wei will zoe".split()
)


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
    return pattern == "catch-all" or reads_as(pattern, local)


def reads_as(pattern: str, local: str) -> bool:
    """Whether a local part reads as `pattern` with a known first name."""
    head, sep, tail = local.partition(".") if "." in local else local.partition("_")
    if pattern in ("first.last", "last.first", "f.last"):
        if sep != "." or not head.isalpha() or not tail.isalpha():
            return False
        if pattern == "f.last":
            return len(head) == 1 and len(tail) > 1
        first = head if pattern == "first.last" else tail
        return first in FIRST_NAMES
    if pattern == "first_last":
        return sep == "_" and head in FIRST_NAMES and len(tail) > 1
    if not local.isalpha():
        return False
    starts = [n for n in FIRST_NAMES if local.startswith(n)]
    rest = {len(local) - len(n) for n in starts}
    return {
        "first": 0 in rest,
        "firstl": 1 in rest,
        "firstlast": any(r > 1 for r in rest),
        "flast": not starts and len(local) > 3,
    }[pattern]


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
