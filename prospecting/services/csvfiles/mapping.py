"""The contact fields of a CSV: header synonyms, auto mapping, applying a mapping."""

from __future__ import annotations

import re

FIELDS = ("name", "first_name", "last_name", "email", "company", "phone", "website")


_SYNONYM_NOISE = re.compile(r"[\s_\-.]+")


_SYNONYMS = {
    "name": ("name", "full name", "fullname", "contact name", "contact"),
    "first_name": ("first name", "firstname", "given name", "first"),
    "last_name": ("last name", "lastname", "surname", "family name", "last"),
    "email": (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "mail",
        "work email",
    ),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "org",
        "employer",
        "account",
    ),
    "phone": (
        "phone",
        "mobile",
        "phone 1",
        "phone number",
        "telephone",
        "tel",
        "cell",
        "mobile phone",
        "phone1",
    ),
    "website": (
        "website",
        "domain",
        "url",
        "web",
        "company website",
        "company domain",
        "site",
    ),
}


def auto_map(headers: list[str]) -> dict[str, str | None]:
    """Map each of FIELDS to the header matching its synonyms, each header once."""
    keys = {header: _synonym_key(header) for header in headers}
    used: set[str] = set()
    mapping: dict[str, str | None] = {}
    for field in FIELDS:
        mapping[field] = None
        for synonym in _SYNONYMS[field]:
            wanted = _synonym_key(synonym)
            found = [h for h in headers if h not in used and keys[h] == wanted]
            if found:
                mapping[field] = found[0]
                used.add(found[0])
                break
    return mapping


def apply_mapping(
    record: dict[str, str], mapping: dict[str, str | None]
) -> dict[str, str]:
    """Pick name, email, company, phone, website; name falls back to first + last."""

    def value(field: str) -> str:
        column = mapping.get(field)
        return (record.get(column) or "").strip() if column else ""

    parts = (value("first_name"), value("last_name"))
    return {
        "name": value("name") or " ".join(part for part in parts if part),
        "email": value("email"),
        "company": value("company"),
        "phone": value("phone"),
        "website": value("website"),
    }


def _synonym_key(value: str) -> str:
    return _SYNONYM_NOISE.sub("", value.casefold())
