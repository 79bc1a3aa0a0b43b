"""The contact fields of a CSV: header synonyms, auto mapping, applying a mapping."""

from __future__ import annotations

import re

FIELDS = ("name", "first_name", "last_name", "email", "company", "phone", "website")
# Every field of a contact a file can fill (the book's CSV/XLSX import).
BOOK_FIELDS = (*FIELDS, "title", "linkedin_url", "location")


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
    "title": ("title", "job title", "jobtitle", "position", "role", "designation"),
    "linkedin_url": (
        "linkedin url",
        "linkedin",
        "linkedin profile",
        "linkedin profile url",
        "profile url",
    ),
    "location": ("location", "city", "address", "region", "country"),
}


def auto_map(
    headers: list[str], fields: tuple[str, ...] = FIELDS
) -> dict[str, str | None]:
    """Map each of `fields` to the header matching its synonyms, each header once."""
    keys = {header: _synonym_key(header) for header in headers}
    used: set[str] = set()
    mapping: dict[str, str | None] = {}
    for field in fields:
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


def columns_in(headers: list[str], mapping: dict[str, str | None]) -> dict:
    """Every book field with its chosen column, None where the column is not one
    of the file's headers (a form's stale or made-up choice)."""
    return {
        field: (mapping.get(field) if mapping.get(field) in headers else None)
        for field in BOOK_FIELDS
    }


def apply_book_mapping(
    record: dict[str, str], mapping: dict[str, str | None]
) -> dict[str, object]:
    """Every book field of a row, plus its unmapped non-empty columns as `extra`."""
    fields: dict[str, object] = dict(apply_mapping(record, mapping))
    for name in ("title", "linkedin_url", "location"):
        column = mapping.get(name)
        fields[name] = (record.get(column) or "").strip() if column else ""
    used = {column for column in mapping.values() if column}
    fields["extra"] = {
        column: value.strip()
        for column, value in record.items()
        if column not in used and value and value.strip()
    }
    return fields
