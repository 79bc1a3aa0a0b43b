"""Candidate duplicates in the contact book, grouped with the rules that matched.

The book already keeps each exact email, E.164 number and LinkedIn profile on one
contact (the upsert merges them), so the strong rules compare what still tells the
same person apart: an address without its "+tag" (and without dots at Gmail), a
number's national part (the same number read with two country codes), a profile's
slug decoded. Name plus company is the weak rule: a possible duplicate.
"""

import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import unquote

import phonenumbers
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactCompany
from prospecting.models import ContactEmail
from prospecting.models import ContactPhone

RULES = {
    "email": "Same email address",
    "phone": "Same phone number",
    "linkedin": "Same LinkedIn profile",
    "name_company": "Same name at the same company (possible duplicate)",
}
STRONG = ("email", "phone", "linkedin")
GMAIL = ("gmail.com", "googlemail.com")


@dataclass
class Group:
    """Contacts that may be one person, and the rules that tied them."""

    contacts: list[Contact]
    rules: list[str] = field(default_factory=list)

    @property
    def strong(self) -> bool:
        return any(rule in STRONG for rule in self.rules)

    @property
    def ids(self) -> list[int]:
        return [c.id for c in self.contacts]


def email_key(address: str | None) -> str | None:
    """The address without a "+tag", and without dots at Gmail."""
    if not address or "@" not in address:
        return None
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else None


def phone_key(e164: str | None) -> str | None:
    """The national significant number of an E.164 phone."""
    if not e164:
        return None
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", e164)
        return digits[-10:] or None


def profile_key(key: str | None) -> str | None:
    """A profile's slug, URL-decoded, lower case, without trailing punctuation."""
    if not key:
        return None
    slug = unquote(key.rsplit("/", 1)[-1]).casefold().strip("-_/ ")
    return slug or None


def name_key(name: str | None) -> str | None:
    """A name without accents, case, punctuation or extra spaces."""
    if not name:
        return None
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    words = re.findall(r"\w+", plain)
    return " ".join(words) or None


def _keys(workspace_id: int):
    """(rule, key, contact id) for every value of the workspace's contacts."""
    for address, contact_id in db.session.execute(
        select(ContactEmail.email, ContactEmail.contact_id).where(
            ContactEmail.workspace_id == workspace_id
        )
    ):
        yield "email", email_key(address), contact_id
    for number, contact_id in db.session.execute(
        select(ContactPhone.phone, ContactPhone.contact_id).where(
            ContactPhone.workspace_id == workspace_id
        )
    ):
        yield "phone", phone_key(number), contact_id
    names = {}
    for contact_id, name, profile, company_id in db.session.execute(
        select(
            Contact.id, Contact.name, Contact.linkedin_key, Contact.company_id
        ).where(Contact.workspace_id == workspace_id)
    ):
        yield "linkedin", profile_key(profile), contact_id
        names[contact_id] = name_key(name)
        if company_id:
            yield "name_company", (names[contact_id], company_id), contact_id
    for contact_id, company_id in db.session.execute(
        select(ContactCompany.contact_id, ContactCompany.company_id)
        .join(Contact, Contact.id == ContactCompany.contact_id)
        .where(Contact.workspace_id == workspace_id)
    ):
        yield "name_company", (names.get(contact_id), company_id), contact_id


def find_groups(
    workspace_id: int, *, page: int = 1, per_page: int | None = None
) -> tuple[list[Group], int]:
    """A page of the groups of candidate duplicates (strong matches first, then
    possible ones, oldest contact first within each) and how many there are.
    Only the page's contacts are loaded."""
    buckets: dict = {}
    for rule, key, contact_id in _keys(workspace_id):
        if key is None or (rule == "name_company" and key[0] is None):
            continue
        buckets.setdefault((rule, key), set()).add(contact_id)
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    tied = [(rule, ids) for (rule, _), ids in buckets.items() if len(ids) > 1]
    for _, ids in tied:
        first, *rest = sorted(ids)
        for other in rest:
            parent[root(other)] = root(first)
    members: dict[int, set[int]] = {}
    rules: dict[int, set[str]] = {}
    for rule, ids in tied:
        top = root(min(ids))
        members.setdefault(top, set()).update(ids)
        rules.setdefault(top, set()).add(rule)
    order = sorted(
        members,
        key=lambda top: (not rules[top] & set(STRONG), min(members[top])),
    )
    if per_page:
        order = order[(page - 1) * per_page : page * per_page]
    wanted = sorted({i for top in order for i in members[top]})
    loaded = {}
    for start in range(0, len(wanted), 500):
        for contact in db.session.scalars(
            select(Contact).where(Contact.id.in_(wanted[start : start + 500]))
        ):
            loaded[contact.id] = contact
    groups = [
        Group(
            [loaded[i] for i in sorted(members[top]) if i in loaded],
            [r for r in RULES if r in rules[top]],
        )
        for top in order
    ]
    return [g for g in groups if len(g.contacts) > 1], len(members)
