"""Normalisation of the values that identify contacts and companies: registration
numbers (CIN, LLPIN), email addresses, phone numbers, domains, company names
and LinkedIn profile URLs."""

import re
import unicodedata
from functools import lru_cache
from urllib.parse import unquote
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


@lru_cache(maxsize=8192)  # pure; an import sees the same few companies per row
def normalise_domain(value: str | None) -> str | None:
    """A bare lower-case host name from a domain or URL, or None."""
    raw = (value or "").strip().lower()
    if not raw:
        return None
    host = urlsplit(raw if "//" in raw else f"//{raw}").hostname or ""
    host = host.removeprefix("www.")
    return host if "." in host else None


# Legal forms dropped from the end of a company name ("Pvt Ltd", "GmbH & Co KG"…).
LEGAL_SUFFIXES = frozenset(
    "inc incorporated ltd limited llc llp lp plc corp corporation co company "
    "pvt private pte pty gmbh kg ag sa sas sarl srl spa bv nv oy ab as aps kk "
    "ohg ug se".split()
)
# Abbreviations of the words of a name read as the word itself, so "Wayne Ent"
# and "Wayne Enterprises" share a key. Only unambiguous corporate words.
ABBREVIATIONS = {
    "ent": "enterprises",
    "entp": "enterprises",
    "intl": "international",
    "mfg": "manufacturing",
    "svcs": "services",
    "assoc": "associates",
    "bros": "brothers",
    "natl": "national",
}


@lru_cache(maxsize=8192)
def company_name_key(value: str | None) -> str | None:
    """A company name reduced to what identifies it: lower case, ASCII letters and
    digits only, "&" read as "and", legal forms removed from the end and a few
    corporate abbreviations spelt out, words joined without spaces ("Stark
    Industries, Inc." and "Starkindustries" are both "starkindustries")."""
    text = unicodedata.normalize("NFKD", value or "")
    text = text.encode("ascii", "ignore").decode().lower().replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", text.replace(".", ""))
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[-1] == "and":  # "Smith & Co" -> "smith"
        words.pop()
    words = [ABBREVIATIONS.get(w, w) for w in words]
    key = "".join(words)
    return key[:255] or None


LINKEDIN_PATH = re.compile(r"^/(in|pub|company|sales/lead|sales/people)/([^/?#]+)")


def linkedin_key(value: str | None) -> str | None:
    """ "linkedin.com/in/<slug>" (lower case, no query) for a LinkedIn profile URL,
    or None when the value is not one."""
    raw = (value or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw if "//" in raw else f"//{raw}")
    host = (parts.hostname or "").lower()
    if not (host == "linkedin.com" or host.endswith(".linkedin.com")):
        return None
    match = LINKEDIN_PATH.match(parts.path)
    if not match:
        return None
    slug = unquote(match.group(2)).strip().lower()
    return f"linkedin.com/{match.group(1)}/{slug}"[:255] if slug else None
