"""Normalisation of the values that identify contacts and companies: registration
numbers (CIN, LLPIN), email addresses, phone numbers and domains."""

import re
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError
from email_validator import validate_email
from flask import current_app

from prospecting.services.errors import InvalidInput

CIN = re.compile(r"^[LU]\d{5}[A-Z]{2}\d{4}[A-Z]{3}\d{6}$")
LLPIN = re.compile(r"^[A-Z]{3}-\d{4}$")


def normalise_registration(value: str | None) -> str:
    """An Indian CIN (21 chars) or LLPIN (AAA-1234), upper-cased; else InvalidInput."""
    reg = re.sub(r"\s+", "", value or "").upper()
    if CIN.match(reg) or LLPIN.match(reg):
        return reg
    raise InvalidInput(
        "Enter a valid CIN (21 characters, e.g. U74999TG2017PTC118280) "
        "or LLPIN (e.g. AAA-1234).",
        code="invalid_registration_number",
    )


def normalise_email(value: str | None) -> str | None:
    """The normalised, lower-case address, or None when it is missing or invalid."""
    if not value or not value.strip():
        return None
    try:
        normalized = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return normalized.normalized.lower()


def normalise_phone(value: str | None, region: str | None = None) -> str | None:
    """The E.164 form of a number (national numbers read in `region`), or None."""
    if not value or not str(value).strip():
        return None
    region = region or current_app.config["DEFAULT_PHONE_REGION"]
    try:
        parsed = phonenumbers.parse(str(value), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_domain(value: str | None) -> str | None:
    """A bare lower-case host name from a domain or URL, or None."""
    raw = (value or "").strip().lower()
    if not raw:
        return None
    host = urlsplit(raw if "//" in raw else f"//{raw}").hostname or ""
    host = host.removeprefix("www.")
    return host if "." in host else None
