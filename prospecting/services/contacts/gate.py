"""The quality gate every way into the contact book passes: a person enters only
with a way to reach them, and an undeliverable address is never stored as theirs.

A way to reach a person is a deliverable email (verdict valid; risky, unknown and
catch-all only when the user opts in with `include_risky`), a phone number or a
LinkedIn profile. An address the sources never verified (a manual add, a CSV
import, a people search, a CIN fetch) counts when it is well formed and not on a
disposable domain; it is stored without a verdict. An invalid or disposable
address is dropped (kept, with its verdict, only with `keep_undeliverable`, and
never as the way to reach them), and a row left with no way to reach the person
stays out under the rule that dropped its last channel.
"""

from dataclasses import dataclass
from dataclasses import field

from prospecting.services.contacts.normalise import linkedin_key
from prospecting.services.contacts.normalise import normalise_email
from prospecting.services.contacts.normalise import normalise_phone
from prospecting.services.contacts.suppression import is_suppressed

# Why a row stayed out of the book, as the import reports it.
RULES = {
    "invalid_email": "Its only way to reach the person was an invalid email address.",
    "disposable_email": "Its only way to reach the person was a disposable address.",
    "risky_email": (
        "Its only way to reach the person was a risky, catch-all or unverifiable "
        "address (include risky addresses to keep it)."
    ),
    "no_channel": "No email, phone number or LinkedIn profile to reach the person.",
    "suppressed": "The person asked to be erased: their email, phone or profile "
    "is on the workspace's suppression list.",
}
DELIVERABLE = ("valid",)
UNCERTAIN = ("risky", "unknown")
# Well-known throw-away mail domains, for addresses no verifier has seen.
DISPOSABLE_DOMAINS = frozenset(
    """mailinator.com guerrillamail.com guerrillamail.net sharklasers.com
    10minutemail.com tempmail.com temp-mail.org yopmail.com trashmail.com
    getnada.com dispostable.com maildrop.cc throwawaymail.com fakeinbox.com
    mintemail.com mailnesia.com tempr.email discard.email""".split()
)


@dataclass
class Email:
    """An address with what a verifier said of it (verdict None: never verified)."""

    address: str
    verdict: str | None = None
    flags: list = field(default_factory=list)
    verified_at: object = None


@dataclass
class Judged:
    """What the gate made of one row: the values it may store, or the rule that
    kept it out."""

    emails: list[Email] = field(default_factory=list)
    phone: str | None = None
    linkedin_key: str | None = None
    rule: str | None = None
    dropped: list[Email] = field(default_factory=list)

    @property
    def admitted(self) -> bool:
        return self.rule is None


def email_rule(email: Email, *, include_risky: bool = False) -> str | None:
    """None when the address is a way to reach its person, else the rule it fails."""
    flags = set(email.flags or ())
    domain = email.address.rpartition("@")[2]
    if "disposable" in flags or domain in DISPOSABLE_DOMAINS:
        return "disposable_email"
    if email.verdict == "invalid":
        return "invalid_email"
    if email.verdict in UNCERTAIN or "catch_all" in flags:
        return None if include_risky else "risky_email"
    if email.verdict is None or email.verdict in DELIVERABLE:
        return None
    return "risky_email"  # a verdict we do not know: not deliverable for sure


def judge(
    *,
    email: str | None,
    verdict: str | None = None,
    flags: list | None = None,
    verified_at=None,
    phone: str | None = None,
    phone_region: str | None = None,
    linkedin_url: str | None = None,
    normalised: bool = False,
    include_risky: bool = False,
    keep_undeliverable: bool = False,
    suppressed: frozenset = frozenset(),
) -> Judged:
    """Judge one incoming person. `normalised` says the email and phone are already
    in their stored form (an enrichment row's), which skips the parsers;
    `suppressed` holds the hashes of erased people's values (suppression.digest),
    who stay out whatever else the row carries."""
    out = Judged()
    if normalised:
        address = (email or "").strip().lower() or None
        out.phone = phone or None
    else:
        address = normalise_email(email)
        out.phone = normalise_phone(phone, phone_region)
    out.linkedin_key = linkedin_key(linkedin_url)
    if suppressed and is_suppressed(
        suppressed, email=address, phone=out.phone, profile=out.linkedin_key
    ):
        return Judged(rule="suppressed")
    rule = None
    if address:
        found = Email(address, verdict, list(flags or []), verified_at)
        rule = email_rule(found, include_risky=include_risky)
        if rule is None:
            out.emails.append(found)
        else:
            out.dropped.append(found)
    elif email and email.strip():
        rule = "invalid_email"  # not an address at all
    if out.emails or out.phone or out.linkedin_key:
        if keep_undeliverable:
            out.emails.extend(out.dropped)
            out.dropped = []
        return out
    out.rule = rule or "no_channel"
    return out
