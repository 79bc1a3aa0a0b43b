"""A filter of the book as a smart list saves it (JSON, the parameters of
`ContactFilter`) and as the book's URL and the API send it."""

from dataclasses import fields
from datetime import date

from prospecting.services.contacts import ContactFilter
from prospecting.services.errors import InvalidInput


def _names() -> list[str]:
    return [f.name for f in fields(ContactFilter) if f.name != "sort"]


def _bad(name: str, message: str) -> InvalidInput:
    return InvalidInput(
        f"filter.{name}: {message}", code=f"bad_{name}", details={"field": name}
    )


def _value(name: str, kind, raw):
    """One value of the filter, of its field's type; None when blank."""
    if raw is None or raw == "":
        return None
    if "bool" in str(kind):
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("1", "true", "on", "yes"):
            return True
        if str(raw).lower() in ("0", "false", "off", "no"):
            return False
        raise _bad(name, "must be true or false.")
    if "int" in str(kind):
        text = str(raw)
        if isinstance(raw, bool) or not (text.isascii() and text.isdigit()):
            raise _bad(name, "must be an id (a whole number).")
        if len(text) > 9:
            raise InvalidInput(
                f"{name}: {text[:20]}… is out of range.",
                code="out_of_range",
                details={"field": name},
            )
        return int(text)
    if not isinstance(raw, str):
        raise _bad(name, "must be text.")
    return raw.strip()[:200] or None


def from_dict(values) -> ContactFilter:
    """A filter from JSON (`{"verdict": "valid", "tag": "vip", ...}`); an unknown
    key or a bad value is InvalidInput naming it."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise InvalidInput(
            "filter must be a JSON object.",
            code="bad_filter",
            details={"field": "filter"},
        )
    kinds = {f.name: f.type for f in fields(ContactFilter)}
    unknown = sorted(set(values) - set(_names()))
    if unknown:
        raise _bad(unknown[0], f"unknown (use {', '.join(_names())}).")
    found = {name: _value(name, kinds[name], values.get(name)) for name in values}
    return ContactFilter(**{k: v for k, v in found.items() if v is not None}).check()


def from_args(args) -> ContactFilter:
    """The book's filter from its URL (`company`, `list` and the other names);
    a bad value is InvalidInput naming it."""
    return ContactFilter.from_args(args)


def to_dict(where: ContactFilter) -> dict:
    """The filter's set values, as a smart list saves them."""
    values = {
        name: getattr(where, name)
        for name in _names()
        if getattr(where, name) not in (None, "", False)
    }
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def to_args(where: ContactFilter) -> dict:
    """The filter as the book's URL parameters."""
    return where.to_args()
